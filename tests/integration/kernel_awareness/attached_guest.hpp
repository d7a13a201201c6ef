// The booted, attached guest the kernel-awareness tests share (one boot per test binary): its
// facts as the guest printed them from /proc, and kdive's commands on its stub.
#pragma once

#include "arch/kernel_translator.hpp"
#include "cli/eval_commands.hpp"
#include "cli/gdb_handoff.hpp"
#include "cli/kernel_commands.hpp"
#include "gdb_reference.hpp"
#include "guest_facts.hpp"
#include "lab/boot_kernel.hpp"
#include "lab/console_log.hpp"
#include "lab/kconfig_file.hpp"
#include "prerequisite.hpp"
#include "rsp/endpoint.hpp"
#include "support/atomic_file.hpp"
#include "support/guest_text.hpp"
#include "support/subprocess.hpp"
#include "target/rsp_target.hpp"
#include "test_vm.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <chrono>
#include <fstream>
#include <gtest/gtest.h>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

namespace kdive::testing {

using Json = nlohmann::json;

// A leaf module by file name (lib/ moved into lib/crc/ in 7.x; .ko or .ko.xz).
inline std::filesystem::path find_module(const std::filesystem::path& kernel_dir,
                                         std::string_view stem) {
    for (const auto& item : std::filesystem::recursive_directory_iterator(kernel_dir / "modules")) {
        const std::string name = item.path().filename().string();
        if (name.starts_with(std::string(stem) + ".ko")) {
            return item.path();
        }
    }
    return {};
}

inline std::string read_text(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A booted guest with kdive attached: the VM, its facts, the target and the commands.
struct AttachedGuest {
    std::optional<TestVm> vm;
    GuestFacts facts;
    std::unique_ptr<target::RspTarget> target;
    std::unique_ptr<debuginfo::DebugInfo> info;
    std::filesystem::path info_path;
    std::unique_ptr<cli::KernelCommands> commands;
    std::unique_ptr<cli::EvalCommands> eval;
    std::string error;

    static std::unique_ptr<AttachedGuest> boot(const std::vector<std::string>& extra) {
        auto guest = std::make_unique<AttachedGuest>();
        guest->start(extra);
        return guest;
    }

    void start(std::vector<std::string> extra) {
        auto kernel = lab::resolve_boot_kernel(test_kernel());
        if (!kernel) {
            error = kernel.error().message;
            return;
        }
        const auto dir = kernel->vmlinux.parent_path();
        TempDir work("kernel-awareness");
        const auto script = work.path() / "facts.sh";
        const auto rootfs = work.path() / "rootfs.cpio.gz";
        if (auto ok = write_file_atomically(script, facts_script()); !ok) {
            error = ok.error().message;
            return;
        }
        std::vector<std::string> args{"rootfs", "-o", rootfs.string(), "--init-script",
                                      script.string()};
        if (test_kernel().ends_with("-arm64")) {
            args.insert(args.end(), {"--arch", "arm64"}); // the guest's busybox, not the host's
        }
        for (std::string_view module : {"dummy", "crc-itu-t"}) {
            auto path = find_module(dir, module);
            if (!path.empty()) {
                args.insert(args.end(), {"--module", path.string()});
            }
        }
        if (auto built = run_kdive(args); !built) {
            error = built.error().message;
            return;
        }
        extra.insert(extra.end(), {"--smp", "2", "--initrd", rootfs.string()});
        auto booted = TestVm::boot(test_kernel(), extra);
        if (!booted) {
            error = booted.error().message;
            return;
        }
        vm.emplace(std::move(*booted));
        if (auto ok = vm->wait_for(ready_marker); !ok) {
            error = ok.error().message;
            return;
        }
        (void)vm->wait_for(lab::shell_banner, std::chrono::seconds(60));
        facts = parse_facts(read_text(vm->session().console_log));
        info_path = vm->session().vmlinux;
        if (auto ok = attach(); !ok) {
            error = ok.error().message;
        }
    }

    // kdive's target and commands on the VM's stub.
    Result<> attach() {
        auto endpoint = rsp::Endpoint::parse(vm->session().gdb);
        auto attached = target::RspTarget::attach(*endpoint);
        if (!attached) {
            return std::unexpected(attached.error());
        }
        target = std::move(*attached);
        // As `kdive attach` does: kernel memory a vCPU in user mode cannot map is walked in
        // the kernel's page tables.
        target->set_translator(arch::live_kernel_translator(*target));
        if (!info) {
            auto opened = debuginfo::DebugInfo::open(info_path);
            if (!opened) {
                return std::unexpected(opened.error());
            }
            info = std::move(*opened);
        }
        commands = std::make_unique<cli::KernelCommands>(*info, *target);
        eval = std::make_unique<cli::EvalCommands>(*info, &commands->memory(), &commands->memory());
        commands->serve(*eval);
        return {};
    }
    // QEMU serves one debugger at a time: lets another one have the stub until attach().
    void release() {
        eval.reset();
        commands.reset();
        target.reset(); // detaches; the guest runs
    }

    ~AttachedGuest() {
        eval.reset();
        commands.reset();
        target.reset(); // detaches
        if (vm) {
            (void)vm->stop();
        }
    }

    std::string run(const std::string& line) {
        auto out = commands->run(line);
        if (!out) {
            out = eval->run(line);
        }
        EXPECT_TRUE(out) << line << ": not a command";
        if (!out) {
            return {};
        }
        EXPECT_TRUE(*out) << line << ": " << out->error().message;
        return *out ? **out : std::string();
    }
    // A command's answer or its error, whichever it gave.
    Result<std::string> attempt(const std::string& line) {
        auto out = commands->run(line);
        if (!out) {
            out = eval->run(line);
        }
        if (!out) {
            return fail("{}: not a command", line);
        }
        return *out;
    }
    Json json(const std::string& line) {
        const std::string text = run(line);
        auto parsed = Json::parse(text, nullptr, false);
        EXPECT_FALSE(parsed.is_discarded()) << line << " printed no JSON: " << text;
        return parsed;
    }
};

class KernelAwareness : public ::testing::Test {
protected:
    static void SetUpTestSuite() { guest_ = AttachedGuest::boot({}).release(); }
    static void TearDownTestSuite() {
        delete guest_;
        guest_ = nullptr;
    }
    void SetUp() override {
        ASSERT_TRUE(guest_->error.empty()) << guest_->error;
        ASSERT_FALSE(guest_->facts.version.empty()) << "the guest printed no facts";
    }
    inline static AttachedGuest* guest_ = nullptr;
};

} // namespace kdive::testing

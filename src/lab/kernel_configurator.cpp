// kconfig workflow: base target, merge, olddefconfig, read back, explain what did not stick.
#include "lab/kernel_configurator.hpp"

#include "lab/kconfig_profiles.hpp"
#include "lab/kconfig_rules.hpp"
#include "support/atomic_file.hpp"
#include "support/subprocess.hpp"

#include <fmt/format.h>
#include <map>

namespace kdive::lab {

namespace fs = std::filesystem;

namespace {

// The last lines of make's output: where its error is.
std::string tail_lines(const std::string& text, size_t count) {
    size_t pos = text.size();
    for (size_t n = 0; n <= count && pos > 0; ++n) {
        pos = text.rfind('\n', pos - 1);
        if (pos == std::string::npos) {
            return text;
        }
    }
    return text.substr(pos + 1);
}

Result<> run_make(const KernelTree& tree, const std::string& target,
                  const std::function<void(std::string_view)>& say) {
    say(fmt::format("make {}{}{}", tree.out_of_tree() ? "O=" + tree.out.string() + " " : "",
                    tree.arch != host_arch() ? fmt::format("ARCH={} ", kbuild_arch(tree.arch))
                                             : std::string(),
                    target));
    auto run = run_process(tree.make({target}));
    if (!run) {
        return std::unexpected(run.error());
    }
    if (run->exit_code != 0) {
        return fail("make {} in {} failed (exit {}):\n{}", target, tree.source.string(),
                    run->exit_code, tail_lines(run->out + run->err, 15));
    }
    return {};
}

// A later layer that picks a member of a Kconfig choice overrides an earlier layer's pick: the
// earlier pick is asked off (--set UNWINDER_FRAME_POINTER=y over the profile's UNWINDER_ORC=y).
void set_over_choice(KconfigFile& combined, const KconfigRules& rules, std::string_view name,
                     std::string_view value) {
    if (value == "y") {
        for (const auto& sibling : rules.choice_siblings(std::string(name))) {
            if (combined.value(sibling) == "y") {
                combined.set(sibling, "n");
            }
        }
    }
    combined.set(name, value);
}

// The combined fragment: profile, then files, then initramfs, then --set (later wins).
Result<KconfigFile> requested_fragment(const KconfigRequest& request, const KconfigRules& rules) {
    std::string text;
    if (!request.profile.empty()) {
        auto profile = find_kconfig_profile(request.profile);
        if (!profile) {
            return std::unexpected(profile.error());
        }
        text += kconfig_profile_text(*profile, request.dwarf, request.tree.arch);
    }
    auto combined = KconfigFile::parse(text, fmt::format("profile {}", request.profile));
    if (!combined) {
        return combined;
    }
    for (const auto& path : request.fragments) {
        auto fragment = KconfigFile::read(path.string());
        if (!fragment) {
            return std::unexpected(fragment.error());
        }
        for (const auto& setting : fragment->settings()) {
            set_over_choice(*combined, rules, setting.name, setting.value);
        }
    }
    if (!request.initramfs.empty()) {
        std::error_code ec;
        if (!fs::exists(request.initramfs, ec)) {
            return fail("initramfs {} does not exist", request.initramfs.string());
        }
        combined->set("BLK_DEV_INITRD", "y");
        combined->set("INITRAMFS_SOURCE", kconfig_quote(fs::absolute(request.initramfs).string()));
    }
    for (const auto& set : request.sets) {
        auto setting = parse_kconfig_assignment(set);
        if (!setting) {
            return wrap(setting.error(), "--set");
        }
        set_over_choice(*combined, rules, setting->name, setting->value);
    }
    return combined;
}

} // namespace

Result<KconfigOutcome> configure_kernel(const KconfigRequest& request,
                                        const std::function<void(std::string_view)>& progress) {
    auto say = [&progress](std::string_view line) {
        if (progress) {
            progress(line);
        }
    };
    const KernelTree& tree = request.tree;
    if (auto toolchain = tree.check_toolchain(); !toolchain) {
        return std::unexpected(toolchain.error());
    }
    // Kconfig's rules as make sees them: $(SRCARCH) is the tree's architecture's folder.
    auto rules = KconfigRules::load(tree.source, std::string(kbuild_arch(tree.arch)));
    if (!rules) {
        return std::unexpected(rules.error());
    }
    auto fragment = requested_fragment(request, *rules);
    if (!fragment) {
        return std::unexpected(fragment.error());
    }
    std::error_code ec;
    fs::create_directories(tree.out, ec);
    if (ec) {
        return fail("creating {}: {}", tree.out.string(), ec.message());
    }
    if (tree.out_of_tree() && fs::exists(tree.source / ".config", ec)) {
        // Kbuild refuses O= builds of a tree that was configured in place.
        return fail("{} has a .config of its own: O= builds need a clean tree (make mrproper)",
                    tree.source.string());
    }
    std::string base;
    if (!request.profile.empty()) {
        base = std::string(find_kconfig_profile(request.profile)->base);
    }
    if (base.empty() && !fs::exists(tree.config(), ec)) {
        base = "defconfig";
    }
    if (!base.empty()) {
        if (auto made = run_make(tree, base, say); !made) {
            return std::unexpected(made.error());
        }
    } else {
        say(fmt::format("starting from {}", tree.config().string()));
    }
    auto config = KconfigFile::read(tree.config().string());
    if (!config) {
        return std::unexpected(config.error());
    }
    auto changes = config->merge(*fragment);
    // A choice member asked for y: its siblings go off, or the .config's old pick would win.
    for (const auto& s : fragment->settings()) {
        if (s.value != "y") {
            continue;
        }
        for (const auto& sibling : rules->choice_siblings(s.name)) {
            if (!fragment->value(sibling)) {
                config->set(sibling, "n");
            }
        }
    }
    say(fmt::format("merged {} options ({} changed)", fragment->settings().size(), changes.size()));
    if (auto written = write_file_atomically(tree.config(), config->text()); !written) {
        return std::unexpected(written.error());
    }
    if (auto made = run_make(tree, "olddefconfig", say); !made) {
        return std::unexpected(made.error());
    }
    auto result = KconfigFile::read(tree.config().string());
    if (!result) {
        return std::unexpected(result.error());
    }

    KconfigOutcome outcome;
    outcome.config = tree.config();
    std::map<std::string, std::string> wanted;
    for (const auto& s : fragment->settings()) {
        wanted[s.name] = s.value;
    }
    outcome.requested = wanted.size();
    for (const auto& [name, value] : wanted) {
        auto got = result->value(name);
        if (kconfig_value_satisfies(value, got)) {
            continue;
        }
        outcome.missing.push_back({name, value, got, rules->explain(name, value, *result)});
    }
    return outcome;
}

std::string describe_missing(const MissingOption& missing) {
    std::string line = fmt::format("CONFIG_{}: wanted {}, got {}", missing.name, missing.wanted,
                                   missing.got ? *missing.got : "n (absent)");
    for (const auto& reason : missing.reasons) {
        line += "\n    " + reason;
    }
    if (missing.reasons.empty()) {
        line += "\n    (Kconfig's rules do not say why)";
    }
    return line;
}

} // namespace kdive::lab

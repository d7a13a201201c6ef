// The server's side of the protocol with a debugger on a socketpair, in front of a small
// in-memory target: what it offers, threads before the kernel can be read (the vCPUs), the
// register file (x86-64's and arm64's), partial memory reads, a read-only target's refusals, and
// vCont parsing.
#include "arch/aarch64/gdb_registers.hpp"
#include "arch/x86_64/gdb_registers.hpp"
#include "rsp/debugger_connection.hpp"
#include "rsp/packet_codec.hpp"
#include "rsp/target_description.hpp"
#include "rsp/xml_tags.hpp"
#include "server/gdb_server.hpp"

#include <gtest/gtest.h>
#include <map>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace kdive::server {
namespace {

// Two vCPUs with a few registers each, one readable page, no execution (as a vmcore). The
// arm64 one answers TCR_EL1 for the selected vCPU only, as QEMU's stub (outside its `g` reply).
class DumpLikeTarget final : public target::Target {
public:
    explicit DumpLikeTarget(bool arm64) {
        if (arm64) {
            descriptions_ = {{"x0", 64, "int"},
                             {"pc", 64, "code_ptr"},
                             {"sp", 64, "data_ptr"},
                             {"TCR_EL1", 64, "int"}};
        }
    }
    std::vector<std::uint8_t> page = std::vector<std::uint8_t>(4096, 0xab);
    static constexpr std::uint64_t page_address = 0xffff888000001000ull;

    Result<> read_memory(std::uint64_t address, std::span<std::uint8_t> out) override {
        if (address < page_address || address + out.size() > page_address + page.size()) {
            return fail_as(ErrorKind::unmapped, "cannot read {:#x}", address);
        }
        std::copy_n(page.begin() + static_cast<long>(address - page_address), out.size(),
                    out.begin());
        return {};
    }
    Result<> write_memory(std::uint64_t, std::span<const std::uint8_t>) override {
        return fail("read-only");
    }
    Result<> read_physical(std::uint64_t a, std::span<std::uint8_t> o) override {
        return read_memory(a, o);
    }
    Result<> write_physical(std::uint64_t, std::span<const std::uint8_t>) override {
        return fail("read-only");
    }
    const std::vector<target::RegisterDescription>& registers() const override {
        return descriptions_;
    }
    Result<std::vector<std::uint8_t>> read_register_bytes(std::string_view name) override {
        return read_cpu_register_bytes(current_, name);
    }
    Result<std::vector<std::uint8_t>> read_cpu_register_bytes(int vcpu,
                                                              std::string_view name) override {
        if (name == "TCR_EL1" && vcpu == current_) {
            const std::uint64_t value = (std::uint64_t{16} << 16) | static_cast<unsigned>(vcpu);
            std::vector<std::uint8_t> bytes(8);
            for (int i = 0; i < 8; ++i) {
                bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
            }
            return bytes;
        }
        if (name == "rip" || name == "rsp" || name == "pc" || name == "sp") {
            const std::uint64_t value = (name == "rip" || name == "pc" ? 0x1000u : 0x2000u) + vcpu;
            std::vector<std::uint8_t> bytes(8);
            for (int i = 0; i < 8; ++i) {
                bytes[i] = static_cast<std::uint8_t>(value >> (8 * i));
            }
            return bytes;
        }
        return fail("no register {}", name);
    }
    std::string describe() const override { return "test.vmcore"; }
    bool has_execution() const override { return false; }
    Result<> resume() override { return fail("no execution"); }
    Result<> step() override { return fail("no execution"); }
    Result<> interrupt() override { return fail("no execution"); }
    Result<std::optional<target::StopEvent>> wait_for_stop(std::chrono::milliseconds) override {
        return fail("no execution");
    }
    bool running() const override { return false; }
    Result<> insert_breakpoint(const target::Breakpoint&) override { return fail("no"); }
    Result<> remove_breakpoint(const target::Breakpoint&) override { return fail("no"); }
    const std::vector<target::Breakpoint>& inserted_breakpoints() const override { return none_; }
    int vcpu_count() const override { return 2; }
    int current_vcpu() const override { return current_; }
    Result<> select_vcpu(int index) override {
        current_ = index;
        return {};
    }
    Result<std::string> monitor(std::string_view) override { return fail("no monitor"); }
    Result<> detach() override { return {}; }

private:
    std::vector<target::RegisterDescription> descriptions_{{"rip", 64, "code_ptr"},
                                                           {"rsp", 64, "data_ptr"}};
    std::vector<target::Breakpoint> none_;
    int current_ = 0;
};

// The debugger's end: sends packets, reads replies (acks and O packets kept apart).
class Debugger {
public:
    explicit Debugger(int fd) : fd_(fd) {}
    ~Debugger() { ::close(fd_); }

    void send(std::string_view payload) {
        const std::string packet = rsp::encode_packet(payload);
        ASSERT_EQ(::write(fd_, packet.data(), packet.size()), static_cast<ssize_t>(packet.size()));
    }
    // The next packet's payload; "" with `timed_out` set when none comes.
    std::string reply() {
        for (;;) {
            for (auto event = decoder_.next(); event.kind != rsp::FrameEvent::Kind::need_more;
                 event = decoder_.next()) {
                if (event.kind == rsp::FrameEvent::Kind::ack) {
                    ++acks;
                } else if (event.kind == rsp::FrameEvent::Kind::packet) {
                    if (event.payload.starts_with('O') && event.payload != "OK") {
                        output.push_back(event.payload);
                        continue;
                    }
                    return event.payload;
                }
            }
            pollfd ready{fd_, POLLIN, 0};
            if (::poll(&ready, 1, 5000) <= 0) {
                timed_out = true;
                return {};
            }
            char buffer[65536];
            const ssize_t n = ::read(fd_, buffer, sizeof buffer);
            if (n <= 0) {
                timed_out = true;
                return {};
            }
            decoder_.feed(std::string_view(buffer, static_cast<std::size_t>(n)));
        }
    }
    void send_raw(std::string_view bytes) {
        ASSERT_EQ(::write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    }
    std::string ask(std::string_view payload) {
        send(payload);
        return reply();
    }

    int acks = 0;
    bool timed_out = false;
    std::vector<std::string> output;

private:
    int fd_;
    rsp::FrameDecoder decoder_;
};

template <bool Arm64> class Conversation : public ::testing::Test {
protected:
    void SetUp() override {
        int fds[2];
        ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
        debugger_ = std::make_unique<Debugger>(fds[0]);
        ServerBackend backend;
        backend.target = &target_;
        backend.kernel = []() -> Result<kernel::Kernel*> { return fail("no vmlinux"); };
        backend.modules = [] { return std::vector<kernel::ModuleDebugInfo::SymbolFile>{}; };
        backend.monitor = [this](std::string_view command, std::optional<int> vcpu) {
            monitor_vcpu_ = vcpu;
            return "ran " + std::string(command) + "\n";
        };
        backend.note = [](std::string_view) {};
        server_ = std::make_unique<GdbServer>(std::move(backend));
        connection_ = std::make_unique<rsp::DebuggerConnection>(fds[1], fds[1], "test");
        thread_ =
            std::thread([this] { served_ = server_->serve(*connection_, [] { return false; }); });
    }
    void TearDown() override {
        debugger_.reset(); // the debugger goes away: the conversation ends
        thread_.join();
        EXPECT_TRUE(served_) << served_.error().message;
    }

    DumpLikeTarget target_{Arm64};
    std::unique_ptr<Debugger> debugger_;
    std::unique_ptr<GdbServer> server_;
    std::unique_ptr<rsp::DebuggerConnection> connection_;
    std::thread thread_;
    Result<> served_;
    std::optional<int> monitor_vcpu_;
};
using ServerConversation = Conversation<false>;
using Arm64ServerConversation = Conversation<true>;

TEST_F(ServerConversation, OffersWhatItServes) {
    const std::string features = debugger_->ask("qSupported:multiprocess+;xmlRegisters=i386");
    for (const char* feature : {"qXfer:features:read+", "qXfer:threads:read+",
                                "qXfer:libraries:read+", "QStartNoAckMode+"}) {
        EXPECT_NE(features.find(feature), std::string::npos) << features;
    }
    EXPECT_EQ(debugger_->ask("qAttached"), "1"); // GDB's quit detaches, never kills
    EXPECT_EQ(debugger_->ask("vCont?"), "vCont;c;C;s;S");
    EXPECT_EQ(debugger_->ask("qSomethingNew"), "");
    EXPECT_EQ(debugger_->ask("qOffsets"), "Text=0;Data=0;Bss=0");
}

TEST_F(ServerConversation, TargetDescriptionComesInChunks) {
    const std::string whole = arch::x86_64::gdb_target_xml();
    std::string read;
    for (std::size_t offset = 0;;) {
        const std::string part =
            debugger_->ask(fmt::format("qXfer:features:read:target.xml:{:x},400", offset));
        ASSERT_FALSE(part.empty());
        auto data = rsp::unescape_binary(std::string_view(part).substr(1));
        ASSERT_TRUE(data.ok());
        read += data.data;
        offset += data.data.size();
        if (part[0] == 'l') {
            break;
        }
        ASSERT_EQ(part[0], 'm');
    }
    EXPECT_EQ(read, whole);
    EXPECT_EQ(debugger_->ask("qXfer:features:read:other.xml:0,400"), "E00");
}

TEST_F(ServerConversation, WithoutAKernelTheThreadsAreTheVcpus) {
    EXPECT_EQ(debugger_->ask("qfThreadInfo"), "m1,2");
    EXPECT_EQ(debugger_->ask("qsThreadInfo"), "l");
    auto extra = rsp::hex_decode(debugger_->ask("qThreadExtraInfo,2"));
    ASSERT_TRUE(extra.ok());
    EXPECT_EQ(extra.data, "CPU#1 [vCPU 1]");
    EXPECT_EQ(debugger_->ask("T2"), "OK");
    EXPECT_EQ(debugger_->ask("T9"), "E01");
    EXPECT_EQ(debugger_->ask("Hg9"), "E01");
    EXPECT_EQ(debugger_->ask("?").substr(0, 3), "T02");
    auto threads = rsp::unescape_binary(debugger_->ask("qXfer:threads:read::0,ffff"));
    ASSERT_TRUE(threads.ok());
    EXPECT_NE(threads.data.find("<thread id=\"2\" core=\"1\" name=\"CPU#1\">"), std::string::npos)
        << threads.data;
}

TEST_F(ServerConversation, RegistersOfTheSelectedThreadWithTheRestUnavailable) {
    ASSERT_EQ(debugger_->ask("Hg2"), "OK");
    const std::string g = debugger_->ask("g");
    const auto layout = arch::x86_64::gdb_registers();
    std::size_t hex_size = 0;
    for (const auto& r : layout) {
        hex_size += static_cast<std::size_t>(r.bitsize) / 4;
    }
    ASSERT_EQ(g.size(), hex_size);
    EXPECT_EQ(g.substr(0, 16), "xxxxxxxxxxxxxxxx"); // rax: not in this target
    const std::size_t rip = arch::x86_64::gdb_register_number("rip");
    EXPECT_EQ(debugger_->ask(fmt::format("p{:x}", rip)), "0110000000000000"); // vCPU 1's
    EXPECT_EQ(debugger_->ask("p0"), "xxxxxxxxxxxxxxxx");
    // LLDB asks each thread's stop information between its register reads: the selection stays.
    EXPECT_TRUE(debugger_->ask("qThreadStopInfo1").starts_with("T02thread:1;"));
    EXPECT_EQ(debugger_->ask(fmt::format("p{:x}", rip)), "0110000000000000");
    EXPECT_EQ(debugger_->ask("pfff"), "E01");
}

TEST_F(ServerConversation, MemoryReadsStopAtTheFirstUnreadablePage) {
    const std::uint64_t last = DumpLikeTarget::page_address + 4096 - 4;
    EXPECT_EQ(debugger_->ask(fmt::format("m{:x},8", last)), "abababab");
    EXPECT_EQ(debugger_->ask("m10,8"), "E14");
    EXPECT_EQ(debugger_->ask(fmt::format("m{:x},zz", last)), "E01");
}

TEST_F(ServerConversation, AReadOnlyTargetRefusesToChangeOrRun) {
    for (const char* packet :
         {"Z0,ffffffff81000000,1", "M1000,1:00", "c", "vCont;s:1;c", "P10=0000000000000000"}) {
        const std::string reply = debugger_->ask(packet);
        EXPECT_TRUE(reply.starts_with("E.")) << packet << " -> " << reply;
        EXPECT_NE(reply.find("test.vmcore is served read-only"), std::string::npos) << reply;
    }
    EXPECT_EQ(debugger_->ask("X1000,0:"), "OK"); // GDB's probe for the binary write packet
}

TEST_F(ServerConversation, MonitorOutputComesBackAsConsoleText) {
    ASSERT_EQ(debugger_->ask("Hg2"), "OK");
    EXPECT_EQ(debugger_->ask("qRcmd," + rsp::hex_encode("kdive ps -G")), "OK");
    ASSERT_EQ(debugger_->output.size(), 1u);
    auto text = rsp::hex_decode(debugger_->output[0].substr(1));
    ASSERT_TRUE(text.ok());
    EXPECT_EQ(text.data, "ran ps -G\n"); // kdive's relay spelling works too
    EXPECT_EQ(monitor_vcpu_, 1);         // the selected thread's vCPU
    EXPECT_EQ(debugger_->ask("qRcmd,zz"), "E01");
}

TEST_F(ServerConversation, NoAcksOnceAgreed) {
    EXPECT_EQ(debugger_->ask("QStartNoAckMode"), "OK");
    const int before = debugger_->acks;
    EXPECT_EQ(debugger_->ask("qfThreadInfo"), "m1,2");
    EXPECT_EQ(debugger_->acks, before);
}

TEST_F(ServerConversation, ADamagedPacketIsRefusedAndTheNextAnswered) {
    debugger_->send_raw("$qfThreadInfo#00");
    EXPECT_EQ(debugger_->ask("qC"), "QC1");
}

// The architecture comes from the registers the target describes: arm64's description, LLDB's
// triple, and the register file in its layout, with another vCPU's registers beyond the
// stub's `g` reply read with that vCPU selected (and the selection given back).
TEST_F(Arm64ServerConversation, RegistersInTheArm64Layout) {
    const std::string xml = debugger_->ask("qXfer:features:read:target.xml:0,ffff");
    ASSERT_TRUE(xml.starts_with('l')) << xml;
    auto data = rsp::unescape_binary(std::string_view(xml).substr(1));
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(data.data, arch::aarch64::gdb_target_xml());
    const std::string host = debugger_->ask("qHostInfo");
    EXPECT_NE(host.find(rsp::hex_encode("aarch64-unknown-linux-gnu")), std::string::npos);
    EXPECT_NE(host.find("addressing_bits:48;"), std::string::npos) << host; // for LLDB's PAC

    ASSERT_EQ(debugger_->ask("Hg2"), "OK");
    const std::string g = debugger_->ask("g");
    std::size_t hex_size = 0;
    for (const auto& r : arch::aarch64::gdb_registers()) {
        hex_size += static_cast<std::size_t>(r.bitsize) / 4;
    }
    ASSERT_EQ(g.size(), hex_size);
    EXPECT_EQ(g.substr(0, 16), "xxxxxxxxxxxxxxxx");         // x0: not in this target
    EXPECT_EQ(g.substr(32 * 16, 16), "0110000000000000");   // pc, regnum 32: vCPU 1's
    EXPECT_EQ(debugger_->ask("p1f"), "0120000000000000");   // sp
    EXPECT_EQ(debugger_->ask("p22"), std::string(32, 'x')); // v0: 128 bits, unavailable
    const auto regnum = [](std::string_view name) {
        return fmt::format("p{:x}", arch::aarch64::gdb_register_number(name));
    };
    EXPECT_EQ(debugger_->ask(regnum("TCR_EL1")), "0100100000000000");
    EXPECT_EQ(target_.current_vcpu(), 0);
    // 48-bit kernel addresses (T1SZ 16): the authentication code sits in bits 63:48.
    EXPECT_EQ(debugger_->ask(regnum("pauth_cmask")), "000000000000ffff");
    EXPECT_EQ(debugger_->ask(regnum("pauth_dmask")), "000000000000ffff");
}

TEST(ResumeRequests, VcontNamesTheSteppedThread) {
    auto step = parse_vcont("vCont;s:1f;c");
    ASSERT_TRUE(step);
    EXPECT_TRUE(step->step);
    EXPECT_EQ(step->thread, 0x1fu);
    auto go = parse_vcont("vCont;c");
    ASSERT_TRUE(go);
    EXPECT_FALSE(go->step);
    auto signal = parse_vcont("vCont;C05:3");
    ASSERT_TRUE(signal);
    EXPECT_FALSE(signal->step);
    EXPECT_FALSE(parse_vcont("vCont;s:1;s:2"));
    EXPECT_FALSE(parse_vcont("vCont;t:1"));
    EXPECT_FALSE(parse_vcont("vCont"));
}

TEST(ThreadDescriptions, GuestBytesArePrintable) {
    ServedThread thread;
    thread.task = 0xffff888000001000ull;
    thread.pid = 42;
    thread.cpu = 1;
    thread.state = 'S';
    thread.comm = std::string("ev\x1b[2Jil\xff", 9);
    const std::string text = thread_description(thread);
    EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
    EXPECT_NE(text.find("[pid 42, CPU 1, state S]"), std::string::npos) << text;
    EXPECT_EQ(rsp::xml_escape("<a&\"b'>"), "&lt;a&amp;&quot;b&apos;&gt;");
}

} // namespace
} // namespace kdive::server

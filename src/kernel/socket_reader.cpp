// Every sock starts with a sock_common, read first: a time-wait or request socket in the TCP
// established hash is nothing more (its state says so), so the struct sock is read only for a
// full socket. The inode is sk_ino where the sock carries it (7.2), else its socket's.
#include "kernel/socket_reader.hpp"

#include "kernel/socket_names.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t sun_path_max = 108; // sizeof(sockaddr_un.sun_path)

} // namespace

Result<SockReader> SockReader::load(Kernel& kernel) {
    SockReader reader(kernel);
    auto common = kernel.layout("sock_common");
    auto sock = kernel.layout("sock");
    if (!common || !sock) {
        return std::unexpected(!common ? common.error() : sock.error());
    }
    reader.common_ = *common;
    reader.sock_ = *sock;
    reader.unix_ = kernel.find_layout("unix_sock");
    return reader;
}

Result<SocketInfo> SockReader::read(std::uint64_t sock) {
    SocketInfo out;
    out.sock = sock;
    if (auto ok = read_common(sock, out); !ok) {
        return std::unexpected(ok.error());
    }
    const bool inet = out.family == af_inet || out.family == af_inet6;
    if (inet && out.state == tcp_time_wait) {
        out.mini = true;
        auto substate = kernel_.read_member(sock, "inet_timewait_sock", "tw_substate");
        if (!substate) {
            return std::unexpected(substate.error());
        }
        out.state = static_cast<unsigned>(*substate);
        return out;
    }
    if (inet && out.state == tcp_new_syn_recv) {
        // A request_sock: /proc/net/tcp shows it as SYN_RECV.
        out.mini = true;
        out.state = tcp_syn_recv;
        return out;
    }
    if (auto ok = read_full(out); !ok) {
        return std::unexpected(ok.error());
    }
    if (out.family == af_unix && unix_ != nullptr) {
        if (auto ok = read_unix(out); !ok) {
            return std::unexpected(ok.error());
        }
    }
    return out;
}

Result<> SockReader::read_common(std::uint64_t sock, SocketInfo& out) {
    auto record = kernel_.read(sock, common_->size());
    if (!record) {
        return wrap(record.error(), fmt::format("reading the sock_common of sock {:#x}", sock));
    }
    for (auto [member, into] : {std::pair{"skc_family", &out.family}, {"skc_state", &out.state}}) {
        auto field = common_->require(member);
        if (!field) {
            return std::unexpected(field.error());
        }
        *into = static_cast<unsigned>(record->get(*field));
    }
    if (auto refs = common_->field("skc_refcnt.refs.counter")) {
        out.refcount = static_cast<std::uint32_t>(record->get(*refs));
    }
    // possible_net_t is empty without CONFIG_NET_NS.
    if (auto net = common_->field("skc_net.net")) {
        out.net = record->get(*net);
    }
    if (out.family == af_inet || out.family == af_inet6) {
        return read_inet(*record, out);
    }
    return {};
}

Result<> SockReader::read_inet(const Record& common, SocketInfo& out) {
    auto num = common_->require("skc_num");
    auto dport = common_->require("skc_dport");
    if (!num || !dport) {
        return std::unexpected(!num ? num.error() : dport.error());
    }
    out.local_port = static_cast<unsigned>(common.get(*num));
    const auto port = static_cast<std::uint16_t>(common.get(*dport));
    out.remote_port = static_cast<unsigned>(port >> 8 | (port & 0xff) << 8); // __be16
    const bool v6 = out.family == af_inet6;
    const auto local = common_->field(v6 ? "skc_v6_rcv_saddr" : "skc_rcv_saddr");
    const auto remote = common_->field(v6 ? "skc_v6_daddr" : "skc_daddr");
    if (!local || !remote) {
        return {}; // an IPv6 sock on a kernel without CONFIG_IPV6's fields: no addresses
    }
    const auto bytes = common.bytes();
    const std::size_t length = v6 ? 16 : 4;
    for (auto [field, into] :
         {std::pair{*local, &out.local_address}, {*remote, &out.remote_address}}) {
        if (field.offset + length <= bytes.size()) {
            std::transform(bytes.begin() + static_cast<std::ptrdiff_t>(field.offset),
                           bytes.begin() + static_cast<std::ptrdiff_t>(field.offset + length),
                           into->begin(),
                           [](std::byte b) { return std::to_integer<std::uint8_t>(b); });
        }
    }
    return {};
}

Result<> SockReader::read_full(SocketInfo& out) {
    auto record = kernel_.read(out.sock, sock_->size());
    if (!record) {
        return wrap(record.error(), fmt::format("reading sock {:#x}", out.sock));
    }
    const auto get = [&](std::string_view member) -> std::uint64_t {
        auto field = sock_->field(member);
        return field ? record->get(*field) : 0;
    };
    out.type = static_cast<unsigned>(get("sk_type"));
    out.protocol = static_cast<unsigned>(get("sk_protocol"));
    out.uid = static_cast<std::uint32_t>(get("sk_uid.val"));
    out.socket = get("sk_socket");
    // sk_ino (in 7.2, not in 6.12) is the inode number sock_graft() copied from the socket.
    if (sock_->has("sk_ino")) {
        out.inode = get("sk_ino");
        return {};
    }
    if (out.socket != 0) {
        auto inode = socket_inode(out.socket);
        if (!inode) {
            return std::unexpected(inode.error());
        }
        out.inode = *inode;
    }
    return {};
}

// SOCK_INODE(): the inode is allocated with the socket, in one struct socket_alloc.
Result<std::uint64_t> SockReader::socket_inode(std::uint64_t socket) {
    auto alloc = kernel_.layout("socket_alloc");
    if (!alloc) {
        return std::unexpected(alloc.error());
    }
    auto socket_at = (*alloc)->offset("socket");
    auto inode_at = (*alloc)->offset("vfs_inode");
    if (!socket_at || !inode_at) {
        return std::unexpected(!socket_at ? socket_at.error() : inode_at.error());
    }
    return kernel_.read_member(socket - *socket_at + *inode_at, "inode", "i_ino");
}

Result<> SockReader::read_unix(SocketInfo& out) {
    auto address = kernel_.read_member(out.sock, "unix_sock", "addr");
    auto peer = kernel_.read_member(out.sock, "unix_sock", "peer");
    if (!address || !peer) {
        return std::unexpected(!address ? address.error() : peer.error());
    }
    out.peer = *peer;
    if (*address == 0) {
        return {};
    }
    auto length = kernel_.read_member(*address, "unix_address", "len");
    auto layout = kernel_.layout("unix_address");
    if (!length || !layout) {
        return std::unexpected(!length ? length.error() : layout.error());
    }
    auto name = (*layout)->offset("name");
    if (!name) {
        return std::unexpected(name.error());
    }
    // len counts sun_family (2 bytes) and the name.
    const auto size = static_cast<std::int32_t>(*length);
    if (size < 2 || static_cast<std::uint64_t>(size) > 2 + sun_path_max) {
        return fail_as(ErrorKind::corrupt, "unix_address {:#x} of sock {:#x} claims {} bytes",
                       *address, out.sock, size);
    }
    std::string path;
    if (size > 2) {
        auto bytes = kernel_.read(*address + *name + 2, static_cast<std::size_t>(size - 2));
        if (!bytes) {
            return wrap(bytes.error(),
                        fmt::format("reading the name of unix_address {:#x}", *address));
        }
        for (const std::byte b : bytes->bytes()) {
            path.push_back(static_cast<char>(b));
        }
    }
    out.path = unix_path_text(path);
    return {};
}

} // namespace kdive::kernel

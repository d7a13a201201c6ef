// Both tables are arrays of list heads whose chains run through a node inside sock_common:
// hlist chains end in NULL, hlist_nulls chains in an odd "nulls" value, and one loop ends on
// either. init_net's TCP sockets are always in the global tcp_hashinfo (6.1's per-namespace
// hashes are for child namespaces that ask for one); tables shared between namespaces are
// filtered by each sock's skc_net, as /proc/net does.
#include "kernel/socket_tables.hpp"

#include "kernel/visited_nodes.hpp"

namespace kdive::kernel {

namespace {

constexpr std::uint64_t max_buckets = 1ULL << 26;
constexpr std::uint64_t buckets_per_read = 4096;
constexpr std::size_t max_chain = 1'000'000;
constexpr std::size_t max_sockets = 4'000'000;

struct HashTable {
    std::string name;         // for errors: "tcp_hashinfo.ehash"
    std::uint64_t first = 0;  // the first bucket
    std::uint64_t count = 0;  // buckets
    std::uint64_t stride = 8; // bytes per bucket
    std::uint64_t head = 0;   // the first-node pointer's offset in a bucket
    std::uint64_t link = 0;   // the chain node's offset in a sock
};

class TableWalker {
public:
    TableWalker(Kernel& kernel, SockReader& reader, std::uint64_t net)
        : kernel_(kernel), reader_(reader), net_(net) {}

    Result<> walk(const HashTable& table) {
        if (table.count > max_buckets) {
            return fail_as(ErrorKind::corrupt, "{} at {:#x} claims {} buckets", table.name,
                           table.first, table.count);
        }
        for (std::uint64_t start = 0; start < table.count; start += buckets_per_read) {
            const std::uint64_t count = std::min(buckets_per_read, table.count - start);
            const std::uint64_t at = table.first + start * table.stride;
            auto buckets = kernel_.read(at, count * table.stride);
            if (!buckets) {
                return wrap(buckets.error(), fmt::format("reading {}[{}..{}] at {:#x}", table.name,
                                                         start, start + count, at));
            }
            for (std::uint64_t i = 0; i < count; ++i) {
                const std::uint64_t node = buckets->u64(i * table.stride + table.head);
                if (auto ok = chain(table, start + i, node); !ok) {
                    return ok;
                }
            }
        }
        return {};
    }

    std::vector<SocketInfo> take() { return std::move(out_); }

private:
    Result<> chain(const HashTable& table, std::uint64_t bucket, std::uint64_t node) {
        VisitedNodes visited(fmt::format("{}[{}]", table.name, bucket));
        while (node != 0 && (node & 1) == 0) {
            if (auto ok = visited.visit(node); !ok) {
                return ok;
            }
            if (visited.size() > max_chain || out_.size() > max_sockets) {
                return fail_as(ErrorKind::corrupt, "{}[{}] does not end (at {:#x})", table.name,
                               bucket, node);
            }
            auto sock = reader_.read(node - table.link);
            if (!sock) {
                return wrap(sock.error(), fmt::format("in {}[{}]", table.name, bucket));
            }
            if (net_ == 0 || sock->net == net_) {
                out_.push_back(std::move(*sock));
            }
            auto next = kernel_.read_u64(node);
            if (!next) {
                return wrap(next.error(), fmt::format("reading the chain of {}[{}] at {:#x}",
                                                      table.name, bucket, node));
            }
            node = *next;
        }
        return {};
    }

    Kernel& kernel_;
    SockReader& reader_;
    std::uint64_t net_;
    std::vector<SocketInfo> out_;
};

// init_net, or 0 (no filter) when socks carry no namespace.
Result<std::uint64_t> initial_namespace(Kernel& kernel) {
    auto common = kernel.layout("sock_common");
    if (!common) {
        return std::unexpected(common.error());
    }
    if (!(*common)->has("skc_net.net")) {
        return 0;
    }
    return kernel.address_of("init_net");
}

Result<std::uint64_t> sock_offset(Kernel& kernel, std::string_view member) {
    auto sock = kernel.layout("sock");
    if (!sock) {
        return std::unexpected(sock.error());
    }
    return (*sock)->offset(member);
}

// The listening hash: listening_hash[] inside the hashinfo before 5.19, lhash2 after (commit
// cae3873c5b3a retired the port-only hash). Either way its chains run through skc_nulls_node
// (5.10's bucket has a head and a nulls_head in one union).
Result<HashTable> listening_table(Kernel& kernel, std::uint64_t hashinfo,
                                  const StructLayout& layout, const Record& record) {
    auto bucket = kernel.layout("inet_listen_hashbucket");
    auto link = sock_offset(kernel, "__sk_common.skc_nulls_node");
    if (!bucket || !link) {
        return std::unexpected(!bucket ? bucket.error() : link.error());
    }
    HashTable table;
    table.stride = (*bucket)->size();
    table.link = *link;
    auto head = (*bucket)->offset("nulls_head");
    if (!head || table.stride == 0) {
        return fail("struct inet_listen_hashbucket has no nulls_head here");
    }
    table.head = *head;
    if (auto inline_buckets = layout.field("listening_hash")) {
        table.name = "tcp_hashinfo.listening_hash";
        table.first = hashinfo + inline_buckets->offset;
        table.count = inline_buckets->size / table.stride;
        return table;
    }
    auto pointer = layout.require("lhash2");
    auto mask = layout.require("lhash2_mask");
    if (!pointer || !mask) {
        return std::unexpected(!pointer ? pointer.error() : mask.error());
    }
    table.name = "tcp_hashinfo.lhash2";
    table.first = record.get(*pointer);
    table.count = record.get(*mask) + 1;
    return table;
}

Result<HashTable> established_table(Kernel& kernel, const StructLayout& layout,
                                    const Record& record) {
    auto bucket = kernel.layout("inet_ehash_bucket");
    auto pointer = layout.require("ehash");
    auto mask = layout.require("ehash_mask");
    auto link = sock_offset(kernel, "__sk_common.skc_nulls_node");
    if (!bucket || !pointer || !mask || !link) {
        return fail("tcp_hashinfo's established hash is not described here (ehash, ehash_mask, "
                    "inet_ehash_bucket, sock.skc_nulls_node)");
    }
    auto chain = (*bucket)->offset("chain");
    if (!chain) {
        return std::unexpected(chain.error());
    }
    HashTable table;
    table.name = "tcp_hashinfo.ehash";
    table.first = record.get(*pointer);
    table.count = record.get(*mask) + 1;
    table.stride = (*bucket)->size();
    table.head = *chain;
    table.link = *link;
    return table;
}

// The UNIX hash: the global unix_socket_table[] before 6.0, then init_net.unx.table.buckets,
// which holds UNIX_HASH_SIZE lists, twice as many as bsd_socket_buckets[UNIX_HASH_SIZE / 2].
Result<HashTable> unix_table(Kernel& kernel) {
    HashTable table;
    auto link = sock_offset(kernel, "__sk_common.skc_node");
    if (!link) {
        return std::unexpected(link.error());
    }
    table.link = *link;
    if (auto global = kernel.variable("unix_socket_table")) {
        const debuginfo::Type* array = debuginfo::strip_typedefs(global->type);
        if (array == nullptr || array->kind != debuginfo::TypeKind::array || !array->count) {
            return fail("unix_socket_table is not a sized array here");
        }
        table.name = "unix_socket_table";
        table.first = global->address;
        table.count = *array->count;
        return table;
    }
    auto net = kernel.address_of("init_net");
    auto net_layout = kernel.layout("net");
    auto bsd = kernel.variable("bsd_socket_buckets");
    if (!net || !net_layout || !bsd) {
        return fail("neither unix_socket_table nor init_net.unx.table with bsd_socket_buckets "
                    "is here (is AF_UNIX built in?)");
    }
    auto buckets_at = (*net_layout)->offset("unx.table.buckets");
    if (!buckets_at) {
        return std::unexpected(buckets_at.error());
    }
    const debuginfo::Type* bsd_array = debuginfo::strip_typedefs(bsd->type);
    if (bsd_array == nullptr || bsd_array->kind != debuginfo::TypeKind::array ||
        !bsd_array->count) {
        return fail("bsd_socket_buckets is not a sized array here");
    }
    auto buckets = kernel.read_u64(*net + *buckets_at);
    if (!buckets) {
        return wrap(buckets.error(), "reading init_net.unx.table.buckets");
    }
    table.name = "init_net.unx.table.buckets";
    table.first = *buckets;
    table.count = 2 * *bsd_array->count;
    return table;
}

} // namespace

Result<std::vector<SocketInfo>> read_tcp_sockets(Kernel& kernel) {
    auto hashinfo = kernel.address_of("tcp_hashinfo");
    auto layout = kernel.layout("inet_hashinfo");
    auto reader = SockReader::load(kernel);
    auto net = initial_namespace(kernel);
    if (!hashinfo || !layout || !reader || !net) {
        return std::unexpected(!hashinfo ? hashinfo.error()
                               : !layout ? layout.error()
                               : !reader ? reader.error()
                                         : net.error());
    }
    auto record = kernel.read(*hashinfo, (*layout)->size());
    if (!record) {
        return wrap(record.error(), fmt::format("reading tcp_hashinfo at {:#x}", *hashinfo));
    }
    auto listening = listening_table(kernel, *hashinfo, **layout, *record);
    auto established = established_table(kernel, **layout, *record);
    if (!listening || !established) {
        return std::unexpected(!listening ? listening.error() : established.error());
    }
    TableWalker walker(kernel, *reader, *net);
    for (const HashTable* table : {&*listening, &*established}) {
        if (auto ok = walker.walk(*table); !ok) {
            return std::unexpected(ok.error());
        }
    }
    return walker.take();
}

Result<std::vector<SocketInfo>> read_unix_sockets(Kernel& kernel) {
    auto table = unix_table(kernel);
    auto reader = SockReader::load(kernel);
    auto net = initial_namespace(kernel);
    if (!table || !reader || !net) {
        return std::unexpected(!table ? table.error() : !reader ? reader.error() : net.error());
    }
    TableWalker walker(kernel, *reader, *net);
    if (auto ok = walker.walk(*table); !ok) {
        return std::unexpected(ok.error());
    }
    return walker.take();
}

} // namespace kdive::kernel

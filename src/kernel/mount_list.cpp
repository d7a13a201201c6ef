// The mounts of a namespace, in mount order, with paths as d_path() builds them (DentryPaths).
#include "kernel/mount_list.hpp"

#include "kernel/dentry_path.hpp"
#include "kernel/rb_tree.hpp"
#include "kernel/visited_nodes.hpp"

#include <algorithm>
#include <map>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_mounts = 1'000'000;

class MountReader {
public:
    MountReader(Kernel& kernel, DentryPaths paths) : kernel_(kernel), paths_(paths) {}

    Result<> init() {
        for (auto [name, into] : {std::pair{"super_block", &super_},
                                  {"file_system_type", &fs_type_},
                                  {"mnt_namespace", &ns_}}) {
            auto layout = kernel_.layout(name);
            if (!layout) {
                return std::unexpected(layout.error());
            }
            *into = *layout;
        }
        return {};
    }

    Result<std::uint64_t> field_u64(std::uint64_t address, const StructLayout& layout,
                                    std::string_view path) {
        auto offset = layout.offset(path);
        if (!offset) {
            return std::unexpected(offset.error());
        }
        return kernel_.read_u64(address + *offset);
    }

    DentryPaths& paths() { return paths_; }

    // nullopt when the mount is not reachable from the root.
    Result<std::optional<MountInfo>> describe(std::uint64_t mount) {
        MountInfo info;
        info.mount = mount;
        auto devname = field_u64(mount, this->mount(), "mnt_devname");
        if (!devname) {
            return std::unexpected(devname.error());
        }
        if (*devname != 0) {
            auto text = kernel_.read_c_string(*devname, 4096);
            info.device = text ? *text : "?";
        }
        auto root = field_u64(mount, this->mount(), "mnt.mnt_root");
        if (!root) {
            return std::unexpected(root.error());
        }
        auto path = paths_.path_of(mount, *root);
        if (!path) {
            return std::unexpected(path.error());
        }
        if (!*path) {
            return std::optional<MountInfo>();
        }
        info.path = **path;
        auto type = fs_type_name(mount);
        if (!type) {
            return std::unexpected(type.error());
        }
        info.type = *type;
        return std::optional<MountInfo>(std::move(info));
    }

    const StructLayout* ns() const { return ns_; }
    const StructLayout& mount() const { return paths_.mount_layout(); }

private:
    Result<std::string> fs_type_name(std::uint64_t mount) {
        auto sb = field_u64(mount, this->mount(), "mnt.mnt_sb");
        if (!sb) {
            return std::unexpected(sb.error());
        }
        if (auto found = type_names_.find(*sb); found != type_names_.end()) {
            return found->second;
        }
        auto type = field_u64(*sb, *super_, "s_type");
        if (!type) {
            return std::unexpected(type.error());
        }
        auto name = field_u64(*type, *fs_type_, "name");
        if (!name) {
            return std::unexpected(name.error());
        }
        auto text = kernel_.read_c_string(*name, 256);
        if (!text) {
            return std::unexpected(text.error());
        }
        type_names_[*sb] = *text;
        return *text;
    }

    Kernel& kernel_;
    DentryPaths paths_;
    const StructLayout* super_ = nullptr;
    const StructLayout* fs_type_ = nullptr;
    const StructLayout* ns_ = nullptr;
    std::map<std::uint64_t, std::string> type_names_;
};

} // namespace

Result<std::vector<MountInfo>> list_mounts(Kernel& kernel, std::uint64_t task) {
    auto paths = DentryPaths::load(kernel);
    if (!paths) {
        return std::unexpected(paths.error());
    }
    MountReader reader(kernel, *paths);
    if (auto ok = reader.init(); !ok) {
        return std::unexpected(ok.error());
    }
    auto task_layout = kernel.layout("task_struct");
    auto nsproxy_layout = kernel.layout("nsproxy");
    if (!task_layout || !nsproxy_layout) {
        return std::unexpected(!task_layout ? task_layout.error() : nsproxy_layout.error());
    }
    if (task == 0) {
        auto init = first_user_task(kernel);
        if (!init) {
            return std::unexpected(init.error());
        }
        task = *init;
    }
    if (auto ok = reader.paths().set_root_of_task(task); !ok) {
        return std::unexpected(ok.error());
    }
    auto nsproxy = reader.field_u64(task, **task_layout, "nsproxy");
    if (!nsproxy) {
        return std::unexpected(nsproxy.error());
    }
    if (*nsproxy == 0) {
        return fail("task {:#x} has exited (no nsproxy)", task);
    }
    auto ns = reader.field_u64(*nsproxy, **nsproxy_layout, "mnt_ns");
    if (!ns) {
        return std::unexpected(ns.error());
    }

    std::vector<std::uint64_t> mounts;
    // 6.8 keeps a namespace's mounts in an rb-tree (mnt_namespace.mounts, mount.mnt_node)
    // instead of the mnt_namespace.list/mount.mnt_list list (commit 2eea9ce4310d, "mounts: keep
    // list of mounts in an rbtree").
    if (auto tree = reader.ns()->field("mounts"); tree && reader.mount().has("mnt_node")) {
        auto root = kernel.read_u64(*ns + tree->offset);
        if (!root) {
            return wrap(root.error(), "reading mnt_namespace.mounts");
        }
        auto nodes = rb_tree_nodes(kernel, *root, fmt::format("the mount tree at {:#x}", *root));
        if (!nodes) {
            return std::unexpected(nodes.error());
        }
        const std::uint64_t node_offset = reader.mount().field("mnt_node")->offset;
        for (std::uint64_t node : *nodes) {
            mounts.push_back(node - node_offset);
        }
    } else {
        auto list = reader.ns()->offset("list");
        auto link = reader.mount().offset("mnt_list");
        if (!list || !link) {
            return std::unexpected(!list ? list.error() : link.error());
        }
        const std::uint64_t head = *ns + *list;
        auto node = kernel.read_u64(head);
        VisitedNodes visited(fmt::format("the mount list at {:#x}", head));
        while (node && *node != head && mounts.size() < max_mounts) {
            if (auto ok = visited.visit(*node); !ok) {
                return std::unexpected(ok.error());
            }
            mounts.push_back(*node - *link);
            node = kernel.read_u64(*node);
        }
        if (!node) {
            return wrap(node.error(), "reading the mount list");
        }
    }
    std::vector<MountInfo> out;
    for (std::uint64_t mount : mounts) {
        auto info = reader.describe(mount);
        if (!info) {
            return std::unexpected(info.error());
        }
        if (*info) {
            out.push_back(std::move(**info));
        }
    }
    return out;
}

} // namespace kdive::kernel

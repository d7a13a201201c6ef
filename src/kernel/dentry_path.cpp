// A dentry that is its own parent, or the root of its mount, hands over to the mount point in
// the parent mount; a mount that is its own parent is the top. Depth is bounded: the chain is
// guest data.
#include "kernel/dentry_path.hpp"

#include <vector>

namespace kdive::kernel {

namespace {

constexpr std::size_t max_depth = 4096;

} // namespace

Result<DentryPaths> DentryPaths::load(Kernel& kernel) {
    auto mount = kernel.layout("mount");
    if (!mount) {
        return std::unexpected(mount.error());
    }
    auto dentry = kernel.layout("dentry");
    if (!dentry) {
        return std::unexpected(dentry.error());
    }
    auto mnt = (*mount)->offset("mnt");
    if (!mnt) {
        return std::unexpected(mnt.error());
    }
    return DentryPaths(kernel, *mount, *dentry, *mnt);
}

Result<DentryPaths> DentryPaths::for_task(Kernel& kernel, std::uint64_t task) {
    auto paths = load(kernel);
    if (!paths) {
        return paths;
    }
    if (auto ok = paths->set_root_of_task(task); !ok) {
        return std::unexpected(ok.error());
    }
    return paths;
}

Result<std::uint64_t> DentryPaths::field_u64(std::uint64_t address, const StructLayout& layout,
                                             std::string_view path) {
    auto offset = layout.offset(path);
    if (!offset) {
        return std::unexpected(offset.error());
    }
    return kernel_->read_u64(address + *offset);
}

Result<> DentryPaths::set_root_of_task(std::uint64_t task) {
    auto task_layout = kernel_->layout("task_struct");
    auto fs_layout = kernel_->layout("fs_struct");
    if (!task_layout || !fs_layout) {
        return std::unexpected(!task_layout ? task_layout.error() : fs_layout.error());
    }
    auto fs = field_u64(task, **task_layout, "fs");
    if (!fs) {
        return wrap(fs.error(), fmt::format("reading the fs of task {:#x}", task));
    }
    if (*fs == 0) {
        return {};
    }
    auto root_mnt = field_u64(*fs, **fs_layout, "root.mnt");
    auto root_dentry = field_u64(*fs, **fs_layout, "root.dentry");
    if (!root_mnt || !root_dentry) {
        return std::unexpected(!root_mnt ? root_mnt.error() : root_dentry.error());
    }
    set_root(mount_of(*root_mnt), *root_dentry);
    return {};
}

Result<std::string> DentryPaths::name_of(std::uint64_t dentry) {
    auto name = field_u64(dentry, *dentry_, "d_name.name");
    if (!name) {
        return std::unexpected(name.error());
    }
    return kernel_->read_c_string(*name, 256);
}

Result<std::optional<std::string>> DentryPaths::path_of(std::uint64_t mount, std::uint64_t dentry) {
    std::vector<std::string> parts;
    bool reached_root = root_mount_ == 0;
    for (std::size_t depth = 0; depth < max_depth; ++depth) {
        if (mount == root_mount_ && dentry == root_dentry_) {
            reached_root = true;
            break;
        }
        auto mnt_root = field_u64(mount, *mount_, "mnt.mnt_root");
        auto parent = field_u64(dentry, *dentry_, "d_parent");
        if (!mnt_root || !parent) {
            return std::unexpected(!mnt_root ? mnt_root.error() : parent.error());
        }
        if (dentry == *mnt_root || *parent == dentry) {
            auto parent_mount = field_u64(mount, *mount_, "mnt_parent");
            if (!parent_mount) {
                return std::unexpected(parent_mount.error());
            }
            if (*parent_mount == mount || *parent_mount == 0) {
                break;
            }
            auto mountpoint = field_u64(mount, *mount_, "mnt_mountpoint");
            if (!mountpoint) {
                return std::unexpected(mountpoint.error());
            }
            dentry = *mountpoint;
            mount = *parent_mount;
            continue;
        }
        auto name = name_of(dentry);
        if (!name) {
            return std::unexpected(name.error());
        }
        parts.push_back(*name);
        dentry = *parent;
    }
    if (!reached_root) {
        return std::optional<std::string>();
    }
    std::string path;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
        path += "/" + *it;
    }
    return std::optional<std::string>(path.empty() ? "/" : path);
}

Result<std::string> DentryPaths::path_text(std::uint64_t vfsmount, std::uint64_t dentry) {
    if (vfsmount == 0) {
        return name_of(dentry);
    }
    auto path = path_of(mount_of(vfsmount), dentry);
    if (!path) {
        return std::unexpected(path.error());
    }
    return path->value_or("?");
}

Result<std::uint64_t> first_user_task(Kernel& kernel) {
    auto task_layout = kernel.layout("task_struct");
    if (!task_layout) {
        return std::unexpected(task_layout.error());
    }
    auto init = kernel.address_of("init_task");
    auto tasks = (*task_layout)->offset("tasks");
    if (!init || !tasks) {
        return std::unexpected(!init ? init.error() : tasks.error());
    }
    auto next = kernel.read_u64(*init + *tasks);
    if (!next) {
        return wrap(next.error(), "reading init_task.tasks");
    }
    return *next - *tasks == *init ? *init : *next - *tasks;
}

} // namespace kdive::kernel

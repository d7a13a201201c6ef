// Paths of dentries as d_path() builds them: up the dentry chain to the mount's root, then on
// from the mount point in the parent mount, until the reader's root.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace kdive::kernel {

class DentryPaths {
public:
    // The layouts of struct mount and struct dentry; an error naming what is missing.
    static Result<DentryPaths> load(Kernel& kernel);
    // Loaded, with the root of `task` (what its /proc files resolve paths against).
    static Result<DentryPaths> for_task(Kernel& kernel, std::uint64_t task);

    // Paths are relative to this root; without one, to the topmost mount reached.
    void set_root(std::uint64_t mount, std::uint64_t dentry) {
        root_mount_ = mount;
        root_dentry_ = dentry;
    }
    // The root of `task` (task->fs->root); a task without fs (a kernel thread that dropped it)
    // leaves the root unset.
    Result<> set_root_of_task(std::uint64_t task);

    // The struct mount around a struct vfsmount (file->f_path.mnt).
    std::uint64_t mount_of(std::uint64_t vfsmount) const { return vfsmount - mnt_offset_; }
    // nullopt when the dentry is not under the root (as /proc/mounts leaves such mounts out).
    Result<std::optional<std::string>> path_of(std::uint64_t mount, std::uint64_t dentry);
    Result<std::string> name_of(std::uint64_t dentry);
    // What readlink of /proc/PID/fd/N prints for a struct path (f_path.mnt, f_path.dentry): the
    // path from the root, "?" outside it, the dentry's name without a mount.
    Result<std::string> path_text(std::uint64_t vfsmount, std::uint64_t dentry);

    const StructLayout& mount_layout() const { return *mount_; }
    const StructLayout& dentry_layout() const { return *dentry_; }

private:
    DentryPaths(Kernel& kernel, const StructLayout* mount, const StructLayout* dentry,
                std::uint64_t mnt_offset)
        : kernel_(&kernel), mount_(mount), dentry_(dentry), mnt_offset_(mnt_offset) {}
    Result<std::uint64_t> field_u64(std::uint64_t address, const StructLayout& layout,
                                    std::string_view path);

    Kernel* kernel_;
    const StructLayout* mount_;
    const StructLayout* dentry_;
    std::uint64_t mnt_offset_;
    std::uint64_t root_mount_ = 0;
    std::uint64_t root_dentry_ = 0;
};

// init (pid 1): the first task forked, following init_task on the task list; its root is the
// one user space sees (7.x keeps init_task on a nullfs under the initramfs). init_task itself
// when nothing follows it.
Result<std::uint64_t> first_user_task(Kernel& kernel);

} // namespace kdive::kernel

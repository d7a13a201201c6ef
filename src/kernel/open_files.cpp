// task->files->fdt: open_fds says which descriptors are in use, so only their slots of the fd
// array are read. A pseudo file system's dentry names itself through d_op->d_dname; the three
// every process meets (pipes, sockets, anonymous inodes) are spelled here as the kernel does.
#include "kernel/open_files.hpp"

#include "kernel/dentry_path.hpp"

#include <algorithm>

namespace kdive::kernel {

namespace {

constexpr std::uint64_t max_fds = 1U << 20;

struct FileLayouts {
    const StructLayout* task = nullptr;
    const StructLayout* files = nullptr;
    const StructLayout* fdtable = nullptr;
    const StructLayout* file = nullptr;
    const StructLayout* inode = nullptr;
    const StructLayout* dentry_ops = nullptr;

    Result<> load(Kernel& kernel) {
        for (auto [name, into] : {std::pair{"task_struct", &task},
                                  {"files_struct", &files},
                                  {"fdtable", &fdtable},
                                  {"file", &file},
                                  {"inode", &inode},
                                  {"dentry_operations", &dentry_ops}}) {
            auto layout = kernel.layout(name);
            if (!layout) {
                return std::unexpected(layout.error());
            }
            *into = *layout;
        }
        return {};
    }
};

class FileReader {
public:
    FileReader(Kernel& kernel, const FileLayouts& layouts, DentryPaths& paths)
        : kernel_(kernel), layouts_(layouts), paths_(paths) {}

    Result<OpenFile> read(unsigned fd, std::uint64_t address) {
        OpenFile out;
        out.fd = fd;
        out.file = address;
        auto record = kernel_.read(address, layouts_.file->size());
        if (!record) {
            return wrap(record.error(), fmt::format("reading fd {}'s file at {:#x}", fd, address));
        }
        const auto get = [&](std::string_view path) -> Result<std::uint64_t> {
            auto field = layouts_.file->require(path);
            if (!field) {
                return std::unexpected(field.error());
            }
            return record->get(*field);
        };
        auto flags = get("f_flags");
        auto op = get("f_op");
        auto inode = get("f_inode");
        auto mnt = get("f_path.mnt");
        auto dentry = get("f_path.dentry");
        for (const auto* value : {&flags, &op, &inode, &mnt, &dentry}) {
            if (!*value) {
                return std::unexpected(value->error());
            }
        }
        out.flags = static_cast<std::uint32_t>(*flags);
        out.inode = *inode;
        out.operations = symbol_name(*op);
        if (*inode != 0) {
            auto number = kernel_.read_member(*inode, "inode", "i_ino");
            auto mode_at = layouts_.inode->offset("i_mode");
            if (!number || !mode_at) {
                return std::unexpected(!number ? number.error() : mode_at.error());
            }
            out.inode_number = *number;
            auto mode = kernel_.read(*inode + *mode_at, 2);
            if (!mode) {
                return wrap(mode.error(), fmt::format("reading the mode of inode {:#x}", *inode));
            }
            out.inode_mode = mode->u16(0);
        }
        auto path = path_of(*mnt, *dentry, out.inode_number);
        if (!path) {
            return wrap(path.error(), fmt::format("the path of fd {} (file {:#x})", fd, address));
        }
        out.path = std::move(*path);
        return out;
    }

private:
    std::string symbol_name(std::uint64_t address) { return kernel_.symbol_at(address); }

    Result<std::string> path_of(std::uint64_t mnt, std::uint64_t dentry, std::uint64_t ino) {
        if (dentry == 0) {
            return std::string();
        }
        auto ops = kernel_.read_member(dentry, "dentry", "d_op");
        if (!ops) {
            return std::unexpected(ops.error());
        }
        if (*ops != 0) {
            auto dname = kernel_.read_member(*ops, "dentry_operations", "d_dname");
            if (!dname) {
                return std::unexpected(dname.error());
            }
            if (*dname != 0) {
                const std::string function = symbol_name(*dname);
                if (function == "pipefs_dname") {
                    return fmt::format("pipe:[{}]", ino);
                }
                if (function == "sockfs_dname") {
                    return fmt::format("socket:[{}]", ino);
                }
                auto name = paths_.name_of(dentry);
                if (!name) {
                    return std::unexpected(name.error());
                }
                if (function == "anon_inodefs_dname") {
                    return "anon_inode:" + *name;
                }
                return *name; // another pseudo file system: its dentry's own name
            }
        }
        return paths_.path_text(mnt, dentry);
    }

    Kernel& kernel_;
    const FileLayouts& layouts_;
    DentryPaths& paths_;
};

} // namespace

std::string_view inode_type(std::uint32_t mode) {
    switch (mode & 0170000) {
    case 0100000:
        return "REG";
    case 0040000:
        return "DIR";
    case 0020000:
        return "CHR";
    case 0060000:
        return "BLK";
    case 0010000:
        return "FIFO";
    case 0120000:
        return "LNK";
    case 0140000:
        return "SOCK";
    default:
        return "?";
    }
}

Result<std::vector<OpenFile>> read_open_files(Kernel& kernel, std::uint64_t task) {
    FileLayouts layouts;
    if (auto ok = layouts.load(kernel); !ok) {
        return std::unexpected(ok.error());
    }
    auto paths = DentryPaths::for_task(kernel, task);
    if (!paths) {
        return std::unexpected(paths.error());
    }
    auto files = kernel.read_member(task, "task_struct", "files");
    if (!files) {
        return std::unexpected(files.error());
    }
    std::vector<OpenFile> out;
    if (*files == 0) {
        return out;
    }
    auto fdt = kernel.read_member(*files, "files_struct", "fdt");
    if (!fdt) {
        return std::unexpected(fdt.error());
    }
    auto table = kernel.read(*fdt, layouts.fdtable->size());
    if (!table) {
        return wrap(table.error(), fmt::format("reading the fd table at {:#x}", *fdt));
    }
    auto count_field = layouts.fdtable->require("max_fds");
    auto fd_field = layouts.fdtable->require("fd");
    auto open_field = layouts.fdtable->require("open_fds");
    if (!count_field || !fd_field || !open_field) {
        return std::unexpected(!count_field ? count_field.error()
                               : !fd_field  ? fd_field.error()
                                            : open_field.error());
    }
    const std::uint64_t count = table->get(*count_field);
    if (count > max_fds) {
        return fail_as(ErrorKind::corrupt, "the fd table at {:#x} claims {} descriptors", *fdt,
                       count);
    }
    const std::uint64_t slots = table->get(*fd_field);
    auto bitmap = kernel.read(table->get(*open_field), (count + 63) / 64 * 8);
    if (!bitmap) {
        return wrap(bitmap.error(), fmt::format("reading the open_fds of fd table {:#x}", *fdt));
    }
    FileReader reader(kernel, layouts, *paths);
    for (std::uint64_t fd = 0; fd < count; ++fd) {
        if ((bitmap->u64(fd / 64 * 8) >> (fd % 64) & 1) == 0) {
            continue;
        }
        auto file = kernel.read_u64(slots + fd * 8);
        if (!file) {
            return wrap(file.error(), fmt::format("reading fd {} of fd table {:#x}", fd, *fdt));
        }
        if (*file == 0) {
            continue; // reserved by an open in progress
        }
        auto entry = reader.read(static_cast<unsigned>(fd), *file & ~std::uint64_t{3});
        if (!entry) {
            return std::unexpected(entry.error());
        }
        out.push_back(std::move(*entry));
    }
    return out;
}

} // namespace kdive::kernel

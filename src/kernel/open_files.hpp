// A task's open files as /proc/PID/fd shows them: each descriptor's struct file, its path (as
// d_path() and the pseudo file systems' d_dname name it: "pipe:[INO]", "socket:[INO]",
// "anon_inode:[eventpoll]"), open flags, inode and file operations.
#pragma once

#include "kernel/kernel.hpp"
#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::kernel {

struct OpenFile {
    unsigned fd = 0;
    std::uint64_t file = 0;  // struct file
    std::string path;        // what readlink /proc/PID/fd/N prints
    std::uint32_t flags = 0; // f_flags (O_*), as /proc/PID/fdinfo's octal "flags"
    std::uint64_t inode = 0; // struct inode
    std::uint64_t inode_number = 0;
    std::uint32_t inode_mode = 0; // i_mode: S_IFREG, S_IFSOCK...
    std::string operations;       // the f_op table's symbol, "" when none names it
};

// The files of `task` by descriptor, in fd order. A task without files (exited, or a kernel
// thread) has none. More than 1 << 20 descriptors, or an fd table that cannot be read, is an
// error naming the address.
Result<std::vector<OpenFile>> read_open_files(Kernel& kernel, std::uint64_t task);

// "REG", "DIR", "CHR", "BLK", "FIFO", "LNK", "SOCK" as crash's files shows the inode's type.
std::string_view inode_type(std::uint32_t mode);

} // namespace kdive::kernel

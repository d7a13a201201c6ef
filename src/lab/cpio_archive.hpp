// In-memory model of a newc ("070701") cpio archive and its serializer.
#pragma once

#include "support/error.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace kdive::lab {

enum class CpioType { File, Directory, Symlink, CharDevice, BlockDevice, Fifo, Socket };

struct CpioEntry {
    std::string name; // relative, normalized ("bin/sh"), never absolute, never ".."
    CpioType type = CpioType::File;
    uint32_t permissions = 0644; // the low 12 bits of st_mode
    uint32_t uid = 0;
    uint32_t gid = 0;
    uint32_t dev_major = 0; // device nodes only
    uint32_t dev_minor = 0;
    std::string data;        // file contents or symlink target
    uint32_t link_group = 0; // entries sharing a non-zero group are hard links of one inode
};

struct CpioOptions {
    uint32_t mtime = 0; // one timestamp for every entry keeps the output reproducible
};

// Normalizes an archive member name: strips leading '/', collapses "//" and "./", and rejects
// ".." components and empty names, which could escape the extraction root.
Result<std::string> normalize_member_name(std::string_view name);

uint32_t cpio_mode(const CpioEntry& entry);

// Serializes entries in order, numbering inodes from 721 (as gen_init_cpio does) and appending
// the TRAILER!!! record. Hard links share an inode; the data goes with the last link.
std::string write_newc(const std::vector<CpioEntry>& entries, const CpioOptions& options);

// Reorders entries so every directory precedes its contents, inserting 0755 root directories
// for parents that are not listed. Order is otherwise preserved.
std::vector<CpioEntry> with_parents_first(std::vector<CpioEntry> entries);

} // namespace kdive::lab

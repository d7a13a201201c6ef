// newc serialization: 110-byte ASCII headers, names and data padded to 4 bytes.
#include "lab/cpio_archive.hpp"

#include <fmt/format.h>
#include <map>
#include <set>
#include <sys/stat.h>

namespace kdive::lab {

namespace {

constexpr uint32_t first_inode = 721;

void pad4(std::string& out) {
    while (out.size() % 4 != 0) {
        out.push_back('\0');
    }
}

void append_header(std::string& out, uint32_t ino, uint32_t mode, const CpioEntry& e,
                   uint32_t nlink, uint32_t mtime, size_t file_size, const std::string& name) {
    out += fmt::format("070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}"
                       "{:08X}{:08X}",
                       ino, mode, e.uid, e.gid, nlink, mtime, file_size, 0, 0, e.dev_major,
                       e.dev_minor, name.size() + 1, 0);
    out += name;
    out.push_back('\0');
    pad4(out);
}

std::string parent_of(const std::string& name) {
    auto slash = name.rfind('/');
    return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

} // namespace

Result<std::string> normalize_member_name(std::string_view name) {
    std::string out;
    size_t pos = 0;
    while (pos <= name.size()) {
        size_t end = name.find('/', pos);
        if (end == std::string_view::npos) {
            end = name.size();
        }
        std::string_view part = name.substr(pos, end - pos);
        if (part == "..") {
            return fail("name '{}' contains '..', which would escape the archive root", name);
        }
        if (!part.empty() && part != ".") {
            if (!out.empty()) {
                out += '/';
            }
            out += part;
        }
        pos = end + 1;
    }
    if (out.empty()) {
        return fail("name '{}' is empty after normalization", name);
    }
    return out;
}

uint32_t cpio_mode(const CpioEntry& entry) {
    uint32_t type_bits = 0;
    switch (entry.type) {
    case CpioType::File:
        type_bits = S_IFREG;
        break;
    case CpioType::Directory:
        type_bits = S_IFDIR;
        break;
    case CpioType::Symlink:
        type_bits = S_IFLNK;
        break;
    case CpioType::CharDevice:
        type_bits = S_IFCHR;
        break;
    case CpioType::BlockDevice:
        type_bits = S_IFBLK;
        break;
    case CpioType::Fifo:
        type_bits = S_IFIFO;
        break;
    case CpioType::Socket:
        type_bits = S_IFSOCK;
        break;
    }
    return type_bits | (entry.permissions & 07777);
}

std::string write_newc(const std::vector<CpioEntry>& entries, const CpioOptions& options) {
    std::map<uint32_t, uint32_t> links_in_group;
    for (const auto& e : entries) {
        if (e.link_group != 0) {
            ++links_in_group[e.link_group];
        }
    }
    std::map<uint32_t, uint32_t> group_inode;
    std::map<uint32_t, uint32_t> group_seen;
    std::string out;
    uint32_t next_inode = first_inode;
    for (const auto& e : entries) {
        uint32_t ino = 0;
        uint32_t nlink = e.type == CpioType::Directory ? 2 : 1;
        bool carries_data = e.type == CpioType::File || e.type == CpioType::Symlink;
        if (e.link_group != 0) {
            auto [it, inserted] = group_inode.try_emplace(e.link_group, next_inode);
            if (inserted) {
                ++next_inode;
            }
            ino = it->second;
            nlink = links_in_group[e.link_group];
            carries_data = ++group_seen[e.link_group] == nlink;
        } else {
            ino = next_inode++;
        }
        size_t size = carries_data ? e.data.size() : 0;
        append_header(out, ino, cpio_mode(e), e, nlink, options.mtime, size, e.name);
        if (size != 0) {
            out += e.data;
            pad4(out);
        }
    }
    CpioEntry trailer;
    trailer.permissions = 0;
    append_header(out, 0, 0, trailer, 1, 0, 0, "TRAILER!!!");
    return out;
}

std::vector<CpioEntry> with_parents_first(std::vector<CpioEntry> entries) {
    std::map<std::string, size_t> declared_dirs;
    for (size_t i = 0; i < entries.size(); ++i) {
        if (entries[i].type == CpioType::Directory) {
            declared_dirs.try_emplace(entries[i].name, i);
        }
    }
    std::vector<CpioEntry> out;
    out.reserve(entries.size());
    std::set<std::string> emitted_dirs;
    std::vector<bool> used(entries.size(), false);
    auto emit_parents = [&](const std::string& name, auto& self) -> void {
        std::string parent = parent_of(name);
        if (parent.empty() || emitted_dirs.contains(parent)) {
            return;
        }
        self(parent, self);
        emitted_dirs.insert(parent);
        if (auto it = declared_dirs.find(parent); it != declared_dirs.end()) {
            used[it->second] = true;
            out.push_back(entries[it->second]);
        } else {
            CpioEntry dir;
            dir.name = parent;
            dir.type = CpioType::Directory;
            dir.permissions = 0755;
            out.push_back(dir);
        }
    };
    for (size_t i = 0; i < entries.size(); ++i) {
        if (used[i]) {
            continue;
        }
        if (entries[i].type == CpioType::Directory && emitted_dirs.contains(entries[i].name)) {
            continue; // a duplicate declaration; the first one already stands
        }
        emit_parents(entries[i].name, emit_parents);
        used[i] = true;
        if (entries[i].type == CpioType::Directory) {
            emitted_dirs.insert(entries[i].name);
        }
        out.push_back(std::move(entries[i]));
    }
    return out;
}

} // namespace kdive::lab

// Debug files are opened once per server; GDB reads the list again at every stop it is told
// the libraries changed, and on connect.
#include "server/library_list.hpp"

#include "rsp/xml_tags.hpp"
#include "support/guest_text.hpp"

#include <fmt/format.h>

namespace kdive::server {

namespace {

// Where the sections the kernel did not load go: an address outside both halves of the address
// space (x86-64 and arm64 alike), which no pc or pointer can hold, so GDB never takes an
// address there for part of a module (at 0 it would name small numbers on a stack after the
// module).
constexpr std::uint64_t unplaced_section_address = 0x8000000000000000ull;

} // namespace

std::string LibraryList::document(const std::vector<kernel::ModuleDebugInfo::SymbolFile>& modules,
                                  std::vector<std::string>& notes) {
    std::string xml = "<library-list>\n";
    for (const auto& module : modules) {
        auto& file = files_[module.file];
        if (!file) {
            auto opened = debuginfo::ElfFile::open(module.file);
            if (!opened) {
                notes.push_back(fmt::format("module {}: {}", terminal_text(module.name),
                                            opened.error().message));
                files_.erase(module.file);
                continue;
            }
            file = std::move(*opened);
        }
        xml += fmt::format("<library name=\"{}\">", rsp::xml_escape(module.file.string()));
        for (const auto& section : file->sections()) {
            if (!section.allocated()) {
                continue;
            }
            const auto placed = module.sections.find(section.name);
            xml += fmt::format("<section address=\"{:#x}\"/>", placed == module.sections.end()
                                                                   ? unplaced_section_address
                                                                   : placed->second);
        }
        xml += "</library>\n";
    }
    xml += "</library-list>\n";
    return xml;
}

} // namespace kdive::server

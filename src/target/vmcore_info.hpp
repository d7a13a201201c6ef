// The kernel's VMCOREINFO text ("OSRELEASE=6.1.0-57-cloud-amd64\nKERNELOFFSET=0\n..."), as
// kdump and QEMU's vmcoreinfo device put it in a dump.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace kdive::target {

class VmcoreInfo {
public:
    // Lines without '=' are skipped; bytes after a NUL are ignored.
    static VmcoreInfo parse(std::string_view text);

    std::optional<std::string_view> text(std::string_view key) const;
    // A number as VMCOREINFO writes it: KERNELOFFSET and SYMBOL(...) in hex without 0x,
    // NUMBER(...) and SIZE(...)/OFFSET(...) in decimal.
    std::optional<std::uint64_t> hex(std::string_view key) const;
    std::optional<std::int64_t> decimal(std::string_view key) const;
    bool empty() const { return values_.empty(); }

private:
    std::map<std::string, std::string, std::less<>> values_;
};

} // namespace kdive::target

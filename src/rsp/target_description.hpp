// Target description XML (with xi:include) → RegisterMap: name, number, size, offset in `g`.
#pragma once

#include "support/error.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kdive::rsp {

struct RegisterInfo {
    std::string name;
    int regnum = 0;
    int bitsize = 0;
    std::size_t offset = 0; // byte offset in the `g` reply
    std::string type;       // "int64", "code_ptr", "i387_ext", ...
    std::string group;
    std::string feature; // e.g. "org.gnu.gdb.i386.core"

    std::size_t size() const { return static_cast<std::size_t>(bitsize + 7) / 8; }
};

struct RegisterMap {
    std::string architecture;            // "i386:x86-64"
    std::vector<RegisterInfo> registers; // ascending regnum, as laid out in `g`

    const RegisterInfo* find(std::string_view name) const;
    // Bytes the `g` reply holds when it carries every described register.
    std::size_t g_size() const;
};

// Returns the text of a named annex ("target.xml", "i386-64bit.xml").
using AnnexReader = std::function<Result<std::string>(const std::string& annex)>;

// Reads `annex` and everything it includes, then lays the registers out.
Result<RegisterMap> load_target_description(const AnnexReader& read_annex,
                                            const std::string& annex = "target.xml");

} // namespace kdive::rsp

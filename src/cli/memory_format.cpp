// Rendering of `x` output: words per line and spacing follow GDB so output looks familiar.
#include "cli/memory_format.hpp"

#include "arch/architecture.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace kdive::cli {

namespace {

constexpr std::size_t max_examine_bytes = 1u << 20;
constexpr std::size_t max_string = 4096;
constexpr std::size_t max_instruction = 15;

std::uint64_t load(const std::uint8_t* bytes, std::size_t unit) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < unit; ++i)
        value |= std::uint64_t{bytes[i]} << (8 * i);
    return value;
}

std::int64_t sign_extend(std::uint64_t value, std::size_t unit) {
    if (unit == 8)
        return static_cast<std::int64_t>(value);
    std::uint64_t sign = 1ull << (unit * 8 - 1);
    return static_cast<std::int64_t>((value ^ sign) - sign);
}

std::string escape_string(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
        auto b = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\')
            out += fmt::format("\\{}", c);
        else if (c == '\n')
            out += "\\n";
        else if (c == '\t')
            out += "\\t";
        else if (std::isprint(b))
            out.push_back(c);
        else
            out += fmt::format("\\{:03o}", b);
    }
    return out + "\"";
}

// Reads up to `want` bytes, fewer if memory ends earlier (for strings and instructions whose
// length is unknown up front).
std::vector<std::uint8_t> read_up_to(target::Target& target, std::uint64_t address,
                                     std::size_t want) {
    std::vector<std::uint8_t> bytes(want);
    if (target.read_memory(address, bytes))
        return bytes;
    std::size_t to_page = 4096 - address % 4096;
    if (to_page >= want)
        return {};
    bytes.resize(to_page);
    if (target.read_memory(address, bytes))
        return bytes;
    return {};
}

Result<std::string> examine_strings(target::Target& target, std::uint64_t address,
                                    std::size_t count) {
    std::string out;
    for (std::size_t n = 0; n < count; ++n) {
        std::string text;
        std::uint64_t at = address;
        for (;;) {
            // Page-sized pieces: the cache makes the second read of a page free.
            std::size_t chunk = 4096 - at % 4096;
            std::vector<std::uint8_t> bytes(chunk);
            if (auto ok = target.read_memory(at, bytes); !ok) {
                if (text.empty() && at == address)
                    return std::unexpected(ok.error());
                break;
            }
            auto nul = std::find(bytes.begin(), bytes.end(), 0);
            text.append(bytes.begin(), nul);
            at += static_cast<std::uint64_t>(nul - bytes.begin());
            if (nul != bytes.end() || text.size() >= max_string)
                break;
        }
        bool truncated = text.size() > max_string;
        if (truncated)
            text.resize(max_string);
        out += fmt::format("{:#x}:\t{}{}\n", address, escape_string(text), truncated ? "..." : "");
        address += text.size() + 1;
    }
    return out;
}

Result<std::string> examine_instructions(target::Target& target, std::uint64_t address,
                                         std::size_t count, CpuMode mode) {
    std::string out;
    for (std::size_t n = 0; n < count;) {
        auto bytes =
            read_up_to(target, address, std::min<std::size_t>(count - n, 64) * max_instruction);
        if (bytes.empty()) {
            auto error = target.read_bytes(address, 1);
            if (!error)
                return std::unexpected(error.error());
            return fail("cannot read instructions at {:#x}", address);
        }
        auto decoded = disassemble(bytes, address, mode, count - n);
        if (!decoded)
            return std::unexpected(decoded.error());
        for (const auto& insn : *decoded) {
            out += fmt::format("{:#x}:\t{}\n", insn.address, insn.text);
            address = insn.address + insn.size;
            ++n;
        }
    }
    return out;
}

} // namespace

Result<ExamineFormat> parse_examine_format(std::string_view spec) {
    ExamineFormat format;
    if (spec.empty())
        return format;
    if (spec.front() != '/')
        return fail("bad examine format '{}': expected /NFU", spec);
    spec.remove_prefix(1);
    std::size_t digits = 0;
    while (digits < spec.size() && std::isdigit(static_cast<unsigned char>(spec[digits])))
        ++digits;
    if (digits > 0) {
        auto [end, ec] = std::from_chars(spec.data(), spec.data() + digits, format.count);
        if (ec != std::errc{} || format.count == 0)
            return fail("bad count in examine format '/{}'", spec);
    }
    bool unit_given = false;
    for (char c : spec.substr(digits)) {
        switch (c) {
        case 'x':
        case 'd':
        case 'u':
        case 's':
        case 'i':
            format.format = c;
            break;
        case 'b':
            format.unit = 1;
            unit_given = true;
            break;
        case 'h':
            format.unit = 2;
            unit_given = true;
            break;
        case 'w':
            format.unit = 4;
            unit_given = true;
            break;
        case 'g':
            format.unit = 8;
            unit_given = true;
            break;
        default:
            return fail("unknown letter '{}' in examine format '/{}' (formats x d u s i, units "
                        "b h w g)",
                        c, spec);
        }
    }
    if (format.format == 's' && !unit_given)
        format.unit = 1;
    if (format.count * format.unit > max_examine_bytes)
        return fail("examine: at most {} bytes at once", max_examine_bytes);
    return format;
}

CpuMode cpu_mode(target::Target& target) {
    if (arch::architecture_of(target).machine == arch::Machine::aarch64) {
        return CpuMode::aarch64;
    }
    auto efer = target.read_register("efer");
    if (efer && (*efer & (1u << 10)) != 0)
        return CpuMode::long64;
    auto cr0 = target.read_register("cr0");
    if (cr0 && (*cr0 & 1u) != 0)
        return CpuMode::protected32;
    return CpuMode::real16;
}

Result<std::string> examine(target::Target& target, std::uint64_t address,
                            const ExamineFormat& format, CpuMode mode) {
    if (format.format == 's')
        return examine_strings(target, address, format.count);
    if (format.format == 'i')
        return examine_instructions(target, address, format.count, mode);
    auto bytes = target.read_bytes(address, format.count * format.unit);
    if (!bytes)
        return std::unexpected(bytes.error());
    std::size_t per_line = format.unit == 8 ? 2 : format.unit == 4 ? 4 : 8;
    std::string out;
    for (std::size_t i = 0; i < format.count; ++i) {
        if (i % per_line == 0)
            out += fmt::format("{}{:#x}:", i == 0 ? "" : "\n", address + i * format.unit);
        std::uint64_t value = load(bytes->data() + i * format.unit, format.unit);
        if (format.format == 'x')
            out += fmt::format("\t0x{:0{}x}", value, format.unit * 2);
        else if (format.format == 'd')
            out += fmt::format("\t{}", sign_extend(value, format.unit));
        else
            out += fmt::format("\t{}", value);
    }
    return out + "\n";
}

} // namespace kdive::cli

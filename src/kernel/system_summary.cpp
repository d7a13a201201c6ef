// totalram_pages became _totalram_pages (an atomic_long_t) in 5.0; avenrun is unsigned long[3]
// in 11-bit fixed point on every supported kernel.
#include "kernel/system_summary.hpp"

namespace kdive::kernel {

namespace {

constexpr unsigned fshift = 11;
constexpr std::uint64_t fixed_1 = std::uint64_t{1} << fshift;

} // namespace

double load_from_fixed_point(std::uint64_t value) {
    const std::uint64_t rounded = value + fixed_1 / 200; // as fs/proc/loadavg.c rounds
    const std::uint64_t whole = rounded >> fshift;
    const std::uint64_t hundredths = ((rounded & (fixed_1 - 1)) * 100) >> fshift;
    return static_cast<double>(whole) + static_cast<double>(hundredths) / 100.0;
}

Result<SystemSummary> read_system_summary(Kernel& kernel) {
    SystemSummary out;
    auto uts = kernel.address_of("init_uts_ns");
    if (!uts) {
        return std::unexpected(uts.error());
    }
    auto layout = kernel.layout("uts_namespace");
    if (!layout) {
        return std::unexpected(layout.error());
    }
    for (auto [member, slot] :
         {std::pair{"name.nodename", &out.nodename}, std::pair{"name.release", &out.release},
          std::pair{"name.version", &out.version}, std::pair{"name.machine", &out.machine}}) {
        auto field = (*layout)->require(member);
        if (!field) {
            return std::unexpected(field.error());
        }
        auto text = kernel.read_c_string(*uts + field->offset, 65);
        if (!text) {
            return wrap(text.error(), fmt::format("reading init_uts_ns.{}", member));
        }
        *slot = std::move(*text);
    }
    const char* pages_symbol =
        kernel.has_symbol("_totalram_pages") ? "_totalram_pages" : "totalram_pages";
    auto pages_at = kernel.address_of(pages_symbol);
    if (!pages_at) {
        return std::unexpected(pages_at.error());
    }
    auto pages = kernel.read_u64(*pages_at);
    if (!pages) {
        return wrap(pages.error(), fmt::format("reading {}", pages_symbol));
    }
    if (*pages > (std::uint64_t{1} << 52) / page_bytes) {
        return fail_as(ErrorKind::corrupt, "{} is {}: more memory than x86-64 addresses",
                       pages_symbol, *pages);
    }
    out.memory_bytes = *pages * page_bytes;
    auto avenrun = kernel.address_of("avenrun");
    if (!avenrun) {
        return std::unexpected(avenrun.error());
    }
    auto loads = kernel.read(*avenrun, 24);
    if (!loads) {
        return wrap(loads.error(), "reading avenrun");
    }
    for (std::size_t i = 0; i < out.load_average.size(); ++i) {
        out.load_average[i] = load_from_fixed_point(loads->u64(8 * i));
    }
    return out;
}

} // namespace kdive::kernel

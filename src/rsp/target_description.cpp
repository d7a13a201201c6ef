// Register layout from target descriptions; offsets follow regnum order, as `g` does.
#include "rsp/target_description.hpp"

#include "rsp/xml_tags.hpp"

#include <algorithm>
#include <charconv>

namespace kdive::rsp {

namespace {

constexpr int max_include_depth = 8;

struct Collector {
    const AnnexReader& read_annex;
    RegisterMap map;
    int next_regnum = 0;
    std::vector<std::string> open_annexes; // include chain, to refuse cycles

    Result<int> number(std::string_view text, std::string_view what, const std::string& annex) {
        int value = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc{} || end != text.data() + text.size() || value < 0)
            return fail_as(ErrorKind::corrupt, "{}: bad {} '{}'", annex, what, text);
        return value;
    }

    Result<> load(const std::string& annex) {
        if (open_annexes.size() >= max_include_depth)
            return fail_as(ErrorKind::corrupt, "{}: xi:include nested more than {} deep", annex,
                           max_include_depth);
        if (std::find(open_annexes.begin(), open_annexes.end(), annex) != open_annexes.end())
            return fail_as(ErrorKind::corrupt, "{}: includes itself", annex);
        auto text = read_annex(annex);
        if (!text)
            return wrap(text.error(), fmt::format("reading target description {}", annex));
        auto tags = scan_xml_tags(*text);
        if (!tags)
            return wrap(tags.error(), annex);
        open_annexes.push_back(annex);
        std::string feature;
        for (const auto& tag : *tags) {
            if (tag.closing)
                continue;
            if (tag.name == "architecture") {
                map.architecture = tag.text;
            } else if (tag.name == "feature") {
                feature = std::string(tag.attribute("name"));
            } else if (tag.name == "xi:include") {
                auto href = tag.attribute("href");
                if (href.empty())
                    return fail_as(ErrorKind::corrupt, "{}: xi:include without href", annex);
                if (auto included = load(std::string(href)); !included)
                    return included;
            } else if (tag.name == "reg") {
                if (auto added = add_register(tag, feature, annex); !added)
                    return added;
            }
        }
        open_annexes.pop_back();
        return {};
    }

    Result<> add_register(const XmlTag& tag, const std::string& feature, const std::string& annex) {
        RegisterInfo info;
        info.name = std::string(tag.attribute("name"));
        if (info.name.empty())
            return fail_as(ErrorKind::corrupt, "{}: <reg> without a name", annex);
        auto bits = number(tag.attribute("bitsize"), "bitsize of " + info.name, annex);
        if (!bits)
            return std::unexpected(bits.error());
        if (*bits == 0 || *bits > 4096)
            return fail_as(ErrorKind::corrupt, "{}: register {} has bitsize {}", annex, info.name,
                           *bits);
        info.bitsize = *bits;
        info.regnum = next_regnum;
        if (auto explicit_number = tag.attribute("regnum"); !explicit_number.empty()) {
            auto regnum = number(explicit_number, "regnum of " + info.name, annex);
            if (!regnum)
                return std::unexpected(regnum.error());
            info.regnum = *regnum;
        }
        next_regnum = info.regnum + 1;
        info.type = std::string(tag.attribute("type"));
        info.group = std::string(tag.attribute("group"));
        info.feature = feature;
        map.registers.push_back(std::move(info));
        return {};
    }
};

} // namespace

const RegisterInfo* RegisterMap::find(std::string_view name) const {
    for (const auto& info : registers)
        if (info.name == name)
            return &info;
    return nullptr;
}

std::size_t RegisterMap::g_size() const {
    if (registers.empty())
        return 0;
    const auto& last = registers.back();
    return last.offset + last.size();
}

Result<RegisterMap> load_target_description(const AnnexReader& read_annex,
                                            const std::string& annex) {
    Collector collector{read_annex, {}, 0, {}};
    if (auto loaded = collector.load(annex); !loaded)
        return std::unexpected(loaded.error());
    RegisterMap map = std::move(collector.map);
    if (map.registers.empty())
        return fail_as(ErrorKind::corrupt, "target description {} describes no registers", annex);
    std::stable_sort(map.registers.begin(), map.registers.end(),
                     [](const auto& a, const auto& b) { return a.regnum < b.regnum; });
    std::size_t offset = 0;
    for (std::size_t i = 0; i < map.registers.size(); ++i) {
        auto& info = map.registers[i];
        if (i > 0 && info.regnum == map.registers[i - 1].regnum)
            return fail_as(ErrorKind::corrupt,
                           "target description {}: registers {} and {} share number {}", annex,
                           map.registers[i - 1].name, info.name, info.regnum);
        // `g` has no holes for unnumbered registers: each follows the previous one.
        info.offset = offset;
        offset += info.size();
    }
    return map;
}

} // namespace kdive::rsp

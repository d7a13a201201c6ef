// JSON (de)serialisation of kernel.json with nlohmann_json.
#include "lab/kernel_manifest.hpp"

#include "support/atomic_file.hpp"

#include <nlohmann/json.hpp>

namespace kdive::lab {

std::string KernelManifest::to_json() const {
    nlohmann::json j;
    j["name"] = name;
    j["suite"] = suite;
    j["release"] = release;
    j["mirror"] = mirror;
    j["arch"] = arch_name(arch);
    j["fetched_at"] = fetched_at;
    j["packages"] = nlohmann::json::array();
    for (const auto& p : packages) {
        j["packages"].push_back({{"name", p.name}, {"version", p.version}, {"size", p.size}});
    }
    return j.dump(2) + "\n";
}

Result<KernelManifest> KernelManifest::from_json(std::string_view text) {
    auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
        return fail("not a JSON object");
    }
    auto text_field = [&j](const char* key) -> std::string {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    KernelManifest m;
    m.name = text_field("name");
    m.suite = text_field("suite");
    m.release = text_field("release");
    m.mirror = text_field("mirror");
    m.fetched_at = text_field("fetched_at");
    if (m.name.empty() || m.release.empty()) {
        return fail("missing \"name\" or \"release\"");
    }
    if (auto it = j.find("arch"); it != j.end()) {
        auto arch = it->is_string() ? parse_arch(it->get<std::string>()) : std::nullopt;
        if (!arch) {
            return fail("unknown architecture {}", it->dump());
        }
        m.arch = *arch;
    }
    if (auto it = j.find("packages"); it != j.end() && it->is_array()) {
        for (const auto& p : *it) {
            if (!p.is_object()) {
                continue;
            }
            ManifestPackage pkg;
            pkg.name = p.value("name", "");
            pkg.version = p.value("version", "");
            pkg.size = p.value("size", std::uint64_t{0});
            m.packages.push_back(std::move(pkg));
        }
    }
    return m;
}

Result<KernelManifest> KernelManifest::read(const std::filesystem::path& file) {
    auto text = read_file(file);
    if (!text) {
        return std::unexpected(text.error());
    }
    auto manifest = from_json(*text);
    if (!manifest) {
        return wrap(manifest.error(), file.string());
    }
    return manifest;
}

} // namespace kdive::lab

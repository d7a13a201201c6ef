// A target description is small, machine-written XML; this scanner covers what GDB's DTD allows
// (no namespaces beyond the "xi:" prefix kept in names, no CDATA) without a library.
#include "rsp/xml_tags.hpp"

#include <cctype>

namespace kdive::rsp {

namespace {

bool is_name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == ':' ||
           c == '.';
}

Result<std::string> decode_entities(std::string_view text, std::size_t where) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '&') {
            out.push_back(text[i]);
            continue;
        }
        auto semi = text.find(';', i);
        if (semi == std::string_view::npos)
            return fail_as(ErrorKind::corrupt, "XML offset {}: unterminated entity", where + i);
        std::string_view entity = text.substr(i + 1, semi - i - 1);
        if (entity == "lt")
            out.push_back('<');
        else if (entity == "gt")
            out.push_back('>');
        else if (entity == "amp")
            out.push_back('&');
        else if (entity == "quot")
            out.push_back('"');
        else if (entity == "apos")
            out.push_back('\'');
        else
            return fail_as(ErrorKind::corrupt, "XML offset {}: unknown entity '&{};'", where + i,
                           entity);
        i = semi;
    }
    return out;
}

void skip_spaces(std::string_view xml, std::size_t& i) {
    while (i < xml.size() && std::isspace(static_cast<unsigned char>(xml[i])))
        ++i;
}

// Skips "<!DOCTYPE ...>", which may hold a bracketed internal subset.
Result<std::size_t> skip_declaration(std::string_view xml, std::size_t i) {
    int depth = 0;
    for (; i < xml.size(); ++i) {
        if (xml[i] == '[')
            ++depth;
        else if (xml[i] == ']')
            --depth;
        else if (xml[i] == '>' && depth <= 0)
            return i + 1;
    }
    return fail_as(ErrorKind::corrupt, "XML: unterminated declaration");
}

Result<std::size_t> parse_tag(std::string_view xml, std::size_t i, XmlTag& tag) {
    std::size_t start = i;
    ++i; // '<'
    if (i < xml.size() && xml[i] == '/') {
        tag.closing = true;
        ++i;
    }
    std::size_t name_start = i;
    while (i < xml.size() && is_name_char(xml[i]))
        ++i;
    if (i == name_start)
        return fail_as(ErrorKind::corrupt, "XML offset {}: expected an element name", start);
    tag.name = std::string(xml.substr(name_start, i - name_start));
    for (;;) {
        skip_spaces(xml, i);
        if (i >= xml.size())
            return fail_as(ErrorKind::corrupt, "XML offset {}: unterminated tag <{}", start,
                           tag.name);
        if (xml[i] == '>')
            return i + 1;
        if (xml[i] == '/' && i + 1 < xml.size() && xml[i + 1] == '>') {
            tag.self_closing = true;
            return i + 2;
        }
        if (tag.closing)
            return fail_as(ErrorKind::corrupt, "XML offset {}: junk in closing tag </{}", i,
                           tag.name);
        std::size_t key_start = i;
        while (i < xml.size() && is_name_char(xml[i]))
            ++i;
        if (i == key_start)
            return fail_as(ErrorKind::corrupt, "XML offset {}: bad attribute in <{}>", i, tag.name);
        std::string key(xml.substr(key_start, i - key_start));
        skip_spaces(xml, i);
        if (i >= xml.size() || xml[i] != '=')
            return fail_as(ErrorKind::corrupt, "XML offset {}: attribute '{}' has no value", i,
                           key);
        ++i;
        skip_spaces(xml, i);
        if (i >= xml.size() || (xml[i] != '"' && xml[i] != '\''))
            return fail_as(ErrorKind::corrupt, "XML offset {}: attribute '{}' value is not quoted",
                           i, key);
        char quote = xml[i++];
        auto end = xml.find(quote, i);
        if (end == std::string_view::npos)
            return fail_as(ErrorKind::corrupt, "XML offset {}: unterminated value of '{}'", i, key);
        auto value = decode_entities(xml.substr(i, end - i), i);
        if (!value)
            return std::unexpected(value.error());
        tag.attributes.emplace_back(std::move(key), std::move(*value));
        i = end + 1;
    }
}

} // namespace

std::string_view XmlTag::attribute(std::string_view key) const {
    for (const auto& [attribute_name, value] : attributes)
        if (attribute_name == key)
            return value;
    return {};
}

Result<std::vector<XmlTag>> scan_xml_tags(std::string_view xml) {
    std::vector<XmlTag> tags;
    std::size_t i = 0;
    while (i < xml.size()) {
        auto open = xml.find('<', i);
        if (open == std::string_view::npos)
            open = xml.size();
        if (!tags.empty()) {
            auto text = decode_entities(xml.substr(i, open - i), i);
            if (!text)
                return std::unexpected(text.error());
            tags.back().text += *text;
        }
        if (open == xml.size())
            break;
        std::string_view rest = xml.substr(open);
        if (rest.starts_with("<!--")) {
            auto end = xml.find("-->", open + 4);
            if (end == std::string_view::npos)
                return fail_as(ErrorKind::corrupt, "XML offset {}: unterminated comment", open);
            i = end + 3;
        } else if (rest.starts_with("<?")) {
            auto end = xml.find("?>", open + 2);
            if (end == std::string_view::npos)
                return fail_as(ErrorKind::corrupt,
                               "XML offset {}: unterminated processing instruction", open);
            i = end + 2;
        } else if (rest.starts_with("<!")) {
            auto end = skip_declaration(xml, open);
            if (!end)
                return std::unexpected(end.error());
            i = *end;
        } else {
            XmlTag tag;
            auto end = parse_tag(xml, open, tag);
            if (!end)
                return std::unexpected(end.error());
            tags.push_back(std::move(tag));
            i = *end;
        }
    }
    return tags;
}

std::string xml_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&apos;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace kdive::rsp

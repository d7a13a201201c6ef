// Minimal XML tag scanner, enough for GDB target descriptions (elements, attributes, comments).
#pragma once

#include "support/error.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kdive::rsp {

struct XmlTag {
    std::string name;
    std::vector<std::pair<std::string, std::string>> attributes; // entity-decoded values
    bool closing = false;                                        // </name>
    bool self_closing = false;                                   // <name/>
    std::string text; // character data up to the next tag, entity-decoded

    // Empty when absent.
    std::string_view attribute(std::string_view key) const;
};

// Text safe inside an element or a quoted attribute: & < > " ' as entities. The caller makes
// control bytes printable first (XML 1.0 cannot carry most of them at all).
std::string xml_escape(std::string_view text);

// Tags in document order; comments, processing instructions and DOCTYPE are skipped.
Result<std::vector<XmlTag>> scan_xml_tags(std::string_view xml);

} // namespace kdive::rsp

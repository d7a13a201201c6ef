// `search` (crash's): where a value or string sits in kernel, user or physical memory. A value
// is 8 bytes unless -i (4) or -h (2) says otherwise, and is found at multiples of its size; a
// string (-c, the rest of the line) anywhere. Ctrl-C ends a long search with the hits so far.
#include "cli/interrupt_flag.hpp"
#include "cli/kernel_commands.hpp"
#include "kernel/memory_search.hpp"
#include "support/guest_text.hpp"
#include "support/text.hpp"

#include <nlohmann/json.hpp>

namespace kdive::cli {

namespace {

constexpr std::string_view search_usage =
    "usage: search [-k | -u PID | -p] [-s START] [-e END] [-l | -i | -h] VALUE | -c STRING";

kernel::SearchPattern value_pattern(std::uint64_t value, std::size_t size) {
    kernel::SearchPattern pattern;
    for (std::size_t i = 0; i < size; ++i) {
        pattern.bytes.push_back(static_cast<std::byte>(value >> (8 * i)));
    }
    pattern.alignment = size;
    return pattern;
}

} // namespace

Result<std::string> KernelCommands::search(std::vector<std::string>& args, bool json) {
    kernel::SearchRequest request;
    std::optional<std::string> text;
    if (auto at = std::ranges::find(args, "-c"); at != args.end()) {
        text = join_words(std::vector<std::string>(at + 1, args.end()));
        args.erase(at, args.end());
        if (text->empty()) {
            return fail_as(ErrorKind::invalid_input, "search -c: no string given");
        }
    }
    const bool physical = take_flag(args, "-p");
    (void)take_flag(args, "-k");
    auto user = take_value(args, "-u", "search");
    auto start = take_value(args, "-s", "search");
    auto end = take_value(args, "-e", "search");
    for (const auto* value : {&user, &start, &end}) {
        if (!*value) {
            return std::unexpected(value->error());
        }
    }
    std::size_t size = 8;
    if (take_flag(args, "-i")) {
        size = 4;
    } else if (take_flag(args, "-h")) {
        size = 2;
    } else {
        (void)take_flag(args, "-l");
    }
    if (physical && *user) {
        return fail_as(ErrorKind::invalid_input, "search: -p and -u are different spaces");
    }
    request.space = physical ? kernel::SearchSpace::physical
                    : *user  ? kernel::SearchSpace::user
                             : kernel::SearchSpace::kernel;
    if (*user) {
        auto task = task_of_pid_word("search -u", **user);
        if (!task) {
            return std::unexpected(task.error());
        }
        request.task = *task;
    }
    for (auto [option, into] : {std::pair{&start, &request.start}, {&end, &request.end}}) {
        if (**option) {
            auto value = address_argument("search", ***option);
            if (!value) {
                return std::unexpected(value.error());
            }
            *into = *value;
        }
    }
    kernel::SearchPattern pattern;
    std::uint64_t searched_value = 0;
    if (text) {
        for (const char c : *text) {
            pattern.bytes.push_back(static_cast<std::byte>(c));
        }
    } else {
        if (args.empty()) {
            return fail_as(ErrorKind::invalid_input, "{}", search_usage);
        }
        auto value = address_argument("search", join_words(args));
        if (!value) {
            return std::unexpected(value.error());
        }
        if (size < 8 && (*value >> (8 * size)) != 0) {
            return fail_as(ErrorKind::invalid_input, "search: {:#x} does not fit in {} bytes",
                           *value, size);
        }
        searched_value = *value;
        pattern = value_pattern(*value, size);
    }
    (void)take_interrupt_request(); // a Ctrl-C typed before is not meant for this search
    request.interrupted = [] { return take_interrupt_request(); };
    auto found = kernel::search_memory(**kernel(), pattern, request);
    if (!found) {
        return std::unexpected(found.error());
    }
    const std::string shown =
        text ? terminal_text(*text, TerminalText::field) : fmt::format("{:x}", searched_value);
    if (json) {
        nlohmann::json hits = nlohmann::json::array();
        for (const auto& hit : found->hits) {
            nlohmann::json row = {{"address", fmt::format("{:#x}", hit.address)}};
            if (hit.physical != 0 || request.space == kernel::SearchSpace::physical) {
                row["physical"] = fmt::format("{:#x}", hit.physical);
            }
            hits.push_back(std::move(row));
        }
        return dump_json({{"hits", hits},
                          {"searched", found->bytes_searched},
                          {"stopped", found->stopped ? nlohmann::json(found->stopped_why)
                                                     : nlohmann::json(nullptr)}});
    }
    std::string out;
    for (const auto& hit : found->hits) {
        out += fmt::format("{:x}: {}\n", hit.address, shown);
    }
    if (found->stopped) {
        out += fmt::format("({} after {} MiB)\n", found->stopped_why, found->bytes_searched >> 20);
    }
    return out;
}

} // namespace kdive::cli

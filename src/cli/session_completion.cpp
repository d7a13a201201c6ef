// Tab completion for the REPL: the command table decides what the word under the cursor is.
#include "cli/debugger_session.hpp"

#include <algorithm>
#include <filesystem>

namespace kdive::cli {

namespace {

bool blank(char c) {
    return c == ' ' || c == '\t';
}

// Host files for `shell`: the entries of the typed folder starting with the typed name.
Completion complete_file(std::string_view text) {
    std::size_t start = text.size();
    while (start > 0 && !blank(text[start - 1])) {
        --start;
    }
    const std::string typed(text.substr(start));
    const auto slash = typed.rfind('/');
    const std::string folder = slash == std::string::npos ? "." : typed.substr(0, slash + 1);
    const std::string name = slash == std::string::npos ? typed : typed.substr(slash + 1);
    Completion out{start, {}};
    std::error_code ec;
    for (std::filesystem::directory_iterator it(folder, ec), end; !ec && it != end;
         it.increment(ec)) {
        const std::string entry = it->path().filename().string();
        if (!entry.starts_with(name) || (name.empty() && entry.starts_with('.'))) {
            continue;
        }
        const std::string prefix = slash == std::string::npos ? "" : folder;
        out.candidates.push_back(prefix + entry + (it->is_directory(ec) ? "/" : ""));
    }
    std::sort(out.candidates.begin(), out.candidates.end());
    return out;
}

Completion shifted(Completion completion, std::size_t by) {
    completion.start += by;
    return completion;
}

} // namespace

Completion DebuggerSession::complete(std::string_view line) const {
    const CommandTable& table = CommandTable::repl();
    std::size_t word = 0;
    while (word < line.size() && blank(line[word])) {
        ++word;
    }
    std::size_t word_end = word;
    while (word_end < line.size() && !blank(line[word_end])) {
        ++word_end;
    }
    if (word_end == line.size()) {
        return {word, table.names_starting(line.substr(word))};
    }
    std::string_view name = line.substr(word, word_end - word);
    name = name.substr(0, name.find('/')); // print/x, x/4gx
    const CommandInfo* command = table.find(name);
    if (command == nullptr) {
        return {line.size(), {}};
    }
    std::size_t args = word_end;
    while (args < line.size() && blank(line[args])) {
        ++args;
    }
    if (command->name == "info") {
        std::size_t sub_end = args;
        while (sub_end < line.size() && !blank(line[sub_end])) {
            ++sub_end;
        }
        if (sub_end == line.size()) {
            return {args, table.names_starting(line.substr(args), "info")};
        }
        command = table.find(line.substr(args, sub_end - args), "info");
        if (command == nullptr) {
            return {line.size(), {}};
        }
        args = sub_end;
    }
    switch (command->arguments) {
    case ArgumentKind::command:
        return shifted(complete(line.substr(args)), args);
    case ArgumentKind::file:
        return complete_file(line);
    case ArgumentKind::expression:
    case ArgumentKind::location:
        if (expression_completer_) {
            const std::size_t at = line.find_first_not_of(" \t*", args);
            const std::size_t from = at == std::string_view::npos ? line.size() : at;
            return shifted(expression_completer_(line.substr(from)), from);
        }
        break;
    case ArgumentKind::none:
        break;
    }
    return {line.size(), {}};
}

} // namespace kdive::cli

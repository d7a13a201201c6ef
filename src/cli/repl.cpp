// libedit is used only on a terminal; piped input is read line by line so scripts work too.
#include "cli/repl.hpp"

#include "cli/interrupt_flag.hpp"
#include "cli/report.hpp"
#include "support/guest_text.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fmt/core.h>
#include <histedit.h>
#include <iostream>
#include <string>
#include <unistd.h>

namespace kdive::cli {

namespace {

const char* prompt(EditLine*) {
    return "(kdive) ";
}

std::string common_prefix(const std::vector<std::string>& words) {
    std::string prefix = words.front();
    for (const auto& word : words) {
        std::size_t n = 0;
        while (n < prefix.size() && n < word.size() && prefix[n] == word[n]) {
            ++n;
        }
        prefix.resize(n);
    }
    return prefix;
}

// Candidates in columns under the line, as readline lists them; a long list is cut.
void print_candidates(const std::vector<std::string>& words) {
    constexpr std::size_t most = 200;
    std::size_t width = 0;
    for (std::size_t i = 0; i < words.size() && i < most; ++i) {
        width = std::max(width, words[i].size());
    }
    width += 2;
    const std::size_t columns = std::max<std::size_t>(1, 80 / width);
    std::string out = "\n";
    for (std::size_t i = 0; i < words.size() && i < most; ++i) {
        out += terminal_text(words[i]);
        out += (i + 1) % columns == 0 ? std::string("\n")
                                      : std::string(width - std::min(width, words[i].size()), ' ');
    }
    if (out.back() != '\n') {
        out += '\n';
    }
    if (words.size() > most) {
        out += fmt::format("... and {} more\n", words.size() - most);
    }
    (void)std::fputs(out.c_str(), stdout);
}

// One editor with history, closed on scope exit; history is saved on the way out.
class LineEditor {
public:
    LineEditor(std::filesystem::path history_file, const DebuggerSession& session)
        : file_(std::move(history_file)), session_(session) {
        editor_ = el_init("kdive", stdin, stdout, stderr);
        history_ = history_init();
        HistEvent event;
        history(history_, &event, H_SETSIZE, 1000);
        history(history_, &event, H_SETUNIQUE, 1);
        if (!file_.empty()) {
            history(history_, &event, H_LOAD, file_.c_str());
        }
        el_set(editor_, EL_PROMPT, prompt);
        el_set(editor_, EL_EDITOR, "emacs");
        el_set(editor_, EL_HIST, history, history_);
        el_set(editor_, EL_CLIENTDATA, this);
        el_set(editor_, EL_ADDFN, "kdive-complete", "complete the word before the cursor",
               &LineEditor::complete);
        el_set(editor_, EL_BIND, "^I", "kdive-complete", nullptr);
        el_source(editor_, nullptr); // ~/.editrc
    }
    ~LineEditor() {
        HistEvent event;
        if (!file_.empty()) {
            std::error_code ignored;
            std::filesystem::create_directories(file_.parent_path(), ignored);
            history(history_, &event, H_SAVE, file_.c_str());
        }
        history_end(history_);
        el_end(editor_);
    }
    LineEditor(const LineEditor&) = delete;
    LineEditor& operator=(const LineEditor&) = delete;

    // nullopt at end of input; an empty line after Ctrl-C at the prompt (see interrupted()).
    std::optional<std::string> read_line() {
        int count = 0;
        interrupted_ = false;
        const char* line = el_gets(editor_, &count);
        if (line == nullptr) {
            if (count < 0 && errno == EINTR) {
                take_interrupt_request();
                (void)std::fputc('\n', stdout);
                interrupted_ = true;
                return std::string{};
            }
            return std::nullopt;
        }
        std::string text(line, static_cast<std::size_t>(count));
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
            text.pop_back();
        }
        if (!text.empty()) {
            HistEvent event;
            history(history_, &event, H_ENTER, text.c_str());
        }
        return text;
    }

    // The last read_line ended with Ctrl-C: nothing to run, not even a repeat.
    bool interrupted() const { return interrupted_; }

private:
    // Tab: the longest text every candidate shares is inserted (with a space after a single
    // complete word); when that adds nothing, the candidates are listed.
    static unsigned char complete(EditLine* editor, int /*key*/) {
        void* data = nullptr;
        el_get(editor, EL_CLIENTDATA, &data);
        const auto* self = static_cast<LineEditor*>(data);
        const LineInfo* line = el_line(editor);
        if (self == nullptr || line == nullptr) {
            return CC_ERROR;
        }
        const std::string_view before(line->buffer,
                                      static_cast<std::size_t>(line->cursor - line->buffer));
        Completion found;
        try {
            found = self->session_.complete(before);
        } catch (const std::exception&) {
            return CC_ERROR; // a completion that fails is no completion
        }
        if (found.candidates.empty() || found.start > before.size()) {
            return CC_ERROR;
        }
        const std::string_view typed = before.substr(found.start);
        const std::string shared = common_prefix(found.candidates);
        if (shared.size() > typed.size() && shared.starts_with(typed)) {
            std::string insert = shared.substr(typed.size());
            const bool whole =
                found.candidates.size() == 1 && !shared.ends_with('(') && !shared.ends_with('/');
            if (whole) {
                insert += ' ';
            }
            (void)el_insertstr(editor, insert.c_str());
            return CC_REFRESH;
        }
        if (found.candidates.size() == 1) {
            (void)el_insertstr(editor, " ");
            return CC_REFRESH;
        }
        print_candidates(found.candidates);
        return CC_REDISPLAY;
    }

    bool interrupted_ = false;
    std::filesystem::path file_;
    EditLine* editor_ = nullptr;
    History* history_ = nullptr;
    const DebuggerSession& session_;
};

} // namespace

bool run_repl(DebuggerSession& session, const std::filesystem::path& history_file) {
    bool terminal = ::isatty(STDIN_FILENO) != 0;
    std::optional<LineEditor> editor;
    if (terminal) {
        editor.emplace(history_file, session);
    }
    bool last_ok = true;
    std::string previous;
    // SIGTERM/SIGHUP end the loop like the end of input: the caller then detaches.
    while (!session.finished() && termination_signal() == 0) {
        std::optional<std::string> line;
        if (editor) {
            line = editor->read_line();
        } else {
            std::string text;
            if (std::getline(std::cin, text)) {
                line = std::move(text);
            }
        }
        if (!line) {
            break;
        }
        if (editor && editor->interrupted()) {
            continue;
        }
        // An empty line repeats the previous command, as in GDB (stepi, x).
        std::string command = line->empty() && terminal ? previous : *line;
        if (command.empty()) {
            continue;
        }
        previous = command;
        auto ok = session.execute(command);
        (void)std::fflush(stdout);
        last_ok = static_cast<bool>(ok);
        if (!ok) {
            print_command_error(ok.error().message);
        }
    }
    return terminal || last_ok;
}

} // namespace kdive::cli

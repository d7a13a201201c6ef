// libedit is used only on a terminal; piped input is read line by line so scripts work too.
#include "cli/repl.hpp"

#include "cli/interrupt_flag.hpp"
#include "cli/report.hpp"

#include <cerrno>
#include <cstdio>
#include <histedit.h>
#include <iostream>
#include <string>
#include <unistd.h>

namespace kdive::cli {

namespace {

const char* prompt(EditLine*) {
    return "(kdive) ";
}

// One editor with history, closed on scope exit; history is saved on the way out.
class LineEditor {
public:
    explicit LineEditor(std::filesystem::path history_file) : file_(std::move(history_file)) {
        editor_ = el_init("kdive", stdin, stdout, stderr);
        history_ = history_init();
        HistEvent event;
        history(history_, &event, H_SETSIZE, 1000);
        history(history_, &event, H_SETUNIQUE, 1);
        if (!file_.empty())
            history(history_, &event, H_LOAD, file_.c_str());
        el_set(editor_, EL_PROMPT, prompt);
        el_set(editor_, EL_EDITOR, "emacs");
        el_set(editor_, EL_HIST, history, history_);
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
                std::fputc('\n', stdout);
                interrupted_ = true;
                return std::string{};
            }
            return std::nullopt;
        }
        std::string text(line, static_cast<std::size_t>(count));
        while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
            text.pop_back();
        if (!text.empty()) {
            HistEvent event;
            history(history_, &event, H_ENTER, text.c_str());
        }
        return text;
    }

    // The last read_line ended with Ctrl-C: nothing to run, not even a repeat.
    bool interrupted() const { return interrupted_; }

private:
    bool interrupted_ = false;
    std::filesystem::path file_;
    EditLine* editor_ = nullptr;
    History* history_ = nullptr;
};

} // namespace

bool run_repl(DebuggerSession& session, const std::filesystem::path& history_file) {
    bool terminal = ::isatty(STDIN_FILENO) != 0;
    std::optional<LineEditor> editor;
    if (terminal)
        editor.emplace(history_file);
    bool last_ok = true;
    std::string previous;
    // SIGTERM/SIGHUP end the loop like the end of input: the caller then detaches.
    while (!session.finished() && termination_signal() == 0) {
        std::optional<std::string> line;
        if (editor) {
            line = editor->read_line();
        } else {
            std::string text;
            if (std::getline(std::cin, text))
                line = std::move(text);
        }
        if (!line)
            break;
        if (editor && editor->interrupted())
            continue;
        // An empty line repeats the previous command, as in GDB (stepi, x).
        std::string command = line->empty() && terminal ? previous : *line;
        if (command.empty())
            continue;
        previous = command;
        auto ok = session.execute(command);
        std::fflush(stdout);
        last_ok = static_cast<bool>(ok);
        if (!ok)
            print_command_error(ok.error().message);
    }
    return terminal || last_ok;
}

} // namespace kdive::cli

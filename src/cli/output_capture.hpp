// Command output collected in an unnamed temporary file instead of printed, for answers that go
// elsewhere (a debugger's `monitor` command).
#pragma once

#include "support/error.hpp"

#include <cstdio>
#include <memory>
#include <string>

namespace kdive::cli {

class OutputCapture {
public:
    static Result<std::unique_ptr<OutputCapture>> create();
    ~OutputCapture();
    OutputCapture(const OutputCapture&) = delete;
    OutputCapture& operator=(const OutputCapture&) = delete;

    // Where commands print.
    std::FILE* file() { return file_; }
    // Everything printed since the last take; the file is emptied.
    std::string take();

private:
    explicit OutputCapture(std::FILE* file) : file_(file) {}
    std::FILE* file_;
};

} // namespace kdive::cli

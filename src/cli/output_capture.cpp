// A file rather than a memory stream: commands print through stdio, and a FILE* from tmpfile()
// is what DebuggerStack takes.
#include "cli/output_capture.hpp"

#include <unistd.h>

namespace kdive::cli {

Result<std::unique_ptr<OutputCapture>> OutputCapture::create() {
    std::FILE* file = std::tmpfile();
    if (file == nullptr) {
        return fail("cannot create a temporary file for command output");
    }
    return std::unique_ptr<OutputCapture>(new OutputCapture(file));
}

OutputCapture::~OutputCapture() {
    (void)std::fclose(file_);
}

std::string OutputCapture::take() {
    std::string text;
    (void)std::fflush(file_);
    if (const long size = std::ftell(file_); size > 0) {
        text.resize(static_cast<std::size_t>(size));
        std::rewind(file_);
        text.resize(std::fread(text.data(), 1, text.size(), file_));
    }
    std::rewind(file_);
    (void)ftruncate(fileno(file_), 0);
    return text;
}

} // namespace kdive::cli

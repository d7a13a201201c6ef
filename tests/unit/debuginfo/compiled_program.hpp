// A small C program compiled by the real gcc for each test: the DWARF readers' input.
#pragma once

#include "support/subprocess.hpp"
#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace kdive::testing {

inline constexpr const char* sample_program_source = R"(#include <stddef.h>
enum color { RED, GREEN = 5, BLUE };
struct inner { int c; };
struct point {
    int x;
    int y;
    unsigned int flag : 1;
    unsigned int mode : 3;
    char name[8];
    struct inner in;
    union {
        long as_long;
        int as_int;
    };
    enum color color;
    struct point *next;
    void (*callback)(struct point *, int);
};
struct blob { int len; unsigned char data[]; };
typedef struct point point_t;
struct point origin = { 1, -2, 1, 5, "origin", { 7 }, { .as_long = 42 }, GREEN, &origin, 0 };
point_t *origin_ptr = &origin;
int counters[16] = { 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 1, 2 };
int grid[2][3] = { { 1, 2, 3 }, { 4, 5, 6 } };
const char greeting[] = "hello, world";
const char *message = "hi";
unsigned long bss_zero;
struct blob *no_blob;
int add(int a, int b)
{
    return a + b;
}
int main(void)
{
    return add(origin.x, counters[0]);
}
)";

// Compiles the sample with extra flags ("-gdwarf-4", ...) into dir; empty path on failure.
inline std::filesystem::path compile_sample(const std::filesystem::path& dir,
                                            const std::vector<std::string>& flags,
                                            std::string* error = nullptr) {
    const auto source = dir / "sample.c";
    std::ofstream(source) << sample_program_source;
    const auto binary = dir / "sample";
    std::vector<std::string> argv{"gcc", "-O0", "-fno-pie", "-no-pie", "-Wl,--build-id"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    // A relative source name, as kernel builds use: line tables name files relative to the
    // compilation directory.
    argv.insert(argv.end(), {"-o", binary.string(), "sample.c"});
    RunOptions options;
    options.working_dir = dir.string();
    auto result = run_process(argv, options);
    if (!result || result->exit_code != 0) {
        if (error != nullptr) {
            *error = result ? result->err : result.error().message;
        }
        return {};
    }
    return binary;
}

} // namespace kdive::testing

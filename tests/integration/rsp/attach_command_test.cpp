// `kdive attach` as a user runs it: the real binary against a paused VM.
#include <gtest/gtest.h>

namespace kdive::testing {
namespace {} // namespace
} // namespace kdive::testing

// Turning what the user typed ("*0xffffffff81000000", "$rsp+8") into an address.
#pragma once

#include "support/error.hpp"
#include "target/target.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

namespace kdive::cli {

// One way of naming an address. Symbols and C expressions will be further resolvers.
class LocationResolver {
public:
    virtual ~LocationResolver() = default;
    // nullopt when the text is not in this resolver's language (the next one is tried);
    // an error when it is, but cannot be resolved.
    virtual Result<std::optional<std::uint64_t>> resolve(std::string_view text) = 0;
};

// Numbers (0x hex, decimal), $registers of the selected vCPU, joined by + and -.
class AddressExpressionResolver final : public LocationResolver {
public:
    explicit AddressExpressionResolver(target::Target& target) : target_(target) {}
    Result<std::optional<std::uint64_t>> resolve(std::string_view text) override;

private:
    target::Target& target_;
};

// Tries resolvers in order; the first that recognises the text decides.
class Locations {
public:
    void add(std::unique_ptr<LocationResolver> resolver) {
        resolvers_.push_back(std::move(resolver));
    }
    // An expression: "0x1000", "$rip", "$rsp + 0x10".
    Result<std::uint64_t> address(std::string_view text);
    // A breakpoint location: "*EXPRESSION" is that address; a function's name is where the
    // function's entry adjuster puts its breakpoint.
    Result<std::uint64_t> breakpoint_location(std::string_view text);
    // Where `break FUNCTION` stops, from the function's address (unset: that address).
    void set_function_entry(std::function<std::uint64_t(std::uint64_t)> entry) {
        function_entry_ = std::move(entry);
    }

private:
    std::vector<std::unique_ptr<LocationResolver>> resolvers_;
    std::function<std::uint64_t(std::uint64_t)> function_entry_;
};

} // namespace kdive::cli

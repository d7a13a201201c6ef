// GDB's value history ($1, $, $$2) and convenience variables ($foo).
#pragma once

#include "eval/value.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kdive::eval {

class ValueHistory {
public:
    // Appends and returns the new history number.
    std::size_t record(Value value);
    std::size_t size() const { return values_.size(); }
    // $N (absolute, 1-based) or, for relative, $ (back 0), $$ (back 1), $$N (back N).
    Result<Value> absolute(std::size_t number) const;
    Result<Value> relative(std::size_t back) const;

    std::optional<Value> convenience(const std::string& name) const;
    void set_convenience(const std::string& name, Value value);

private:
    std::vector<Value> values_;
    std::map<std::string, Value> convenience_;
};

} // namespace kdive::eval

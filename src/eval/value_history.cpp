// Keeps printed values for later reference.
#include "eval/value_history.hpp"

namespace kdive::eval {

std::size_t ValueHistory::record(Value value) {
    values_.push_back(std::move(value));
    return values_.size();
}

Result<Value> ValueHistory::absolute(std::size_t number) const {
    if (number == 0 || number > values_.size()) {
        return fail("History has not yet reached ${}.", number);
    }
    return values_[number - 1];
}

Result<Value> ValueHistory::relative(std::size_t back) const {
    if (back >= values_.size()) {
        if (values_.empty()) {
            return fail("History is empty.");
        }
        return fail("History has not yet reached $${}.", back);
    }
    return values_[values_.size() - 1 - back];
}

std::optional<Value> ValueHistory::convenience(const std::string& name) const {
    auto it = convenience_.find(name);
    if (it == convenience_.end()) {
        return std::nullopt;
    }
    return it->second;
}

void ValueHistory::set_convenience(const std::string& name, Value value) {
    convenience_.insert_or_assign(name, std::move(value));
}

} // namespace kdive::eval

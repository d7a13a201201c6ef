// Walks one unit's DIE tree down the scopes that contain a pc, as GDB builds its blocks.
#include "debuginfo/function_scope.hpp"

#include "debuginfo/dwarf_locations.hpp"

#include <algorithm>
#include <dwarf.h>
#include <set>

namespace kdive::debuginfo {

namespace {

std::string attribute_string(Dwarf_Die* die, unsigned name) {
    Dwarf_Attribute attr;
    const char* text = dwarf_formstring(dwarf_attr_integrate(die, name, &attr));
    return text != nullptr ? text : "";
}

bool has_attribute(Dwarf_Die* die, unsigned name) {
    Dwarf_Attribute attr;
    return dwarf_attr_integrate(die, name, &attr) != nullptr;
}

std::uint64_t reference_offset(Dwarf_Die* die, unsigned name, bool integrate) {
    Dwarf_Attribute attr;
    Dwarf_Attribute* found =
        integrate ? dwarf_attr_integrate(die, name, &attr) : dwarf_attr(die, name, &attr);
    Dwarf_Die target;
    if (found == nullptr || dwarf_formref_die(found, &target) == nullptr)
        return 0;
    return dwarf_dieoffset(&target);
}

std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges_of(Dwarf_Die* die) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
    Dwarf_Addr base = 0;
    Dwarf_Addr start = 0;
    Dwarf_Addr end = 0;
    for (std::ptrdiff_t offset = dwarf_ranges(die, 0, &base, &start, &end); offset > 0;
         offset = dwarf_ranges(die, offset, &base, &start, &end))
        ranges.emplace_back(start, end);
    return ranges;
}

// The file of a DW_AT_call_file index, relative to the unit's directory as GDB shows it.
std::string call_file_name(Dwarf_Die* die) {
    Dwarf_Attribute attr;
    Dwarf_Word index = 0;
    if (dwarf_formudata(dwarf_attr(die, DW_AT_call_file, &attr), &index) != 0)
        return "";
    Dwarf_Die unit;
    if (dwarf_diecu(die, &unit, nullptr, nullptr) == nullptr)
        return "";
    Dwarf_Files* files = nullptr;
    std::size_t count = 0;
    if (dwarf_getsrcfiles(&unit, &files, &count) != 0 || index >= count)
        return "";
    const char* name = dwarf_filesrc(files, index, nullptr, nullptr);
    if (name == nullptr)
        return "";
    std::string path = name;
    const char* comp_dir = dwarf_formstring(dwarf_attr(&unit, DW_AT_comp_dir, &attr));
    if (comp_dir != nullptr) {
        const std::string prefix = std::string(comp_dir) + "/";
        if (path.starts_with(prefix))
            path.erase(0, prefix.size());
    }
    return path;
}

ScopeVariable describe(Dwarf_Die* die, bool parameter) {
    ScopeVariable variable;
    variable.name = attribute_string(die, DW_AT_name);
    variable.die_offset = dwarf_dieoffset(die);
    variable.type_offset = reference_offset(die, DW_AT_type, true);
    variable.parameter = parameter;
    return variable;
}

// Parameters or variables directly inside `scope`, plus those its abstract origin declares
// that the concrete tree omits (the compiler dropped them: GDB shows them optimized out).
void collect_variables(Dwarf_Die* scope, bool parameters, std::vector<ScopeVariable>& out) {
    const int wanted = parameters ? DW_TAG_formal_parameter : DW_TAG_variable;
    std::set<std::uint64_t> origins;
    Dwarf_Die child;
    if (dwarf_child(scope, &child) == 0) {
        do {
            if (dwarf_tag(&child) != wanted)
                continue;
            if (std::uint64_t origin = reference_offset(&child, DW_AT_abstract_origin, false))
                origins.insert(origin);
            if (has_attribute(&child, DW_AT_declaration) && !parameters)
                continue; // extern declarations inside a function are not locals
            auto variable = describe(&child, parameters);
            if (!variable.name.empty())
                out.push_back(std::move(variable));
        } while (dwarf_siblingof(&child, &child) == 0);
    }
    Dwarf_Attribute attr;
    Dwarf_Die abstract;
    if (dwarf_formref_die(dwarf_attr(scope, DW_AT_abstract_origin, &attr), &abstract) == nullptr)
        return;
    if (dwarf_child(&abstract, &child) != 0)
        return;
    do {
        if (dwarf_tag(&child) != wanted || origins.contains(dwarf_dieoffset(&child)))
            continue;
        if (has_attribute(&child, DW_AT_declaration) && !parameters)
            continue;
        auto variable = describe(&child, parameters);
        if (!variable.name.empty())
            out.push_back(std::move(variable));
    } while (dwarf_siblingof(&child, &child) == 0);
}

// The child of `parent` among `tags` whose code contains pc.
bool child_containing(Dwarf_Die* parent, std::uint64_t pc, std::initializer_list<int> tags,
                      Dwarf_Die* found) {
    Dwarf_Die child;
    if (dwarf_child(parent, &child) != 0)
        return false;
    do {
        const int tag = dwarf_tag(&child);
        if (std::find(tags.begin(), tags.end(), tag) == tags.end())
            continue;
        if (dwarf_haspc(&child, pc) > 0) {
            *found = child;
            return true;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return false;
}

} // namespace

bool FunctionScope::contains(std::uint64_t pc) const {
    return std::any_of(ranges.begin(), ranges.end(),
                       [pc](const auto& range) { return pc >= range.first && pc < range.second; });
}

std::size_t inlined_calls_entered_at(const std::vector<FunctionScope>& scopes, std::uint64_t pc) {
    std::size_t count = 0;
    // Entered: at its entry, or at the start of one of its ranges (the byte before lies
    // outside it), as GDB's block_starting_point_at decides.
    while (count + 1 < scopes.size() && scopes[count].inlined &&
           (scopes[count].entry_pc == pc || !scopes[count].contains(pc - 1)))
        ++count;
    return count;
}

Result<Dwarf_Die> die_at(Dwarf* dwarf, std::uint64_t offset) {
    Dwarf_Die die;
    if (dwarf == nullptr || dwarf_offdie(dwarf, offset, &die) == nullptr)
        return fail("no DWARF entry at .debug_info offset {:#x}", offset);
    return die;
}

Result<std::vector<FunctionScope>> function_scopes_at(Dwarf* dwarf, std::uint64_t pc) {
    std::vector<FunctionScope> scopes;
    Dwarf_Die unit;
    if (dwarf == nullptr || dwarf_addrdie(dwarf, pc, &unit) == nullptr)
        return scopes;
    Dwarf_Die function;
    if (!child_containing(&unit, pc, {DW_TAG_subprogram}, &function))
        return scopes;
    // The path from the function down to the innermost block or inlined call at pc.
    std::vector<Dwarf_Die> path{function};
    Dwarf_Die inner;
    while (child_containing(&path.back(), pc, {DW_TAG_lexical_block, DW_TAG_inlined_subroutine},
                            &inner))
        path.push_back(inner);

    const std::uint64_t function_offset = dwarf_dieoffset(&function);
    FunctionScope current;
    for (auto it = path.rbegin(); it != path.rend(); ++it) {
        Dwarf_Die* die = &*it;
        const int tag = dwarf_tag(die);
        collect_variables(die, false, current.locals);
        if (tag == DW_TAG_lexical_block)
            continue;
        collect_variables(die, true, current.parameters);
        current.name = attribute_string(die, DW_AT_name);
        current.inlined = tag == DW_TAG_inlined_subroutine;
        current.die_offset = dwarf_dieoffset(die);
        current.function_die_offset = function_offset;
        current.ranges = ranges_of(die);
        current.low_pc = current.ranges.empty() ? 0 : current.ranges.front().first;
        current.entry_pc = current.low_pc;
        for (const auto& range : current.ranges)
            current.low_pc = std::min(current.low_pc, range.first);
        if (current.inlined) {
            current.call_file = call_file_name(die);
            Dwarf_Attribute attr;
            Dwarf_Word line = 0;
            if (dwarf_formudata(dwarf_attr(die, DW_AT_call_line, &attr), &line) == 0)
                current.call_line = static_cast<int>(line);
        }
        scopes.push_back(std::move(current));
        current = FunctionScope{};
    }
    return scopes;
}

namespace {

class RegistersOnly final : public LocationContext {
public:
    explicit RegistersOnly(const FrameRegisters& registers) : registers_(registers) {}
    std::optional<std::uint64_t> reg(unsigned dwarf_reg) override {
        return dwarf_reg < registers_.size() ? registers_[dwarf_reg] : std::nullopt;
    }
    Result<std::uint64_t> read(std::uint64_t address, std::size_t) override {
        return fail("CFA rule reads memory at {:#x}", address);
    }
    Result<std::uint64_t> frame_base() override { return fail("CFA rule uses a frame base"); }
    Result<std::uint64_t> cfa() override { return fail("CFA rule refers to itself"); }

private:
    const FrameRegisters& registers_;
};

} // namespace

Result<std::uint64_t> call_frame_cfa(Dwarf* dwarf, std::uint64_t pc,
                                     const FrameRegisters& registers) {
    Dwarf_CFI* cfi = dwarf != nullptr ? dwarf_getcfi(dwarf) : nullptr;
    if (cfi == nullptr)
        return fail("no .debug_frame call frame information");
    Dwarf_Frame* frame = nullptr;
    if (dwarf_cfi_addrframe(cfi, pc, &frame) != 0)
        return fail("no call frame information for {:#x}: {}", pc, dwarf_errmsg(-1));
    Dwarf_Op* ops = nullptr;
    std::size_t count = 0;
    int status = dwarf_frame_cfa(frame, &ops, &count);
    Result<std::uint64_t> cfa = fail("no CFA rule at {:#x}", pc);
    if (status == 0) {
        RegistersOnly context(registers);
        cfa = evaluate_address(std::span<const Dwarf_Op>(ops, count), context);
    }
    std::free(frame);
    return cfa;
}

} // namespace kdive::debuginfo

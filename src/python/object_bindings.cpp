// kdive.Object and kdive.Type: typed values read lazily, with C's operators and drgn's
// trailing-underscore methods, printed as kdive's `p` prints them.
#include "eval/expression_parser.hpp"
#include "eval/type_printer.hpp"
#include "eval/value_printer.hpp"
#include "python/bindings.hpp"

#include <cstring>
#include <fmt/core.h>
#include <pybind11/stl.h>

namespace kdive::python {

namespace {

using debuginfo::Type;
using debuginfo::TypeKind;

// Types belong to the program's debug info and are gone once it is closed: every use of one
// goes through these, which raise kdive.Error then.
const Type* resolved(const Object& object) {
    (void)usable(object.prog);
    return object.value.resolved_type();
}

const Type* checked(const TypeRef& type) {
    (void)usable(type.prog);
    return type.type;
}

std::optional<std::uint64_t> address_of(const Object& object) {
    return object.value.address();
}

Object derived(const Object& object, Result<eval::Value> value) {
    return Object{object.prog, unwrap(std::move(value), address_of(object))};
}

std::string kind_name(const Type* type) {
    switch (type->kind) {
    case TypeKind::void_type:
        return "void";
    case TypeKind::integer:
        return type->encoding == debuginfo::IntEncoding::boolean ? "bool" : "int";
    case TypeKind::floating:
        return "float";
    case TypeKind::pointer:
        return "pointer";
    case TypeKind::array:
        return "array";
    case TypeKind::structure:
        return "struct";
    case TypeKind::union_type:
        return "union";
    case TypeKind::enumeration:
        return "enum";
    case TypeKind::typedef_type:
        return "typedef";
    case TypeKind::function:
        return "function";
    case TypeKind::const_type:
    case TypeKind::volatile_type:
    case TypeKind::restrict_type:
        return "qualified";
    case TypeKind::unknown:
        break;
    }
    return "unknown";
}

std::string formatted(const Object& object) {
    Program& prog = usable(object.prog);
    eval::ValuePrinter printer(prog.eval().scope(), prog.memory());
    return unwrap(printer.format(object.value), address_of(object));
}

// Up to a NUL within `limit` bytes, read a page at a time so a string ending just before an
// unmapped page is still read.
py::bytes read_c_string(Program& prog, std::uint64_t address, std::size_t limit) {
    std::string text;
    auto* memory = prog.memory();
    if (memory == nullptr) {
        raise_error(Error{"no memory to read the string from", ErrorKind::unsupported}, address);
    }
    while (text.size() < limit) {
        const std::uint64_t at = address + text.size();
        const std::size_t chunk =
            std::min<std::size_t>(limit - text.size(), 4096 - static_cast<std::size_t>(at % 4096));
        auto bytes = memory->read(at, chunk);
        if (!bytes) {
            raise_error(bytes.error(), at);
        }
        for (std::byte b : *bytes) {
            if (b == std::byte{0}) {
                return py::bytes(text);
            }
            text.push_back(static_cast<char>(b));
        }
    }
    return py::bytes(text);
}

py::object to_python(const Object& object, int depth);

py::object aggregate_to_python(const Object& object, const Type* type, int depth) {
    py::dict out;
    for (const auto& member : type->members) {
        const Type* member_type = member.type.get();
        eval::Value part =
            member.bit_size > 0
                ? object.value.retyped(type).bitfield(member_type, member.bit_offset,
                                                      member.bit_size)
                : object.value.retyped(type).sub_value(member_type, member.bit_offset / 8);
        Object sub{object.prog, part};
        if (member.name.empty() && debuginfo::strip_typedefs(member_type)->is_composite()) {
            py::dict inner =
                aggregate_to_python(sub, debuginfo::strip_typedefs(member_type), depth);
            for (auto item : inner) {
                out[item.first] = item.second;
            }
        } else {
            out[py::str(member.name)] = to_python(sub, depth + 1);
        }
    }
    return out;
}

py::object to_python(const Object& object, int depth) {
    Program& prog = usable(object.prog);
    auto* memory = prog.memory();
    const Type* type = resolved(object);
    if (depth > 64) {
        raise_error(Error{"value nested too deeply", ErrorKind::corrupt}, address_of(object));
    }
    switch (type->kind) {
    case TypeKind::integer:
    case TypeKind::enumeration:
        if (type->encoding == debuginfo::IntEncoding::boolean && type->kind == TypeKind::integer) {
            return py::bool_(unwrap(object.value.as_bits(memory), address_of(object)) != 0);
        }
        if (type->is_signed()) {
            return py::int_(unwrap(object.value.as_signed(memory), address_of(object)));
        }
        return py::int_(unwrap(object.value.as_bits(memory), address_of(object)));
    case TypeKind::pointer:
        return py::int_(unwrap(object.value.as_bits(memory), address_of(object)));
    case TypeKind::floating:
        return py::float_(unwrap(object.value.as_double(memory), address_of(object)));
    case TypeKind::array: {
        const Type* element = type->target.get();
        const std::uint64_t count = type->count.value_or(0);
        if (element->size == 0 || count > (1u << 20)) {
            raise_error(Error{fmt::format("cannot convert {} to a list", eval::type_name(type)),
                              ErrorKind::unsupported},
                        address_of(object));
        }
        (void)unwrap(object.value.bytes(memory), address_of(object)); // one read for all
        py::list out;
        for (std::uint64_t i = 0; i < count; ++i) {
            out.append(
                to_python(Object{object.prog, object.value.sub_value(element, i * element->size)},
                          depth + 1));
        }
        return out;
    }
    case TypeKind::structure:
    case TypeKind::union_type:
        (void)unwrap(object.value.bytes(memory), address_of(object));
        return aggregate_to_python(object, type, depth);
    case TypeKind::function:
        if (auto at = address_of(object)) {
            return py::int_(*at);
        }
        break;
    default:
        break;
    }
    raise_error(Error{fmt::format("a value of type {} has no Python value",
                                  eval::type_name(object.value.type())),
                      ErrorKind::unsupported},
                address_of(object));
}

Object member(const Object& object, const std::string& name) {
    Program& prog = usable(object.prog);
    return derived(object, prog.evaluator().member(object.value, name, false));
}

Object binary(const Object& left, py::handle right, const std::string& op, bool reflected) {
    Program& prog = usable(left.prog);
    eval::Value other = value_argument(prog, right);
    auto evaluator = prog.evaluator();
    auto result = reflected ? evaluator.binary(op, other, left.value)
                            : evaluator.binary(op, left.value, other);
    return derived(left, std::move(result));
}

bool truth(const Object& object) {
    Program& prog = usable(object.prog);
    const Type* type = resolved(object);
    if (type->kind == TypeKind::floating) {
        return unwrap(object.value.as_double(prog.memory()), address_of(object)) != 0.0;
    }
    if (!type->is_scalar()) {
        raise_error(Error{fmt::format("a value of type {} is not true or false",
                                      eval::type_name(object.value.type())),
                          ErrorKind::invalid_input});
    }
    return unwrap(object.value.as_bits(prog.memory()), address_of(object)) != 0;
}

py::int_ integer(const Object& object) {
    Program& prog = usable(object.prog);
    const Type* type = resolved(object);
    if (type->kind == TypeKind::floating) {
        return py::int_(static_cast<long long>(
            unwrap(object.value.as_double(prog.memory()), address_of(object))));
    }
    if (!type->is_integer() && type->kind != TypeKind::pointer) {
        throw py::type_error(fmt::format("a value of type {} is not an integer",
                                         eval::type_name(object.value.type())));
    }
    if (type->is_integer() && type->is_signed()) {
        return py::int_(unwrap(object.value.as_signed(prog.memory()), address_of(object)));
    }
    return py::int_(unwrap(object.value.as_bits(prog.memory()), address_of(object)));
}

std::vector<Object> elements(const Object& object) {
    const Type* type = resolved(object);
    if (type->kind != TypeKind::array || !type->count) {
        throw py::type_error(fmt::format("{} is not an array of known length",
                                         eval::type_name(object.value.type())));
    }
    const Type* element = type->target.get();
    std::vector<Object> out;
    out.reserve(std::min<std::uint64_t>(*type->count, 1u << 20));
    for (std::uint64_t i = 0; i < *type->count && i < (1u << 20); ++i) {
        out.push_back(Object{object.prog, object.value.sub_value(element, i * element->size)});
    }
    return out;
}

std::string type_repr(const TypeRef& type) {
    return fmt::format("prog.type('{}')", eval::type_name(checked(type)));
}

} // namespace

// The byte offset of a member path ("a.b.c", "arr[2].x") in a type.
std::uint64_t member_offset(Program& prog, const Type* type, const std::string& path) {
    // Evaluated on a value at address 0 of the type: C's offsetof, with GDB's errors.
    auto evaluator = prog.evaluator();
    eval::Value value = eval::Value::at(type, 0);
    std::size_t at = 0;
    while (at < path.size()) {
        if (path[at] == '.') {
            ++at;
            continue;
        }
        if (path[at] == '[') {
            const auto close = path.find(']', at);
            if (close == std::string::npos) {
                throw py::value_error(fmt::format("member path {}: no closing ]", path));
            }
            const long long index = std::stoll(path.substr(at + 1, close - at - 1), nullptr, 0);
            value = unwrap(evaluator.index(
                value, eval::Value::from_integer(prog.context().arena.long_type(),
                                                 static_cast<std::uint64_t>(index))));
            at = close + 1;
            continue;
        }
        const auto end = path.find_first_of(".[", at);
        const std::string name = path.substr(at, end == std::string::npos ? path.npos : end - at);
        value = unwrap(evaluator.member(value, name, false));
        at = end == std::string::npos ? path.size() : end;
    }
    return value.address().value_or(0);
}

const Type* type_argument(Program& prog, py::handle type) {
    if (py::isinstance<TypeRef>(type)) {
        return type.cast<const TypeRef&>().type;
    }
    if (!py::isinstance<py::str>(type)) {
        throw py::type_error("expected a type name (str) or a kdive.Type");
    }
    const std::string text = type.cast<std::string>();
    auto context = prog.context();
    eval::ExpressionParser parser(context.scope, context.arena);
    auto parsed = parser.parse_type_name(text);
    if (!parsed) {
        raise_error(Error{parsed.error().message, ErrorKind::invalid_input}); // the caller's text
    }
    if (!*parsed) {
        raise_error(Error{fmt::format("No type named {}.", text), ErrorKind::invalid_input});
    }
    return **parsed;
}

eval::Value value_argument(Program& prog, py::handle value) {
    if (py::isinstance<Object>(value)) {
        return value.cast<const Object&>().value;
    }
    auto& arena = prog.context().arena;
    if (py::isinstance<py::bool_>(value)) {
        return eval::Value::from_integer(arena.int_type(), value.cast<bool>() ? 1 : 0);
    }
    if (py::isinstance<py::int_>(value)) {
        // Negative numbers as long, others as unsigned long when they need the top bit.
        py::int_ number = py::reinterpret_borrow<py::int_>(value);
        if (number < py::int_(0)) {
            return eval::Value::from_integer(arena.long_type(),
                                             static_cast<std::uint64_t>(number.cast<long long>()));
        }
        const auto bits = number.cast<unsigned long long>();
        return eval::Value::from_integer(
            bits >> 63 != 0 ? arena.unsigned_long_type() : arena.long_type(), bits);
    }
    if (py::isinstance<py::float_>(value)) {
        const double number = value.cast<double>();
        std::vector<std::byte> bytes(sizeof number);
        std::memcpy(bytes.data(), &number, sizeof number);
        return eval::Value::computed(arena.builtin("double"), std::move(bytes));
    }
    throw py::type_error("expected an int, float, bool or kdive.Object");
}

Object pointer_object(const ProgramRef& prog, const Type* type, std::uint64_t address) {
    auto& arena = prog->context().arena;
    return Object{prog, eval::Value::from_integer(arena.pointer_to(type), address)};
}

std::uint64_t object_bits(const Object& object) {
    Program& prog = usable(object.prog);
    return unwrap(object.value.as_bits(prog.memory()), address_of(object));
}

void define_object(py::module_& module) {
    py::class_<TypeRef>(module, "Type", "A type from the program's debug info.")
        .def_property_readonly(
            "name",
            [](const TypeRef& t) -> py::object {
                if (checked(t)->name.empty()) {
                    return py::none();
                }
                return py::str(checked(t)->name);
            },
            "The type's tag or name (\"task_struct\", \"u64\"); None when anonymous.")
        .def_property_readonly(
            "kind", [](const TypeRef& t) { return kind_name(checked(t)); },
            "\"int\", \"bool\", \"float\", \"pointer\", \"array\", \"struct\", \"union\", "
            "\"enum\", \"typedef\", \"function\", \"qualified\" or \"void\".")
        .def_property_readonly(
            "size", [](const TypeRef& t) { return checked(t)->size; }, "Size in bytes.")
        .def_property_readonly(
            "type",
            [](const TypeRef& t) -> py::object {
                if (checked(t)->target.empty()) {
                    return py::none();
                }
                return py::cast(TypeRef{t.prog, checked(t)->target.get()});
            },
            "The pointed-to, element, aliased or return type; None for others.")
        .def_property_readonly(
            "length",
            [](const TypeRef& t) -> py::object {
                if (checked(t)->kind != TypeKind::array || !checked(t)->count) {
                    return py::none();
                }
                return py::int_(*checked(t)->count);
            },
            "An array's element count; None otherwise.")
        .def_property_readonly(
            "is_signed", [](const TypeRef& t) { return checked(t)->is_signed(); },
            "Whether an integer type is signed.")
        .def_property_readonly(
            "members",
            [](const TypeRef& t) {
                py::list out;
                for (const auto& m : debuginfo::strip_typedefs(checked(t))->members) {
                    out.append(py::make_tuple(
                        m.name.empty() ? py::object(py::none()) : py::object(py::str(m.name)),
                        TypeRef{t.prog, m.type.get()}, m.bit_offset, m.bit_size));
                }
                return out;
            },
            "(name, type, bit_offset, bit_field_size) of each member of a struct or union.")
        .def_property_readonly(
            "enumerators",
            [](const TypeRef& t) {
                py::list out;
                for (const auto& e : debuginfo::strip_typedefs(checked(t))->enumerators) {
                    out.append(py::make_tuple(e.name, e.value));
                }
                return out;
            },
            "(name, value) of each enumerator of an enum.")
        .def(
            "has_member",
            [](const TypeRef& t, const std::string& name) {
                return eval::find_member(debuginfo::strip_typedefs(checked(t)), name).has_value();
            },
            py::arg("name"),
            "Whether a struct or union has the member (anonymous ones looked into).")
        .def(
            "offsetof",
            [](const TypeRef& t, const std::string& path) {
                return member_offset(usable(t.prog), checked(t), path);
            },
            py::arg("member"), "The byte offset of a member path (\"se.run_node\", \"a[2].b\").")
        .def(
            "unaliased",
            [](const TypeRef& t) {
                return TypeRef{t.prog, debuginfo::strip_typedefs(checked(t))};
            },
            "The type without typedefs and qualifiers.")
        .def(
            "type_name", [](const TypeRef& t) { return eval::type_name(checked(t)); },
            "The name as C writes it: \"struct task_struct *\".")
        .def("__str__",
             [](const TypeRef& t) { return eval::format_declaration(checked(t), "", 1); })
        .def("__repr__", &type_repr)
        .def("__eq__", [](const TypeRef& a, const TypeRef& b) { return a.type == b.type; })
        .def("__hash__", [](const TypeRef& t) { return std::hash<const void*>()(t.type); });

    py::class_<Object>(module, "Object",
                       "A typed value of the program, read from memory when first needed.")
        .def(py::init([](const ProgramRef& prog, py::handle type, const py::object& value,
                         std::optional<std::uint64_t> address) {
                 Program& p = usable(prog);
                 const Type* t = type_argument(p, type);
                 if (address) {
                     return Object{prog, eval::Value::at(t, *address)};
                 }
                 if (value.is_none()) {
                     throw py::value_error("Object() needs value= or address=");
                 }
                 auto cast = p.evaluator().cast(t, value_argument(p, value));
                 return Object{prog, unwrap(std::move(cast))};
             }),
             py::arg("prog"), py::arg("type"), py::arg("value") = py::none(),
             py::arg("address") = py::none(),
             "An object of `type` at `address`, or holding `value` converted to `type`.")
        .def_property_readonly(
            "prog_", [](const Object& o) { return o.prog; }, "The program it belongs to.")
        .def_property_readonly(
            "type_",
            [](const Object& o) {
                return TypeRef{o.prog, o.value.type()};
            },
            "Its type.")
        .def_property_readonly(
            "address_",
            [](const Object& o) -> py::object {
                if (auto at = o.value.address()) {
                    return py::int_(*at);
                }
                return py::none();
            },
            "Where it lives in memory; None for values in registers or computed.")
        .def_property_readonly(
            "absent_", [](const Object& o) { return o.value.is_optimized_out(); },
            "True for a variable the compiler dropped at this pc (<optimized out>).")
        .def(
            "value_", [](const Object& o) { return to_python(o, 0); },
            "As a Python value: int, bool, float; a list for arrays, a dict for structs.")
        .def(
            "string_",
            [](const Object& o, std::size_t limit) {
                Program& prog = usable(o.prog);
                const Type* type = resolved(o);
                if (type->kind == TypeKind::array) {
                    const auto at = o.value.address();
                    auto bytes = unwrap(o.value.bytes(prog.memory()), at);
                    std::string text(reinterpret_cast<const char*>(bytes->data()),
                                     std::min(bytes->size(), limit));
                    return py::bytes(text.substr(0, text.find('\0')));
                }
                if (type->kind != TypeKind::pointer) {
                    throw py::type_error(fmt::format("string_() needs a pointer or array, not {}",
                                                     eval::type_name(o.value.type())));
                }
                return read_c_string(prog, object_bits(o), limit);
            },
            py::arg("limit") = 4096,
            "The NUL-terminated string it points to or holds, as bytes (at most `limit`).")
        .def("member_", &member, py::arg("name"),
             "A member of a struct, or of what a pointer "
             "points to.")
        .def(
            "address_of_",
            [](const Object& o) {
                return derived(o, usable(o.prog).evaluator().address_of(o.value));
            },
            "A pointer to it (C's &).")
        .def(
            "deref_",
            [](const Object& o) {
                return derived(o, usable(o.prog).evaluator().dereference(o.value));
            },
            "What a pointer points to (C's *).")
        .def(
            "read_",
            [](const Object& o) {
                Program& prog = usable(o.prog);
                auto bytes = unwrap(o.value.bytes(prog.memory()), o.value.address());
                return Object{o.prog, eval::Value::computed(o.value.type(), *bytes)};
            },
            "A copy of its bytes as they are now, detached from memory.")
        .def(
            "to_bytes_",
            [](const Object& o) {
                Program& prog = usable(o.prog);
                auto bytes = unwrap(o.value.bytes(prog.memory()), o.value.address());
                return py::bytes(reinterpret_cast<const char*>(bytes->data()), bytes->size());
            },
            "Its bytes.")
        .def("format_", &formatted, "As kdive's `p` prints it.")
        .def("__str__", &formatted)
        .def("__repr__", &formatted)
        .def("__getattr__",
             [](const Object& o, const std::string& name) {
                 if (name.starts_with("__")) {
                     throw py::attribute_error(name);
                 }
                 Program& prog = usable(o.prog);
                 auto found = prog.evaluator().member(o.value, name, false);
                 if (!found) {
                     if (found.error().message.starts_with("There is no member") ||
                         found.error().message.starts_with("Attempt to extract")) {
                         throw py::attribute_error(found.error().message);
                     }
                     raise_error(found.error(), o.value.address());
                 }
                 return Object{o.prog, *found};
             })
        .def("__getitem__",
             [](const Object& o, py::handle key) {
                 if (py::isinstance<py::str>(key)) {
                     return member(o, key.cast<std::string>());
                 }
                 Program& prog = usable(o.prog);
                 return derived(o, prog.evaluator().index(o.value, value_argument(prog, key)));
             })
        .def("__len__",
             [](const Object& o) {
                 const Type* type = resolved(o);
                 if (type->kind != TypeKind::array || !type->count) {
                     throw py::type_error(
                         fmt::format("{} has no length", eval::type_name(o.value.type())));
                 }
                 return *type->count;
             })
        .def("__iter__", [](const Object& o) { return py::iter(py::cast(elements(o))); })
        .def("__bool__", &truth)
        .def("__int__", &integer)
        .def("__index__", &integer)
        .def("__float__",
             [](const Object& o) {
                 Program& prog = usable(o.prog);
                 if (resolved(o)->kind == TypeKind::floating) {
                     return unwrap(o.value.as_double(prog.memory()), o.value.address());
                 }
                 return static_cast<double>(integer(o).cast<long long>());
             })
        .def("__neg__",
             [](const Object& o) {
                 return derived(o, usable(o.prog).evaluator().unary("-", o.value));
             })
        .def("__invert__",
             [](const Object& o) {
                 return derived(o, usable(o.prog).evaluator().unary("~", o.value));
             })
        .def("__pos__", [](const Object& o) { return o; });

    // C's binary operators, both ways round (1 + obj as well as obj + 1).
    auto cls = module.attr("Object");
    const std::pair<const char*, const char*> operators[] = {
        {"add", "+"},      {"sub", "-"}, {"mul", "*"},     {"truediv", "/"},
        {"floordiv", "/"}, {"mod", "%"}, {"lshift", "<<"}, {"rshift", ">>"},
        {"and", "&"},      {"or", "|"},  {"xor", "^"}};
    for (const auto& [name, op] : operators) {
        const std::string symbol = op;
        cls.attr(fmt::format("__{}__", name).c_str()) = py::cpp_function(
            [symbol](const Object& left, py::handle right) {
                return binary(left, right, symbol, false);
            },
            py::is_method(cls), py::name(fmt::format("__{}__", name).c_str()));
        cls.attr(fmt::format("__r{}__", name).c_str()) = py::cpp_function(
            [symbol](const Object& right, py::handle left) {
                return binary(right, left, symbol, true);
            },
            py::is_method(cls), py::name(fmt::format("__r{}__", name).c_str()));
    }
    const std::pair<const char*, const char*> comparisons[] = {
        {"eq", "=="}, {"ne", "!="}, {"lt", "<"}, {"le", "<="}, {"gt", ">"}, {"ge", ">="}};
    for (const auto& [name, op] : comparisons) {
        const std::string symbol = op;
        cls.attr(fmt::format("__{}__", name).c_str()) = py::cpp_function(
            [symbol](const Object& left, py::handle right) -> py::object {
                if (!py::isinstance<Object>(right) && !py::isinstance<py::int_>(right) &&
                    !py::isinstance<py::float_>(right)) {
                    return py::reinterpret_borrow<py::object>(Py_NotImplemented);
                }
                return py::bool_(truth(binary(left, right, symbol, false)));
            },
            py::is_method(cls), py::name(fmt::format("__{}__", name).c_str()));
    }
    cls.attr("__hash__") = py::none();

    module.def(
        "cast",
        [](py::handle type, const Object& object) {
            Program& prog = usable(object.prog);
            return derived(object, prog.evaluator().cast(type_argument(prog, type), object.value));
        },
        py::arg("type"), py::arg("obj"), "C's cast: the value converted to `type`.");
    module.def(
        "reinterpret",
        [](py::handle type, const Object& object) {
            Program& prog = usable(object.prog);
            const auto at = object.value.address();
            if (!at) {
                throw py::value_error("reinterpret() needs an object in memory");
            }
            return Object{object.prog, eval::Value::at(type_argument(prog, type), *at)};
        },
        py::arg("type"), py::arg("obj"), "The object's memory seen as `type`.");
    module.def(
        "container_of",
        [](const Object& pointer, py::handle type, const std::string& member_path) {
            Program& prog = usable(pointer.prog);
            const Type* outer = type_argument(prog, type);
            const std::uint64_t offset = member_offset(prog, outer, member_path);
            return pointer_object(pointer.prog, outer, object_bits(pointer) - offset);
        },
        py::arg("ptr"), py::arg("type"), py::arg("member"),
        "The kernel's container_of(): a `type *` to the structure whose `member` `ptr` points "
        "at.");
    module.def(
        "sizeof",
        [](py::handle what) {
            if (py::isinstance<Object>(what)) {
                return resolved(what.cast<const Object&>())->size;
            }
            if (py::isinstance<TypeRef>(what)) {
                return debuginfo::strip_typedefs(checked(what.cast<const TypeRef&>()))->size;
            }
            throw py::type_error("sizeof() takes a kdive.Object or kdive.Type");
        },
        py::arg("type_or_obj"), "Size in bytes of a type or an object's type.");
}

} // namespace kdive::python

# kdive's lx-* vocabulary for GDB, on every kernel kdive reads: each answer comes from kdive
# through `monitor kdive ...`, which `kdive serve` (or kdive's relay) answers while GDB waits.
# Names the kernel's own vmlinux-gdb.py already defined stay its own (but $lx_current() and
# $lx_per_cpu(), see THREAD_IS_CPU); `kdive-lx-override`
# puts kdive's in their place.
import json
import re

import gdb


def kdive(command):
    text = gdb.execute("monitor kdive " + command, to_string=True)
    lines = text.splitlines()
    # kdive's own failure is its last line; a guest's text above it is data.
    if lines and lines[-1].startswith("kdive: "):
        raise gdb.GdbError(lines[-1][len("kdive: "):])
    return text


def kdive_json(command):
    text = kdive(command + " --json")
    # What the server or relay printed on stderr while GDB waited (GDB folds it into the
    # captured text) comes before the answer: the answer starts at its first line of JSON.
    start = re.search(r"^[\[{]", text, re.MULTILINE)
    try:
        return json.loads(text[start.start():] if start else text)
    except ValueError:
        raise gdb.GdbError("kdive answered something that is not JSON: " + text[:200])


def kdive_address(expression):
    text = kdive("p/x (unsigned long)(" + expression + ")")
    try:
        return int(text.split("=", 1)[1].split()[0], 16)
    except (IndexError, ValueError):
        raise gdb.GdbError("kdive could not place " + expression + ": " + text.strip())


def selected_cpu():
    thread = gdb.selected_thread()
    if thread is None:
        return 0
    # Through `kdive serve` a thread is a task, its CPU in its description ("comm [pid P,
    # CPU C, ...]", or "CPU#n" for a vCPU); through a plain stub thread N is vCPU N-1.
    text = gdb.execute("info threads %d" % thread.num, to_string=True)
    found = re.search(r"\[pid -?\d+, CPU (\d+)|\bCPU#(\d+)", text)
    if found:
        return int(found.group(1) or found.group(2))
    return thread.num - 1


def at(address, type_name):
    return gdb.parse_and_eval("*(%s *)%#x" % (type_name, address))


def argument_text(value):
    if value.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY:
        return value.string()
    return str(value)


class Current(gdb.Function):
    """$lx_current([CPU]): the task_struct running on CPU (default: the selected thread's)."""

    def __init__(self):
        super(Current, self).__init__("lx_current")

    def invoke(self, cpu=None):
        cpu = selected_cpu() if cpu is None else int(cpu)
        try:
            rows = kdive_json("current --cpu %d" % cpu)
        except gdb.GdbError:
            # No CPU is online yet (start_kernel): the selected thread's per-CPU base says.
            if cpu != selected_cpu():
                raise
            rows = kdive_json("current")
        if not rows:
            raise gdb.GdbError("kdive knows no CPU %d" % cpu)
        return at(int(rows[0]["task"], 16), "struct task_struct")


class PerCpu(gdb.Function):
    """$lx_per_cpu(VAR[, CPU]): VAR (a name or the variable) as CPU sees it."""

    def __init__(self):
        super(PerCpu, self).__init__("lx_per_cpu")

    def invoke(self, var, cpu=None):
        cpu = selected_cpu() if cpu is None else int(cpu)
        if var.type.strip_typedefs().code == gdb.TYPE_CODE_ARRAY and \
                var.type.target().sizeof == 1:
            name = var.string()
            var = gdb.parse_and_eval(name)
        elif var.address is not None:
            name = gdb.execute("info symbol %#x" % int(var.address), to_string=True).split()[0]
        else:
            raise gdb.GdbError("$lx_per_cpu needs a per-CPU variable or its name")
        try:
            rows = kdive_json("per-cpu %s %d" % (name, cpu))
        except gdb.GdbError:
            # No CPU is possible yet (start_kernel): the selected thread's per-CPU base says.
            if cpu != selected_cpu():
                raise
            rows = [{"address": "%#x" % kdive_address('&$lx_per_cpu("%s")' % name)}]
        if not rows:
            raise gdb.GdbError("kdive found no %s on CPU %d" % (name, cpu))
        address = int(rows[0]["address"], 16)
        return gdb.Value(address).cast(var.type.pointer()).dereference()


class TaskByPid(gdb.Function):
    """$lx_task_by_pid(PID): the task_struct of PID."""

    def __init__(self):
        super(TaskByPid, self).__init__("lx_task_by_pid")

    def invoke(self, pid):
        return at(kdive_address("&$lx_task_by_pid(%d)" % int(pid)), "struct task_struct")


class Module(gdb.Function):
    """$lx_module(NAME): the struct module of a loaded module."""

    def __init__(self):
        super(Module, self).__init__("lx_module")

    def invoke(self, name):
        name = argument_text(name)
        for row in kdive_json("lsmod"):
            if row["name"] == name:
                return at(int(row["module"], 16), "struct module")
        raise gdb.GdbError("no module " + name)


class ContainerOf(gdb.Function):
    """$container_of(PTR, "TYPE", "MEMBER"): the TYPE whose MEMBER PTR points at."""

    def __init__(self):
        super(ContainerOf, self).__init__("container_of")

    def invoke(self, ptr, type_name, member):
        outer = gdb.lookup_type(argument_text(type_name)).pointer()
        offset = int(gdb.Value(0).cast(outer).dereference()[argument_text(member)].address)
        return gdb.Value(int(ptr.cast(gdb.lookup_type("unsigned long")) - offset)).cast(outer)


class Ps(gdb.Command):
    """lx-ps: every task (address, pid, name), from kdive."""

    def __init__(self):
        super(Ps, self).__init__("lx-ps", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        for row in kdive_json("ps"):
            gdb.write("%s %5d %s\n" % (row["task"], row["pid"], row["comm"]))


class Symbols(gdb.Command):
    """lx-symbols: every loaded module's debug file at the addresses the kernel loaded it to,
    as kdive found them (`lsmod --symbols`)."""

    def __init__(self):
        super(Symbols, self).__init__("lx-symbols", gdb.COMMAND_FILES)

    def invoke(self, arg, from_tty):
        lines = [line for line in kdive("lsmod --symbols").splitlines()
                 if line.startswith("add-symbol-file ")]
        confirm = gdb.parameter("confirm")
        gdb.execute("set confirm off")
        try:
            for line in lines:
                gdb.write("loading " + line.split()[1] + "\n")
                gdb.execute(line, to_string=True)
        finally:
            gdb.execute("set confirm " + ("on" if confirm else "off"))


class PassOn(gdb.Command):
    """A kdive command under its lx- name."""

    def __init__(self, name, command):
        super(PassOn, self).__init__(name, gdb.COMMAND_DATA)
        self.command = command
        self.__doc__ = "%s: kdive's `%s`." % (name, command)

    def invoke(self, arg, from_tty):
        gdb.write(kdive((self.command + " " + arg).strip()))


FUNCTIONS = {"lx_current": Current, "lx_per_cpu": PerCpu, "lx_task_by_pid": TaskByPid,
             "lx_module": Module, "container_of": ContainerOf}
COMMANDS = {"lx-ps": Ps, "lx-symbols": Symbols, "lx-dmesg": lambda: PassOn("lx-dmesg", "dmesg"),
            "lx-lsmod": lambda: PassOn("lx-lsmod", "lsmod"),
            "lx-cmdline": lambda: PassOn("lx-cmdline", "cmdline"),
            "lx-version": lambda: PassOn("lx-version", "version"),
            "lx-mounts": lambda: PassOn("lx-mounts", "mounts")}


def function_defined(name):
    try:
        return gdb.parse_and_eval("$" + name).type.code == gdb.TYPE_CODE_INTERNAL_FUNCTION
    except gdb.error:
        return False


def command_defined(name):
    try:
        gdb.execute("help " + name, to_string=True)
        return True
    except gdb.error:
        return False


# Through `kdive serve` a GDB thread is a task, not a CPU: the kernel's own $lx_current() and
# $lx_per_cpu() take thread N for CPU N-1, so kdive's answer those two always.
THREAD_IS_CPU = ("lx_current", "lx_per_cpu")


def define(override):
    for name, make in FUNCTIONS.items():
        if override or name in THREAD_IS_CPU or not function_defined(name):
            make()
    for name, make in COMMANDS.items():
        if override or not command_defined(name):
            make()


class Override(gdb.Command):
    """kdive-lx-override: kdive's lx-* functions and commands in place of the kernel's."""

    def __init__(self):
        super(Override, self).__init__("kdive-lx-override", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        define(True)


class Ask(gdb.Command):
    """kdive COMMAND: any kdive command on this kernel (ps, dmesg, bt -a, p EXPR, ...)."""

    def __init__(self):
        super(Ask, self).__init__("kdive", gdb.COMMAND_DATA)

    def invoke(self, arg, from_tty):
        gdb.write(kdive(arg))


define(False)
Override()
Ask()

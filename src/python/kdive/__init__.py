"""kdive: a Linux kernel in a QEMU VM, in a vmcore, or its vmlinux alone, from Python.

    import kdive
    prog = kdive.attach("/tmp/vm")          # a session folder, HOST:PORT or a vmcore
    for task in kdive.for_each_task(prog):
        print(task.pid.value_(), task.comm.string_().decode())

Objects, types and the kernel helpers are named as drgn names them; breakpoints, watchpoints
and stepping are kdive's own (prog.breakpoint(), prog.cont()).
"""

from ._kdive import *  # noqa: F401,F403
from ._kdive import Object, Program, __version__, for_each_task, list_for_each_entry

__all__ = [name for name in dir() if not name.startswith("_")]


def for_each_online_cpu(prog: Program):
    """The online CPUs' numbers (drgn's for_each_online_cpu)."""
    return iter(prog.cpus)


def list_first_entry(head: Object, type, member: str) -> Object:
    """The first entry of a non-empty list_head list."""
    for entry in list_for_each_entry(type, head, member):
        return entry
    raise ValueError("list_first_entry(): the list is empty")


def list_count_nodes(head: Object) -> int:
    """How many nodes a list_head list has."""
    return len(list_for_each(head))  # noqa: F405


def task_by_comm(prog: Program, comm: str):
    """Every task whose comm is `comm`."""
    wanted = comm.encode()
    return [t for t in for_each_task(prog) if t.comm.string_() == wanted]


__all__ += ["for_each_online_cpu", "list_first_entry", "list_count_nodes", "task_by_comm"]

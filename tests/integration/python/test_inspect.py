"""`kdive.inspect(vmlinux)`: types, symbols and object arithmetic on a kernel image alone,
checked against the image's System.map and drgn's reading of the same DWARF."""

import json
import subprocess
import textwrap

import kdive
import pytest

STRUCTS = {"task_struct": ["pid", "comm", "tasks", "se.run_node", "thread.sp"],
           "list_head": ["next", "prev"],
           "module": ["list", "name"],
           "file": ["f_path", "f_flags"]}


@pytest.fixture(scope="module")
def prog(vmlinux):
    with kdive.inspect(str(vmlinux)) as program:
        yield program


def system_map(kernel_dir):
    table = {}
    for line in (kernel_dir / "System.map").read_text().splitlines():
        address, kind, name = line.split()[:3]
        table.setdefault(name, int(address, 16))
    return table


def test_symbols_agree_with_system_map(prog, kernel_dir):
    table = system_map(kernel_dir)
    for name in ("start_kernel", "init_task", "jiffies", "do_sys_openat2"):
        symbol = prog.symbol(name)
        assert symbol.address == table[name], name
        inside = prog.symbol(symbol.address + 1)  # jiffies is jiffies_64's alias
        assert inside.address == symbol.address and table[inside.name] == symbol.address
        assert symbol.module is None
    assert prog.symbol("start_kernel").kind == "function"
    assert prog.function("start_kernel").address_ == table["start_kernel"]
    assert prog.variable("init_task").address_ == table["init_task"]
    with pytest.raises(KeyError):
        prog.symbol("no_such_symbol_anywhere")
    assert "jiffies" in prog and "no_such_symbol_anywhere" not in prog


def test_types_agree_with_drgn(prog, vmlinux):
    script = textwrap.dedent(f"""
        import drgn, json
        prog = drgn.Program()
        prog.load_debug_info([{str(vmlinux)!r}])
        structs = {STRUCTS!r}
        out = {{}}
        for name, members in structs.items():
            t = prog.type("struct " + name)
            out[name] = [drgn.sizeof(t)] + [drgn.offsetof(t, m) for m in members]
        print(json.dumps(out))
    """)
    drgn = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True,
                          timeout=600)
    if "No module named" in drgn.stderr:
        pytest.skip("python3-drgn is not installed")
    assert drgn.returncode == 0, drgn.stderr
    expected = json.loads(drgn.stdout)
    for name, members in STRUCTS.items():
        t = prog.type("struct " + name)
        assert [kdive.sizeof(t)] + [t.offsetof(m) for m in members] == expected[name], name
    task = prog.type("struct task_struct")
    assert task.kind == "struct" and task.name == "task_struct"
    assert task.has_member("pid") and not task.has_member("no_such_member")
    assert "pid" in [m[0] for m in task.members]
    assert str(prog.type("struct list_head")).startswith("struct list_head {")
    assert prog.type("unsigned long").size == 8
    assert prog.type("u64 *").type.name == "u64"


def test_object_arithmetic(prog):
    task_size = prog.type("struct task_struct").size
    p = kdive.Object(prog, "struct task_struct *", value=0xffff888000001000)
    assert (p + 1).value_() == 0xffff888000001000 + task_size
    assert (p - 2).value_() == 0xffff888000001000 - 2 * task_size
    assert ((p + 3) - p).value_() == 3
    assert p == 0xffff888000001000 and p != 0 and p < p + 1
    n = kdive.Object(prog, "int", value=-7)
    assert (n * 3).value_() == -21 and (n / 2).value_() == -3 and (-n).value_() == 7
    assert (n & 0xff).value_() == 0xf9 and (1 << kdive.Object(prog, "int", value=4)).value_() == 16
    assert int(n) == -7 and bool(n) and not bool(kdive.Object(prog, "int", value=0))
    assert kdive.cast("unsigned char", n).value_() == 0xf9
    assert kdive.cast("unsigned long", p).type_.type_name() == "unsigned long"
    link = kdive.Object(prog, "struct list_head *", value=0xffff888000002000)
    owner = kdive.container_of(link, "struct task_struct", "tasks")
    assert owner.value_() == 0xffff888000002000 - prog.type("struct task_struct").offsetof("tasks")
    assert owner.type_.type_name() == "struct task_struct *"
    assert str(p) == "(struct task_struct *) 0xffff888000001000"


def test_values_the_image_holds(prog):
    # init_task and init_uts_ns are initialised data: the file itself has their values.
    assert prog["init_task"].comm.string_() == b"swapper"
    assert prog["init_uts_ns"].name.sysname.string_() == b"Linux"
    assert prog["init_task"].pid.value_() == 0
    comm = prog["init_task"].comm
    assert len(comm) == 16 and comm[0].value_() == ord("s")
    assert prog.constant("PIDTYPE_PID").value_() == 0
    assert prog.eval("sizeof(struct list_head)").value_() == 16
    assert "swapper" in str(prog["init_task"].comm)
    assert isinstance(prog["init_uts_ns"].name.value_(), dict)
    with pytest.raises(kdive.Error, match="no running kernel|image alone"):
        kdive.for_each_task(prog)
    with pytest.raises(AttributeError):
        prog["init_task"].no_such_member

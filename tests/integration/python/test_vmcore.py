"""`import kdive` on a vmcore of the guest: the same answers as live, and drgn 0.0.22's answers
for the same expressions on the same dump."""

import json
import subprocess
import textwrap

import kdive
import pytest

from test_live import MARKER, check_tasks_match, task_map

DRGN = "/usr/bin/python3"


def test_vmcore_gives_the_live_answers(guest, vmcore, vmlinux):
    with kdive.attach(str(vmcore), vmlinux=str(vmlinux)) as prog:
        assert not prog.live
        check_tasks_match(task_map(prog), guest)
        assert any(MARKER in r.text for r in kdive.get_printk_records(prog))
        trace = prog.stack_trace(kdive.find_task(prog, guest.sleep_pid))
        assert "schedule" in [f.function for f in trace], str(trace)
        with pytest.raises(kdive.Error, match="read-only"):
            prog.breakpoint("do_sys_openat2")
        with pytest.raises(kdive.Error, match="read-only"):
            prog.cont()


# One script, two engines: each prints the same JSON. kdive's names are drgn's, so only the
# imports differ.
PARITY = textwrap.dedent("""
    import json
    {imports}
    init = find_task(prog, 1)
    QUESTIONS = {{
        "release": lambda: prog["init_uts_ns"].name.release.string_().decode(),
        "init_comm": lambda: prog["init_task"].comm.string_().decode(),
        "tasks": lambda: sorted([t.pid.value_(), t.comm.string_().decode(),
                                 task_state_to_char(t)] for t in for_each_task(prog)),
        "init_children": lambda: [t.pid.value_() for t in list_for_each_entry(
            "struct task_struct", init.children.address_of_(), "sibling")],
        "init_files": lambda: [[fd, d_path(f.f_path).decode()] for fd, f in for_each_file(init)],
        "modules": lambda: [m.name.string_().decode() for m in list_for_each_entry(
            "struct module", prog["modules"].address_of_(), "list")],
        "printk": lambda: [r.text.decode(errors="replace")
                           for r in get_printk_records(prog)][-20:],
        "cpu_curr": lambda: [cpu_curr(prog, c).pid.value_() for c in (0, 1)],
        "nr_running": lambda: [per_cpu(prog["runqueues"], c).nr_running.value_() for c in (0, 1)],
        "task_size": lambda: sizeof(prog.type("struct task_struct")),
        "offsetof_tasks": lambda: offsetof(prog.type("struct task_struct"), "tasks"),
        "container": lambda: container_of(init.tasks.address_of_(), "struct task_struct",
                                          "tasks").value_() == init.value_(),
        "arith": lambda: [(init + 1).value_() - init.value_(), int(init.pid) * 3 + 1,
                          (prog["jiffies_64"] & 0xff).value_() <= 0xff],
        "slab_caches": lambda: sorted(c.name.string_().decode()
                                      for c in for_each_slab_cache(prog)),
        "init_slab": lambda: [slab_object_info(init).slab_cache.name.string_().decode(),
                              slab_object_info(init).address == init.value_()],
        "init_page": lambda: [int(virt_to_pfn(init)), int(page_to_pfn(virt_to_page(init))),
                              page_to_virt(virt_to_page(init)).value_(),
                              pfn_to_virt(prog, int(virt_to_pfn(init))).value_()],
    }}
    out = {{}}
    for key, question in QUESTIONS.items():
        try:
            out[key] = question()
        except Exception as error:  # a peer's helper that does not know this kernel
            out[key] = {{"error": f"{{type(error).__name__}}: {{error}}"}}
    print(json.dumps(out, sort_keys=True))
""")

# What drgn 0.0.22 must answer on every test kernel; the rest it may not know on the newest
# kernels (slab_object_info on 6.12 and 7.x), and those are compared where it answers.
REQUIRED = {"release", "init_comm", "tasks", "init_children", "init_files", "modules", "printk",
            "cpu_curr", "nr_running", "task_size", "offsetof_tasks", "container", "arith",
            "slab_caches"}

DRGN_IMPORTS = """
from drgn import container_of, offsetof, sizeof
from drgn.helpers.linux.fs import d_path, for_each_file
from drgn.helpers.linux.list import list_for_each_entry
from drgn.helpers.linux.percpu import per_cpu
from drgn.helpers.linux.pid import find_task, for_each_task
from drgn.helpers.linux.printk import get_printk_records
from drgn.helpers.linux.sched import task_state_to_char
from drgn.helpers.linux.slab import for_each_slab_cache, slab_object_info
from drgn.helpers.linux.mm import page_to_pfn, page_to_virt, pfn_to_virt, virt_to_page, virt_to_pfn


def cpu_curr(prog, cpu):  # drgn 0.0.22 has no cpu_curr(): what its later versions read
    return per_cpu(prog["runqueues"], cpu).curr
"""

KDIVE_IMPORTS = """
import kdive
from kdive import (container_of, sizeof, d_path, for_each_file, list_for_each_entry, per_cpu,
                   find_task, for_each_task, get_printk_records, cpu_curr, task_state_to_char,
                   for_each_slab_cache, slab_object_info, page_to_pfn, page_to_virt,
                   pfn_to_virt, virt_to_page, virt_to_pfn)
offsetof = lambda type, member: type.offsetof(member)
"""


def test_answers_equal_drgns(vmcore, vmlinux, tmp_path):
    drgn_script = tmp_path / "drgn_parity.py"
    drgn_script.write_text(PARITY.format(imports=DRGN_IMPORTS))
    drgn = subprocess.run([DRGN, "-m", "drgn", "-q", "-c", str(vmcore), "-s", str(vmlinux),
                           str(drgn_script)], capture_output=True, text=True, timeout=600)
    if drgn.returncode != 0 and "No module named drgn" in drgn.stderr:
        pytest.skip("python3-drgn is not installed")
    assert drgn.returncode == 0, drgn.stderr
    expected = json.loads(drgn.stdout.splitlines()[-1])

    namespace = {"prog": kdive.attach(str(vmcore), vmlinux=str(vmlinux))}
    kdive_script = PARITY.format(imports=KDIVE_IMPORTS).replace(
        "print(json.dumps(out, sort_keys=True))", "")
    assert set(expected) == set(REQUIRED) | {"init_slab", "init_page"}
    exec(kdive_script, namespace)  # noqa: S102 - the test's own script
    got = json.loads(json.dumps(namespace["out"], sort_keys=True))
    namespace["prog"].close()
    for key, answer in expected.items():
        assert not (isinstance(got[key], dict) and "error" in got[key]), (key, got[key])
        if isinstance(answer, dict) and "error" in answer:
            assert key not in REQUIRED, (key, answer)
            continue
        assert got[key] == answer, key

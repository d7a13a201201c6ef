"""`import kdive` against a running guest: tasks, the log, stacks and breakpoints, checked
against what the guest itself printed from /proc."""

import subprocess
import sys
import textwrap

import kdive
import pytest

from conftest import KDIVE, kdive as run_kdive

MARKER = b"kdive-python-marker-7c41"
# Processes that come and go while the guest idles (the loops' sleeps) and kernel threads
# started after the listing.
CHURN = ("sleep", "kworker")


def task_map(prog):
    return {t.pid.value_(): t.comm.string_().decode(errors="replace")
            for t in kdive.for_each_task(prog)}


def check_tasks_match(tasks, guest):
    for pid, comm in guest.procs.items():
        if (comm == "sleep" and pid != guest.sleep_pid) or pid in guest.transient:
            continue  # a loop's short sleep, or the init script: gone since
        # /proc/PID/comm shows a kernel thread's whole name (a kworker's with its workqueue
        # after a '-', or in comm itself for 6.9's rescuers: kworker/R-mm_pe); comm holds its
        # first 15 bytes
        expected = {comm[:15], comm.split("-")[0] if comm.startswith("kworker/") else comm[:15]}
        assert tasks.get(pid) in expected, f"/proc had pid {pid} ({comm}); kdive: {tasks.get(pid)}"
    newest = max(guest.procs)
    for pid, comm in tasks.items():
        if pid not in guest.procs:
            assert pid > newest or comm.startswith(CHURN), f"kdive has pid {pid} ({comm})"


def test_tasks_equal_the_guests_proc(guest):
    with kdive.attach(str(guest.state)) as prog:
        tasks = task_map(prog)
        check_tasks_match(tasks, guest)
        assert tasks[guest.snooze_pid] == "kdivesnooze"
        init = kdive.find_task(prog, 1)
        assert init.comm.string_() == guest.procs[1].encode()[:15]
        assert kdive.find_task(prog, 99999999) is None
        assert kdive.task_state_to_char(kdive.find_task(prog, guest.sleep_pid)) == "S"


def test_printk_records_hold_the_marker(guest):
    with kdive.attach(str(guest.state)) as prog:
        records = kdive.get_printk_records(prog)
        assert any(MARKER in r.text for r in records)
        assert [r.seq for r in records] == sorted(r.seq for r in records)
        assert b"Linux version" in records[0].text


def test_sleeping_task_stack_names_schedule(guest):
    with kdive.attach(str(guest.state)) as prog:
        trace = prog.stack_trace(kdive.find_task(prog, guest.sleep_pid))
        names = [f.function for f in trace]
        assert "schedule" in names, str(trace)
        assert names.index("schedule") < len(names) - 1
        assert any("nanosleep" in (n or "") for n in names), str(trace)
        # by pid too, and every frame has a pc in the kernel
        assert [f.function for f in prog.stack_trace(guest.sleep_pid)] == names
        assert all(f.pc >= 0xffff800000000000 for f in trace)
        # a CPU's stack: whatever runs there, unwinding works
        cpu = prog.stack_trace(cpu=0)
        assert len(cpu) >= 1 or cpu.stop_reason


def test_values_and_helpers(guest):
    with kdive.attach(str(guest.state)) as prog:
        assert prog.cpus == [0, 1]
        rq = kdive.per_cpu(prog["runqueues"], 1)
        assert rq.cpu.value_() == 1
        curr = kdive.cpu_curr(prog, 0)
        assert curr.type_.type_name() == "struct task_struct *"
        assert kdive.idle_task(prog, 1).comm.string_() == b"swapper/1"
        init = kdive.find_task(prog, 1)
        children = kdive.list_for_each_entry("struct task_struct", init.children.address_of_(),
                                             "sibling")
        assert guest.snooze_pid in [c.pid.value_() for c in children]
        files = dict(kdive.for_each_file(init))
        assert kdive.d_path(files[0].f_path) == b"/dev/console"
        modules = [m.name.string_() for m in kdive.for_each_module(prog)]
        assert b"dummy" in modules
        dummy = kdive.find_module(prog, "dummy")
        assert dummy.name.string_() == b"dummy"
        assert prog.symbol("dummy_setup").module == "dummy"
        release = prog["init_uts_ns"].name.release.string_()
        assert release.decode() in prog.command("version")
        assert len(kdive.for_each_slab_cache(prog)) > 50
        assert kdive.find_slab_cache(prog, "task_struct") is not None


def test_conditional_breakpoint_fires_only_for_the_marked_task(guest):
    with kdive.attach(str(guest.state)) as prog:
        seen = []

        def only_snooze(event):
            comm = event.task.comm.string_()
            seen.append(comm)
            return comm == b"kdivesnooze"

        bp = prog.breakpoint("do_sys_openat2", only_snooze)
        stop = prog.cont(timeout=120)
        assert stop.reason == "breakpoint", stop
        assert stop.breakpoint.number == bp.number
        assert stop.task.comm.string_() == b"kdivesnooze"
        assert stop.task.pid.value_() == guest.snooze_pid
        # its arguments, through the DWARF locations at the function's entry
        assert stop.frame.function == "do_sys_openat2"
        assert stop.frame["filename"].string_() == b"/proc/version"
        assert "filename" in stop.frame.locals()
        assert seen[-1] == b"kdivesnooze"
        assert all(c != b"kdivesnooze" for c in seen[:-1])
        # the other opener was seen and let run, if it opened before the snooze did
        bp.delete()
        assert prog.breakpoints() == []
        quiet = prog.cont(timeout=1)
        assert quiet.reason == "timeout"


def test_trees_and_memory_helpers(guest):
    with kdive.attach(str(guest.state)) as prog:
        init = kdive.find_task(prog, 1)
        # hlist: the tasks of init's struct pid, through pid_links[PIDTYPE_PID]
        linked = kdive.hlist_for_each_entry("struct task_struct",
                                            init.thread_pid.tasks[0].address_of_(),
                                            "pid_links[0]")
        assert [t.value_() for t in linked] == [init.value_()]
        # xarray: the pid IDR, by pid number less idr_base
        idr = prog["init_pid_ns"].idr
        base = idr.idr_base.value_()
        entries = dict(kdive.xa_for_each(idr.idr_rt.address_of_()))
        assert {guest.sleep_pid, guest.snooze_pid, 1} <= {i + base for i in entries}
        pid = kdive.cast("struct pid *", entries[guest.sleep_pid - base])
        assert pid.numbers[0].nr.value_() == guest.sleep_pid
        # init's VMAs: a maple tree from 6.1, a red-black tree before
        mm = init.mm
        if mm.type_.type.has_member("mm_mt"):
            ranges = kdive.mt_for_each(mm.mm_mt.address_of_())
            vmas = [kdive.cast("struct vm_area_struct *", entry) for _, _, entry in ranges]
            assert [(v.vm_start.value_(), v.vm_end.value_() - 1) for v in vmas] == \
                [(first, last) for first, last, _ in ranges]
        else:
            vmas = kdive.rbtree_inorder_for_each_entry("struct vm_area_struct",
                                                       mm.mm_rb.address_of_(), "vm_rb")
            starts = [v.vm_start.value_() for v in vmas]
            assert starts == sorted(starts)
        assert len(vmas) == mm.map_count.value_() > 0
        # the slab allocator and the page map
        info = kdive.slab_object_info(prog, init)
        assert info.slab_cache.name.string_() == b"task_struct"
        assert info.allocated and info.address == init.value_()
        assert kdive.slab_object_info(prog, prog["init_task"].address_of_()) is None
        page = kdive.virt_to_page(init)
        assert kdive.page_to_pfn(page) == kdive.virt_to_pfn(prog, init)
        assert kdive.page_to_virt(page).value_() == init.value_() & ~0xfff
        assert kdive.pfn_to_page(prog, kdive.page_to_pfn(page)) == page


def test_watchpoint_step_next_finish(guest):
    with kdive.attach(str(guest.state)) as prog:
        watch = prog.watchpoint("jiffies_64", "write")
        stop = prog.cont(timeout=60)
        assert stop.reason == "watchpoint", stop
        assert stop.breakpoint.number == watch.number and watch.hits == 1
        assert watch.address <= stop.watch_address < watch.address + 8
        watch.delete()
        bp = prog.breakpoint("do_sys_openat2",
                             lambda event: event.task.comm.string_() == b"kdivesnooze")
        stop = prog.cont(timeout=120)
        assert stop.reason == "breakpoint", stop
        bp.delete()
        entry_line = stop.frame.line
        stepped = prog.next()
        assert stepped.reason == "step" and stepped.cpu == stop.cpu
        assert stepped.frame.function == "do_sys_openat2" and stepped.frame.line > entry_line
        assert stepped.task.pid.value_() == guest.snooze_pid
        done = prog.finish()
        assert done.frame.function != "do_sys_openat2" and "open" in done.frame.function
        assert done.task.pid.value_() == guest.snooze_pid


def test_faults_and_closed_programs_raise(guest):
    with kdive.attach(str(guest.state)) as prog:
        check_faults_and_close(prog)


def check_faults_and_close(prog):
    with pytest.raises(kdive.FaultError) as fault:
        prog.read(0x10, 8)
    assert fault.value.address == 0x10
    bad = kdive.Object(prog, "struct task_struct", address=0xdead000000000000)
    with pytest.raises(kdive.FaultError) as fault:
        bad.pid.value_()
    assert fault.value.address == 0xdead000000000000 + prog.type("struct task_struct").offsetof("pid")
    with pytest.raises(kdive.Error) as error:
        prog.type("struct no_such_struct_here")
    assert error.value.kind == "invalid_input"
    with pytest.raises(KeyError):
        prog["no_such_symbol_here"]
    jiffies = prog["jiffies"]
    prog.close()
    with pytest.raises(kdive.Error, match="closed"):
        jiffies.value_()
    with pytest.raises(kdive.Error, match="closed"):
        prog["jiffies"]


SCRIPT = textwrap.dedent("""
    import sys, kdive
    tasks = kdive.for_each_task(prog)
    print("args", sys.argv[1:])
    print("tasks", len(tasks), tasks[0].comm.string_().decode())
""")


def test_scripts_run_inside_kdive(guest, tmp_path):
    script = tmp_path / "count.py"
    script.write_text(SCRIPT)
    ran = run_kdive("python", guest.state, script, "one", "two")
    lines = ran.stdout.splitlines()
    assert lines[0] == "args ['one', 'two']"
    count = int(lines[1].split()[1])
    assert count >= len(guest.procs) - 5 and lines[1].endswith(guest.procs[1])
    ran = run_kdive("attach", guest.state, "--batch", "-x", script, "three")
    assert ran.stdout.splitlines()[0] == "args ['three']"
    # the REPL's python command shares the session: a value set there stays
    ran = run_kdive("attach", guest.state, "--batch", "-ex", "python n = 1 + 1",
                    "-ex", "python print('n is', n, prog['init_task'].comm.string_())",
                    "-ex", f"source {script}")
    assert ran.stdout.splitlines()[0] == "n is 2 b'swapper/0'"
    assert ran.stdout.splitlines()[1] == "args []"
    failed = run_kdive("python", guest.state, "-", check=False)
    assert failed.returncode != 0 and "no such Python file" in failed.stderr
    # an exception in a script: its traceback, a failure, and the guest left running
    bad = tmp_path / "bad.py"
    bad.write_text("import kdive\nkdive.Object(prog, 'int', address=0x10).value_()\n")
    failed = run_kdive("python", guest.state, bad, check=False)
    assert failed.returncode == 1
    assert "FaultError" in failed.stderr and "Traceback" in failed.stderr


def test_extension_module_loads_in_debians_python():
    ran = subprocess.run([sys.executable, "-c", "import kdive; print(kdive.__version__)"],
                         capture_output=True, text=True, check=True)
    assert ran.stdout.strip()

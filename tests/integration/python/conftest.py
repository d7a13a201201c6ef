"""The guest the Python API tests share: one boot per kernel, its /proc as the guest printed it,
and a vmcore of it. The kernel is KDIVE_TEST_KERNEL, fetched into kdive's cache by the suite's
fixture; kdive itself is KDIVE_BINARY."""

import os
import pathlib
import re
import subprocess
import time

import pytest

KDIVE = os.environ.get("KDIVE_BINARY", "kdive")
KERNEL = os.environ.get("KDIVE_TEST_KERNEL", "debian-6.1-cloud")

# Every process's pid and comm through shell builtins only (no process is forked to list
# them), a log marker, a sleeping task, and two tasks that keep opening files: one renamed
# kdivesnooze (the conditional breakpoint's target), one plain `sh`.
INIT_SCRIPT = r"""#!/bin/sh
echo "kdive-python-marker-7c41 hello from the guest" > /dev/kmsg
echo "PYFACT-SELF: $$ $PPID"
sleep 4242 &
echo "PYFACT-SLEEP: $!"
(echo -n kdivesnooze > /proc/self/comm; while :; do read -r x < /proc/version; sleep 0.3; done) &
echo "PYFACT-SNOOZE: $!"
(while :; do read -r x < /proc/uptime; sleep 0.2; done) &
sleep 1
for d in /proc/[0-9]*; do read -r c < $d/comm && echo "PYFACT-PROC: ${d#/proc/} $c"; done 2>/dev/null
echo PYFACT-READY
"""


def cache_dir() -> pathlib.Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return pathlib.Path(base) / "kdive"


def kdive(*args, check=True, timeout=600, **kwargs):
    return subprocess.run([KDIVE, *map(str, args)], check=check, timeout=timeout,
                          capture_output=True, text=True, **kwargs)


class Guest:
    def __init__(self, state: pathlib.Path):
        self.state = state
        self.console = state / "console.log"
        self.procs: dict[int, str] = {}
        self.sleep_pid = 0
        self.snooze_pid = 0
        self.transient: set[int] = set()  # the script and rcS, which end after the listing

    def console_text(self) -> str:
        try:
            return self.console.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_for(self, marker: str, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            text = self.console_text()
            if marker in text:
                return text
            time.sleep(0.5)
        raise TimeoutError(f"{marker} not on the console within {seconds} s; last lines:\n"
                           + "\n".join(self.console_text().splitlines()[-20:]))

    def parse(self, text: str):
        for line in text.splitlines():
            if m := re.search(r"PYFACT-PROC: (\d+) (.*)$", line):
                self.procs[int(m.group(1))] = m.group(2).rstrip("\r")
            elif m := re.search(r"PYFACT-SELF: (\d+) (\d+)", line):
                self.transient = {int(m.group(1)), int(m.group(2))}
            elif m := re.search(r"PYFACT-SLEEP: (\d+)", line):
                self.sleep_pid = int(m.group(1))
            elif m := re.search(r"PYFACT-SNOOZE: (\d+)", line):
                self.snooze_pid = int(m.group(1))


@pytest.fixture(scope="session")
def kernel_dir() -> pathlib.Path:
    path = cache_dir() / "kernels" / KERNEL
    if not (path / "vmlinux").exists():
        pytest.skip(f"{KERNEL} is not fetched (kdive kernel fetch {KERNEL})")
    return path


@pytest.fixture(scope="session")
def vmlinux(kernel_dir) -> pathlib.Path:
    return kernel_dir / "vmlinux"


@pytest.fixture(scope="session")
def guest(tmp_path_factory, kernel_dir):
    work = tmp_path_factory.mktemp("guest")
    script = work / "facts.sh"
    script.write_text(INIT_SCRIPT)
    rootfs = work / "rootfs.cpio.gz"
    # dummy for the module helpers; qemu_fw_cfg so that dumps carry VMCOREINFO (drgn needs it)
    modules = [next((kernel_dir / "modules").rglob(f"{name}.ko*"), None)
               for name in ("dummy", "qemu_fw_cfg")]
    kdive("rootfs", "-o", rootfs, "--init-script", script,
          *[arg for m in modules if m for arg in ("--module", m)])
    state = work / "vm"
    kdive("boot", "--kernel", KERNEL, "--smp", "2", "--initrd", rootfs, "--state", state,
          "--detach")
    booted = Guest(state)
    try:
        booted.parse(booted.wait_for("PYFACT-READY", 600))
        booted.wait_for("built-in shell (ash)", 60)
        assert booted.procs and booted.sleep_pid and booted.snooze_pid
        yield booted
    finally:
        kdive("stop", state, check=False, timeout=60)


@pytest.fixture(scope="session")
def vmcore(guest, tmp_path_factory) -> pathlib.Path:
    # kdump-lzo: the format of kdive's dumps that Debian's drgn 0.0.22 reads (QEMU's ELF and
    # flattened dumps of these kernels it cannot)
    path = tmp_path_factory.mktemp("dump") / "guest.kdump"
    kdive("dump", guest.state, "-o", path, "--format", "kdump-lzo")
    return path

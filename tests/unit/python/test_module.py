"""The module itself, with no kernel: it imports into Debian's Python, documents every
function, and turns bad targets into kdive.Error rather than crashes."""

import inspect

import kdive
import pytest


def test_every_public_name_is_documented():
    undocumented = []
    for name in kdive.__all__:
        item = getattr(kdive, name)
        if callable(item) and not (item.__doc__ or "").strip():
            undocumented.append(name)
        if inspect.isclass(item):
            for attr, member in vars(item).items():
                if attr.startswith("_") or not callable(member):
                    continue
                if not (getattr(member, "__doc__", "") or "").strip():
                    undocumented.append(f"{name}.{attr}")
    assert undocumented == []


def test_drgn_names_are_there():
    for name in ("for_each_task", "find_task", "task_state_to_char", "per_cpu", "cpu_curr",
                 "list_for_each_entry", "hlist_for_each_entry", "rbtree_inorder_for_each_entry",
                 "xa_for_each", "mt_for_each", "for_each_module", "get_printk_records",
                 "d_path", "for_each_file", "container_of", "cast", "sizeof",
                 "for_each_slab_cache", "find_slab_cache", "Object", "Program", "FaultError"):
        assert hasattr(kdive, name), name


def test_bad_targets_raise_errors_naming_them(tmp_path):
    with pytest.raises(kdive.Error) as error:
        kdive.inspect(str(tmp_path / "no-vmlinux"))
    assert "no-vmlinux" in str(error.value)
    not_elf = tmp_path / "garbage"
    not_elf.write_bytes(b"\x7fELF" + b"\xff" * 60)
    with pytest.raises(kdive.Error):
        kdive.inspect(str(not_elf))
    with pytest.raises(kdive.Error) as error:
        kdive.attach(str(tmp_path / "missing-session"))
    assert "missing-session" in str(error.value)
    with pytest.raises(kdive.Error):
        kdive.attach("unix:" + str(tmp_path / "no-socket"))


def test_fault_error_carries_address_and_kind():
    error = kdive.FaultError("no page at 0x10", 0x10)
    assert isinstance(error, kdive.Error) and error.kind == "unmapped" and error.address == 0x10

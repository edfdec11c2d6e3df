"""The bare-metal RISC-V test programs of tests/baremetal/, run on rvemu (and on QEMU).

Each program is a self-checking suite of numbered test cases (see tests/baremetal/build.py
and test_macros.h).  It ends by writing its exit code to the HTIF ``tohost`` word: 0 when
every case passed, otherwise the number of the failing case, which is what an assertion
failure here reports (with the console output: the program prints the failing case and any
unexpected trap).

``test_rvemu`` runs each program on rvemu.  ``test_qemu`` (marker ``qemu``) runs the same
sources on qemu-system-riscv64 as a reference, when it is installed.
Everything is skipped when the ziglang toolchain is missing.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_BUILD_PY = Path(__file__).resolve().parent / "baremetal" / "build.py"
_spec = importlib.util.spec_from_file_location("baremetal_build", _BUILD_PY)
bm = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bm)

PROGRAMS = bm.list_programs()
MAX_INSTRUCTIONS = 50_000_000


@pytest.fixture(scope="session")
def elf_dir(tmp_path_factory):
    """Folder with the programs built for rvemu (HTIF), built once per session."""
    if not bm.toolchain_available():
        pytest.skip("the ziglang package (RISC-V compiler) is not installed")
    outdir = tmp_path_factory.mktemp("baremetal")
    try:
        bm.build_all(outdir)
    except bm.BuildError:
        pass  # reported by the test of the program that does not build
    return outdir


def _describe(name: str, code, console: bytes) -> str:
    text = console.decode("latin-1").strip()
    return f"{name}: exit code {code} (0 = pass, else the failing test case)\nconsole:\n{text}"


@pytest.mark.parametrize("name", PROGRAMS)
def test_rvemu(name, elf_dir):
    try:
        from rvemu import Machine, StopReason
    except ImportError as exc:
        pytest.skip(f"rvemu.Machine is not available: {exc}")
    elf = bm.build(name, elf_dir)
    machine = Machine(ram_mib=16)
    machine.load_elf(str(elf))
    reason = machine.run(max_instructions=MAX_INSTRUCTIONS)
    console = bytes(machine.console_output)
    assert reason == StopReason.EXIT, (
        f"{name}: stopped with {reason!r} instead of exiting\n{_describe(name, None, console)}")
    assert machine.exit_code == bm.expected_exit(name), _describe(name, machine.exit_code, console)
    for text in bm.expected_console(name):
        assert text.encode() in console, f"{name}: missing console output {text!r}\n{console!r}"


@pytest.mark.qemu
@pytest.mark.parametrize("name", PROGRAMS)
def test_qemu(name, elf_dir):
    if bm.qemu_binary() is None:
        pytest.skip("qemu-system-riscv64 is not installed")
    machine = bm.qemu_machine(name)
    if machine is None:
        pytest.skip(f"{name} is not run on QEMU")
    elf = bm.build(name, elf_dir, "qemu" if machine == "spike" else "virt")
    code, console = bm.run_qemu(elf, machine)
    console_bytes = console.encode("latin-1")
    assert code == bm.expected_exit(name) & 0xFF, _describe(name, code, console_bytes)
    for text in bm.expected_console(name):
        assert text in console, f"{name}: missing console output {text!r}\n{console!r}"

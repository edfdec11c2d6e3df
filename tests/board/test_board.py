"""The assembled board: a bare-metal program talks to the UART and powers off."""

import subprocess
import sys

from rvemu.board import Board
from rvemu.machine import StopReason


def test_uart_echo_and_poweroff(board_program):
    elf = board_program("hello")
    b = Board(ram_mib=16, harts=2)
    b.load_kernel(str(elf))
    b.expect("hello from rvemu\n", timeout_instructions=1_000_000)
    b.send("ping\n")
    assert b.run(max_instructions=10_000_000) is StopReason.EXIT
    assert b.exit_code == 7
    assert bytes(b.output) == b"hello from rvemu\nping\n"


def rvemu_cli(*args, **kw):
    """Run the command as a user would (from a neutral directory: the installed package)."""
    return subprocess.run([sys.executable, "-m", "rvemu.cli", *map(str, args)],
                          capture_output=True, timeout=60, cwd=kw.pop("cwd"), **kw)


def test_cli_scripted_exit_status(board_program, tmp_path):
    elf = board_program("hello")
    r = rvemu_cli("--kernel", elf, "--smp", "2", input=b"abc\n", cwd=tmp_path)
    assert r.returncode == 7, r.stderr
    assert r.stdout == b"hello from rvemu\nabc\n"


def test_cli_bad_file(tmp_path):
    bad = tmp_path / "x.elf"
    bad.write_bytes(b"not an elf at all")
    r = rvemu_cli("--kernel", bad, cwd=tmp_path)
    assert r.returncode == 2
    assert b"not an ELF file" in r.stderr and len(r.stderr.splitlines()) == 1

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


def build_c(board_program, name):
    from pathlib import Path
    here = Path(__file__).resolve().parent
    return board_program(name, sources=[here / "crt.S", here / f"{name}.c"])


def test_smp_lrsc_amo_contention_and_ipis(board_program):
    elf = build_c(board_program, "smp")
    b = Board(ram_mib=16, harts=3)
    b.load_kernel(str(elf))
    assert b.run(max_instructions=50_000_000) is StopReason.EXIT
    assert (b.exit_code, bytes(b.output)) == (0, b"smp ok\n")


def test_smode_uart_and_virtio_interrupts_through_the_plic(board_program, tmp_path):
    elf = build_c(board_program, "plic_irq")
    disk = tmp_path / "disk.img"
    disk.write_bytes(bytes(512) + b"SECTOR-1" + bytes(504) + bytes(1024))
    b = Board(ram_mib=16, harts=2, drive=str(disk))
    b.load_kernel(str(elf))
    b.expect("ready\n", timeout_instructions=5_000_000)
    b.send("Q")
    assert b.run(max_instructions=20_000_000) is StopReason.EXIT
    assert bytes(b.output) == b"ready\nuart Q\ndisk SECTOR-1\n"
    assert b.exit_code == 0


def test_time_deterministic_skips_idle_and_realtime_follows_the_host(board_program, tmp_path):
    import time
    elf = build_c(board_program, "sleep")
    # deterministic: the half second in WFI costs (almost) no instructions
    r = rvemu_cli("--kernel", elf, "--max-instructions", "20000", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, b"slept\n"), r.stderr
    t = time.monotonic()
    r = rvemu_cli("--kernel", elf, "--realtime", cwd=tmp_path)
    assert (r.returncode, r.stdout) == (0, b"slept\n"), r.stderr
    assert time.monotonic() - t >= 0.5                  # guest time cannot outrun the host's

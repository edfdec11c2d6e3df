"""A UART driver that never reads IIR (xv6-riscv before 2024) must not livelock the hart.

tests/board/uart_thre.c enables the 16550's THR-empty interrupt, sends a line through the
interrupt path and never acknowledges THRE.  QEMU's UART and PLIC make one request per THR write
(rvemu.devices.plic, "Gateways"), so the program finishes in a few thousand instructions; a PLIC
that re-pends a level that stays high takes the interrupt forever."""

import shutil
import subprocess
from pathlib import Path

import pytest

from rvemu.board import Board
from rvemu.machine import StopReason

HERE = Path(__file__).resolve().parent
QEMU = shutil.which("qemu-system-riscv64")
LINE = b"interrupt-driven output from an old-style driver\n"
POLLED = b"polled output\n"
# At most one request per THR write (the queued line, the polled line) and one when IER enables
# THRE.
MAX_IRQS = len(LINE) + len(POLLED) + 1


def build(board_program):
    return board_program("uart_thre", sources=[HERE / "crt.S", HERE / "uart_thre.c"])


def irq_count(output: bytes) -> int:
    last = output.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    assert last.startswith(b"irqs "), output
    return int(last[5:])


def check(output: bytes) -> int:
    assert output.startswith(LINE + POLLED), output
    n = irq_count(output)
    assert 1 <= n <= MAX_IRQS, output
    return n


@pytest.mark.parametrize("harts", [1, 2])
def test_driver_without_iir_reads_finishes(board_program, harts):
    b = Board(ram_mib=16, harts=harts)
    b.load_kernel(str(build(board_program)))
    assert b.run(max_instructions=1_000_000) is StopReason.EXIT, bytes(b.output)[-200:]
    assert b.exit_code == 0
    check(bytes(b.output))


@pytest.mark.qemu
@pytest.mark.skipif(QEMU is None, reason="qemu-system-riscv64 is not installed")
def test_same_output_and_interrupt_count_on_qemu(board_program):
    """QEMU runs the program to the end taking the same number of interrupts as rvemu."""
    elf = build(board_program)
    r = subprocess.run([QEMU, "-machine", "virt", "-bios", "none", "-nographic", "-m", "128M",
                        "-smp", "1", "-kernel", str(elf)], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    on_qemu = r.stdout.replace(b"\r\n", b"\n")
    check(on_qemu)
    b = Board(ram_mib=16, harts=1)
    b.load_kernel(str(elf))
    assert b.run(max_instructions=1_000_000) is StopReason.EXIT
    assert bytes(b.output) == on_qemu

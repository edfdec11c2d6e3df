"""The instruction tracer: exact lines, traps, the start/stop window, full speed outside it."""

import io
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from rvemu import Machine, StopReason, opcodes, toolchain
from rvemu.trace import TracePoint, Tracer, parse_point

BASE = 0x80000000
TOHOST = BASE + 0x1000
HANDLER = BASE + 0x100
E = opcodes.encode


def assemble(items):
    """items: (name, operands) pairs; compressed ones take 2 bytes."""
    out = b""
    for name, ops in items:
        w = E(name, **ops)
        out += struct.pack("<H", w) if name.startswith("c.") else struct.pack("<I", w)
    return out


def machine(code, harts=1, handler=True, **kw):
    m = Machine(ram_mib=1, harts=harts, **kw)
    m.write_phys(BASE, code)
    if handler:
        m.write_phys(HANDLER, struct.pack("<I", E("jal", rd=0, imm=0)))
    for h in m.harts:
        h.pc = BASE
        h.set_csr("mtvec", HANDLER)
    m.enable_htif(TOHOST)
    return m


def trace(m, max_instructions, **kw):
    out = io.StringIO()
    t = Tracer(m, out, **kw)
    reason = t.run(max_instructions)
    return reason, out.getvalue().splitlines(), t


# a0 = 2; loop: c.addi a0, -1; bne a0, zero, loop; ecall
LOOP = [("addi", dict(rd=10, rs1=0, imm=2)), ("c.addi", dict(rd=10, imm=-1)),
        ("bne", dict(rs1=10, rs2=0, imm=-2)), ("ecall", {})]

# count a0 down from 1000, then exit through HTIF with code 7
EXIT = [("addi", dict(rd=10, rs1=0, imm=1000)),              # 0x00
        ("addi", dict(rd=10, rs1=10, imm=-1)),               # 0x04
        ("bne", dict(rs1=10, rs2=0, imm=-4)),                # 0x08
        ("auipc", dict(rd=5, imm=0x1000)),                   # 0x0c  t0 = BASE + 0x100c
        ("addi", dict(rd=6, rs1=0, imm=15)),                 # 0x10
        ("sd", dict(rs1=5, rs2=6, imm=-12)),                 # 0x14  tohost
        ("jal", dict(rd=0, imm=0))]                          # 0x18


def test_exact_lines_with_privilege_compressed_and_exception():
    m = machine(assemble(LOOP))
    m.harts[0].priv = 0                                    # U-mode, satp bare
    bne = E("bne", rs1=10, rs2=0, imm=-2)
    reason, lines, t = trace(m, 8)
    assert reason is StopReason.LIMIT
    assert lines == [
        "         0 0 U 0000000080000000 00200513 addi a0, zero, 2",
        "         1 0 U 0000000080000004 157d     c.addi a0, -1",
        f"         2 0 U 0000000080000006 {bne:08x} bne a0, zero, 0x80000004",
        "         3 0 U 0000000080000004 157d     c.addi a0, -1",
        f"         4 0 U 0000000080000006 {bne:08x} bne a0, zero, 0x80000004",
        "         5 0 U 000000008000000a 00000073 ecall  # exception ECALL_U",
        "         6 0 M 0000000080000100 0000006f jal zero, 0x80000100",
        "         7 0 M 0000000080000100 0000006f jal zero, 0x80000100",
    ]
    assert t.lines == 8 and m.instret_total == 8


def test_fetch_fault_and_interrupt_lines():
    m = machine(assemble([("addi", dict(rd=12, rs1=12, imm=1)), ("jal", dict(rd=0, imm=-4))]))
    h = m.harts[0]
    h.pc = 0x1000                                          # not RAM: fetch access fault
    _, lines, _ = trace(m, 2)
    assert lines == [
        "         0 0 M 0000000000001000 ???????? <fetch fault>  # exception FETCH_ACCESS",
        "         1 0 M 0000000080000100 0000006f jal zero, 0x80000100",
    ]
    h.pc = BASE
    h.set_csr("mie", 1 << 7)
    h.set_csr("mstatus", 1 << 3)
    m.core.set_mtimecmp(0, m.time() + 2)                  # 20 instructions away
    _, lines, _ = trace(m, 40)
    irq = [k for k, line in enumerate(lines) if "interrupt" in line]
    assert len(irq) == 1, lines
    k = irq[0]
    assert lines[k].endswith(" -------- # interrupt MTI")
    assert lines[k + 1].split()[3] == f"{HANDLER:016x}"
    assert lines[k - 1].split()[3] != f"{HANDLER:016x}"
    assert h.csr("mcause") == (1 << 63) | 7


def test_start_at_count_and_count_limit_then_full_speed_to_exit():
    m = machine(assemble(EXIT))
    reason, lines, t = trace(m, None, start=5, count=3)
    assert reason is StopReason.EXIT and m.exit_code == 7
    assert [line.split()[0] for line in lines] == ["5", "6", "7"]
    assert lines[0] == "         5 0 M 0000000080000004 fff50513 addi a0, a0, -1"
    assert t.state == "done"


def test_start_and_stop_at_pc_trace_one_loop_trip():
    m = machine(assemble(EXIT))
    reason, lines, _ = trace(m, None, start=TracePoint("pc", BASE + 4),
                             stop=TracePoint("pc", BASE + 4))
    assert reason is StopReason.EXIT
    assert [line.split()[3] for line in lines] == [f"{BASE + 4:016x}", f"{BASE + 8:016x}"]
    assert lines[0].split()[0] == "1"


def test_stop_at_count_and_at_a_later_pc():
    m = machine(assemble(EXIT))
    _, lines, _ = trace(m, None, stop=4)
    assert [line.split()[0] for line in lines] == ["0", "1", "2", "3"]
    m = machine(assemble(EXIT))
    _, lines, _ = trace(m, None, start=TracePoint("pc", BASE + 8),
                        stop=TracePoint("pc", BASE + 0x14))
    assert lines[0].split()[:4] == ["2", "0", "M", f"{BASE + 8:016x}"]
    assert lines[-1].split()[3] == f"{BASE + 0x10:016x}"        # the addi before the sd
    assert len(lines) == 1 + 2 * 999 + 2                       # bne, 999 trips, auipc, addi


def test_start_pc_never_reached_traces_nothing():
    m = machine(assemble(EXIT))
    reason, lines, _ = trace(m, None, start=TracePoint("pc", BASE + 0x800))
    assert reason is StopReason.EXIT and lines == []


def test_closing_before_the_window_opens_disarms_the_start_breakpoint():
    m = machine(assemble(EXIT))
    t = Tracer(m, io.StringIO(), start=TracePoint("pc", BASE + 4))
    t.close()
    assert m.run(100_000) is StopReason.EXIT            # Machine.run would spin on a breakpoint


class CountingCore:
    """Counts core.run calls by budget (the tracer's single steps are run(i, 1))."""

    def __init__(self, core):
        self._core = core
        self.steps = 0
        self.calls = 0

    def run(self, i, n):
        self.calls += 1
        self.steps += n == 1
        return self._core.run(i, n)

    def __getattr__(self, name):
        return getattr(self._core, name)


def test_outside_the_window_the_machine_runs_in_big_slices():
    m = machine(assemble(EXIT))
    out = io.StringIO()
    t = Tracer(m, out, start=1500, count=4)
    t.core = counting = CountingCore(m.core)
    assert t.run() is StopReason.EXIT
    assert len(out.getvalue().splitlines()) == 4
    assert counting.steps == 4 and counting.calls < 12
    assert m.instret_total > 2000


def test_harts_keep_the_machine_schedule():
    code = assemble([("addi", dict(rd=12, rs1=12, imm=1)), ("jal", dict(rd=0, imm=-4))])
    m = machine(code, harts=2, slice_instructions=3)
    _, lines, _ = trace(m, 12)
    assert [line.split()[1] for line in lines] == list("000111000111")
    assert [int(line.split()[0]) for line in lines] == list(range(12))


def test_parse_point():
    assert parse_point("1000") == TracePoint("count", 1000)
    assert parse_point("0x8000_1000") == TracePoint("pc", 0x80001000)
    for bad in ("", "0x", "12ab", "-5", "pc"):
        with pytest.raises(ValueError):
            parse_point(bad)


def test_cli_trace(tmp_path):
    if not toolchain.available():
        pytest.skip("ziglang is not installed")
    here = Path(__file__).resolve().parent / "board"
    elf = toolchain.build_program([here / "hello.S"], here / "link.ld", tmp_path / "hello.elf")
    out = tmp_path / "trace.txt"
    r = subprocess.run([sys.executable, "-m", "rvemu.cli", "--kernel", elf, "--trace", out,
                        "--trace-count", "3"], input=b"hi\n", capture_output=True, timeout=60,
                       cwd=tmp_path)
    assert r.returncode == 7, r.stderr
    assert r.stdout == b"hello from rvemu\nhi\n"
    lines = out.read_text().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("         0 0 M 0000000080000000 ")
    assert [line.split()[0] for line in lines] == ["0", "1", "2"]
    r = subprocess.run([sys.executable, "-m", "rvemu.cli", "--kernel", elf, "--trace", out,
                        "--gdb", "0"], capture_output=True, timeout=60, cwd=tmp_path)
    assert r.returncode == 2 and b"not both" in r.stderr

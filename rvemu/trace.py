"""Instruction tracer: one line per instruction the guest executes, inside a start/stop window.

Owns: the trace line format, the window (where tracing starts and ends) and running the machine
one instruction at a time inside it -- outside the window the machine runs at full speed.

A line, written before the instruction's effects are visible to later lines::

         123 0 S 0000000080001a2c 00a5b023 sd a0, 0(a1)
    <count> <hart> <priv> <pc>    <raw>    <disassembly>

  * count: the machine's instruction count (``Machine.instret_total``, all harts, traps
    included) before this instruction -- the number ``--trace-start N`` refers to;
  * hart: the hart index; priv: U, S or M, the privilege the instruction runs at;
  * raw: the instruction bits in hex, 8 digits, or 4 digits (padded) for a compressed one, read
    with ``Core.read_virt(..., "fetch")`` before executing; ``????????  <fetch fault>`` when the
    pc cannot be fetched (the fetch exception follows);
  * when the instruction traps instead of retiring, ``  # exception CAUSE`` is appended
    (names from rvemu.csrdefs.CAUSE); when the hart takes an interrupt before executing it,
    the line shows ``--------`` and ``# interrupt NAME`` instead of the instruction.

Harts keep the machine's round-robin schedule (each runs its slice one instruction at a time),
so a traced run interleaves harts the way an untraced one does.  Interrupts are checked before
every traced instruction rather than at block boundaries, so one may be taken a few instructions
earlier than untraced -- the only way tracing changes what the guest does.

The window (``Tracer(start=..., stop=..., count=...)``, ``rvemu --trace FILE --trace-start ...``):

  * start: None -- from the first instruction; an int N (``--trace-start 1000``) -- from
    instruction count N; ``TracePoint("pc", ADDR)`` (``--trace-start 0x80001000``) -- from the
    first time any hart is about to execute the instruction at virtual address ADDR;
  * stop: None -- never; N -- before instruction count N; ADDR -- before a hart executes the
    instruction at ADDR again (the first traced instruction does not count, so start = stop =
    ADDR traces one trip around a loop);
  * count: at most this many lines.

The window opens once; after it closes the machine runs at full speed to the end of the run.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Optional, Union

from . import csrdefs
from .disasm import disassemble
from .gdbstub import run_with_breakpoints
from .machine import StopReason

CHUNK = 10_000_000            # instructions per run_with_breakpoints call when unbounded
CSR_MCAUSE, CSR_SCAUSE = csrdefs.CSRS["mcause"], csrdefs.CSRS["scause"]
_EXC_NAMES = {v: k for k, v in csrdefs.CAUSE.items()}
_IRQ_NAMES = {v: k for k, v in csrdefs.IRQ.items()}
PRIV_LETTERS = {0: "U", 1: "S", 3: "M"}


class TracePoint(NamedTuple):
    """Where a window starts or stops: kind "count" (an instruction count) or "pc"."""
    kind: str
    value: int


def parse_point(text: str) -> TracePoint:
    """``--trace-start`` / ``--trace-stop`` values: decimal N is an instruction count, 0xADDR a
    pc."""
    text = text.strip().replace("_", "")
    if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
        return TracePoint("pc", int(text, 16) & ((1 << 64) - 1))
    if re.fullmatch(r"[0-9]+", text):
        return TracePoint("count", int(text))
    raise ValueError(f"{text!r} is neither an instruction count (decimal) nor an address (0x...)")


def _point(p: Union[None, int, TracePoint]) -> Optional[TracePoint]:
    if p is None or isinstance(p, TracePoint):
        return p
    return TracePoint("count", int(p))


_WAIT, _TRACING, _DONE = "wait", "tracing", "done"


class Tracer:
    """Trace a Board or Machine into out (a path, opened for writing, or a text file).

    ``run(max_instructions)`` replaces ``Board.run`` / ``Machine.run`` (same arguments and
    StopReason results).  The tracer owns the core's host breakpoints while it exists (a start
    pc is one); do not combine it with the gdb stub."""

    def __init__(self, target, out, start=None, stop=None, count: Optional[int] = None):
        self.board = target if hasattr(target, "machine") else None
        self.machine = target.machine if self.board is not None else target
        self.core = self.machine.core
        self.start = _point(start)
        self.stop = _point(stop)
        self.count = count
        if count is not None and count < 0:
            raise ValueError("count must not be negative")
        if isinstance(out, (str, bytes)) or hasattr(out, "__fspath__"):
            self.out = open(out, "w")
            self._owns = True
        else:
            self.out = out
            self._owns = False
        self.lines = 0
        self._text = {}
        self.state = _WAIT
        if self.start is not None and self.start.kind == "pc":
            self.core.set_breakpoints([self.start.value])
        elif self.start is None or self.start.value <= self.machine.instret_total:
            self._open()

    def close(self) -> None:
        """Flush (and close an owned file).  A start-pc breakpoint still armed is removed, so the
        machine can go on with Machine.run."""
        if self.state == _WAIT and self.start.kind == "pc":
            self.core.set_breakpoints([])
            self.state = _DONE
        self.out.flush()
        if self._owns:
            self.out.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    # ---- the window ---------------------------------------------------------------------------
    def _open(self) -> None:
        self.state = _TRACING
        self.core.set_breakpoints([])
        if self.count == 0:
            self._close()

    def _close(self) -> None:
        self.state = _DONE
        self.out.flush()

    def _ends_before(self, i: int, count: int) -> bool:
        if self.count is not None and self.lines >= self.count:
            return True
        if self.stop is None:
            return False
        if self.stop.kind == "count":
            return count >= self.stop.value
        return self.lines > 0 and self.core.get_pc(i) == self.stop.value

    # ---- running ------------------------------------------------------------------------------
    def run(self, max_instructions: Optional[int] = None) -> StopReason:
        while True:
            budget = CHUNK if max_instructions is None else max_instructions
            reason, _ = run_with_breakpoints(self.machine, budget, self._runner)
            if reason is StopReason.LIMIT and max_instructions is None:
                continue
            break
        if reason is StopReason.EXIT:
            self.out.flush()
            if self.board is not None and self.board.disk is not None:
                self.board.disk.flush()
        return reason

    def _runner(self, i: int, n: int):
        core = self.core
        done = 0
        while done < n:
            if self.state == _TRACING:
                if self._ends_before(i, self.machine.instret_total + done):
                    self._close()
                    continue
                reason, d = self._step(i, self.machine.instret_total + done)
                done += d
                if reason != "budget" or d == 0:
                    return reason, done
            elif self.state == _WAIT and self.start.kind == "count":
                left = self.start.value - (self.machine.instret_total + done)
                if left <= 0:
                    self._open()
                    continue
                reason, d = core.run(i, min(n - done, left))
                done += d
                if reason != "budget":
                    return reason, done
            elif self.state == _WAIT:
                reason, d = core.run(i, n - done)
                done += d
                if reason == "break":
                    self._open()
                    continue
                if reason != "budget":
                    return reason, done
            else:
                reason, d = core.run(i, n - done)
                return reason, done + d
        return "budget", done

    def _step(self, i: int, count: int):
        core = self.core
        pc = core.get_pc(i)
        priv = core.get_priv(i)
        try:
            half = core.read_virt(i, pc, 2, "fetch")
            word = int.from_bytes(half, "little")
            if word & 3 == 3:
                word = int.from_bytes(core.read_virt(i, pc, 4, "fetch"), "little")
                raw = f"{word:08x}"
            else:
                raw = f"{word:04x}    "
            key = (word, pc)
            text = self._text.get(key)
            if text is None:
                if len(self._text) > 65536:
                    self._text.clear()
                text = self._text[key] = disassemble(word, pc)
        except ValueError:
            raw, text = "????????", "<fetch fault>"
        instret = core.get_instret(i)
        reason, done = core.run(i, 1)
        head = f"{count:>10} {i} {PRIV_LETTERS.get(priv, '?')} {pc:016x} "
        if done and core.get_instret(i) == instret:
            cause = core.csr_read(i, CSR_MCAUSE if core.get_priv(i) == 3 else CSR_SCAUSE)
            code = cause & ((1 << 63) - 1)
            if cause >> 63:
                line = f"{head}-------- # interrupt {_IRQ_NAMES.get(code, code)}"
            else:
                line = f"{head}{raw} {text}  # exception {_EXC_NAMES.get(code, code)}"
        else:
            line = f"{head}{raw} {text}"
        self.out.write(line + "\n")
        self.lines += 1
        return reason, done


__all__ = ["Tracer", "TracePoint", "parse_point"]

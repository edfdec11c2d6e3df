"""The platform-level interrupt controller (PLIC), per the RISC-V PLIC Specification 1.0.0.

Owns: the interrupt gateways of sources 1..nsources-1 (level-triggered), the PLIC core's pending
bits, priorities, per-context enables and thresholds, the claim/complete protocol, and the level
of each context's notification wire (`context_lines[ctx]`, the EIP bit of the spec, which the
machine wires to a hart's mip.MEIP or mip.SEIP; QEMU `virt` numbers contexts 2*hart + smode, see
rvemu.memmap.plic_context).  Devices drive sources through `plic.line(n)`, an IrqLine.

Memory map (spec chapter "Memory Map"); every register is 32 bits wide:

    0x000000 + 4*src            priority of source src (1..nsources-1); 3 bits, WARL (0..7)
    0x001000 + 4*w              pending bits of sources 32w..32w+31; read-only
    0x002000 + 0x80*ctx + 4*w   enable bits of sources 32w..32w+31 for context ctx
    0x200000 + 0x1000*ctx       priority threshold of context ctx; 3 bits, WARL
    0x200004 + 0x1000*ctx       claim (read) / complete (write) of context ctx

Behaviour, with the spec sections it follows:

* Gateways ("Interrupt Gateways"), level-triggered, with QEMU's (sifive_plic) notion of a
  request: a request is made when a source's line rises and whenever its device asserts the line
  again while it is high (a device re-evaluating its interrupt condition, e.g. after a register
  access: IrqLine repeats); a request sets the pending bit.  While the source is claimed (between
  claim and completion) a request is held in the gateway and forwarded at completion if the line
  is still high then.  A line that merely stays high through claim and completion makes no new
  request: the spec's gateway would forward one, QEMU's does not, and drivers written against
  QEMU rely on that (xv6-riscv before 2024 never reads the 16550's IIR, so the UART's THR-empty
  interrupt stays asserted; each THR write asserts it again and makes exactly one request).
  A request cannot be retracted: if the line drops while the request is pending, the pending bit
  stays set and the handler finds nothing to do.
* Priorities ("Interrupt Priorities"): 0 means "never interrupt"; higher numbers win; ties go to
  the lowest source id.  Bit 0 of pending/enable word 0 (source 0, which does not exist) and the
  bits of ids >= nsources are hardwired to 0.
* Notifications ("Interrupt Notifications", "Priority Thresholds"): a context's line is high iff
  some source is pending, enabled for that context and has priority > the context's threshold.
  Every context that has the source enabled is notified (multicast); the first to claim wins.
* Claim ("Interrupt Claim Process"): reading claim/complete returns the highest-priority pending
  source enabled for the context (priority >= 1), clears its pending bit and puts it in claim; 0
  if there is none.  As the spec says, the claim is not affected by the threshold: a context that
  polls with the threshold at maximum still gets its interrupts.
* Completion ("Interrupt Completion"): writing an id to claim/complete ends the claim.  The id is
  not checked against the context's last claim; a completion whose id is not currently enabled
  for the context, is out of range, or is not in claim is silently ignored.

Access rules (the spec only defines 32-bit LW/SW accesses), as QEMU's sifive_plic: the PLIC
takes aligned 4-byte accesses only (`accepts`; rvemu.bus turns 1-, 2- and 8-byte accesses into
access faults and splits misaligned ones).  Reserved and nonexistent registers (source 0's
priority, sources >= nsources, contexts >= ncontexts, the gaps) read 0 and ignore writes; called
directly with any other width or offset, read returns 0 and write does nothing.  Nothing a guest
writes can make the PLIC raise a Python exception.
"""

from __future__ import annotations

from typing import Dict, List, Optional, Sequence

from .base import IrqLine

PRIORITY_BASE = 0x000000
PENDING_BASE = 0x001000
ENABLE_BASE = 0x002000
ENABLE_STRIDE = 0x80
CONTEXT_BASE = 0x200000
CONTEXT_STRIDE = 0x1000
WINDOW = 0x4000000

MAX_SOURCES = 1024     # ids 0..1023, id 0 reserved
MAX_CONTEXTS = 15872
PRIORITY_MASK = 0x7    # 3 priority bits: levels 0..7
MAX_PRIORITY = PRIORITY_MASK


class Plic:
    """A PLIC with `nsources` ids (0..nsources-1, id 0 reserved) and `ncontexts` targets."""

    def __init__(self, nsources: int = 96, ncontexts: Optional[int] = None,
                 context_lines: Optional[Sequence[IrqLine]] = None):
        if not 2 <= nsources <= MAX_SOURCES:
            raise ValueError(f"nsources must be 2..{MAX_SOURCES}, not {nsources}")
        if ncontexts is None:
            if context_lines is None:
                raise ValueError("give ncontexts, context_lines or both")
            ncontexts = len(context_lines)
        if not 1 <= ncontexts <= MAX_CONTEXTS:
            raise ValueError(f"ncontexts must be 1..{MAX_CONTEXTS}, not {ncontexts}")
        if context_lines is None:
            context_lines = [IrqLine(f"plic-ctx{c}") for c in range(ncontexts)]
        if len(context_lines) != ncontexts:
            raise ValueError(f"{ncontexts} contexts need {ncontexts} lines, "
                             f"got {len(context_lines)}")
        self.nsources = nsources
        self.ncontexts = ncontexts
        self.context_lines: List[IrqLine] = list(context_lines)
        self._valid = ((1 << nsources) - 1) & ~1   # the bits of ids that exist
        self._nwords = (nsources + 31) // 32
        self._lines: Dict[int, IrqLine] = {}
        self.level = 0   # bitmask: current level of each source's input line
        self.reset()

    def reset(self) -> None:
        """Everything to 0: priorities, enables, thresholds, pending and claims.

        Source line levels are inputs, so they are kept; a line that is high makes a new request."""
        self.priority = [0] * self.nsources
        self.enable = [0] * self.ncontexts
        self.threshold = [0] * self.ncontexts
        self.claimed = 0
        self.held = 0      # bitmask: requests made while claimed, forwarded at completion
        self.pending = self.level & self._valid
        self._update()

    # ---- sources ----------------------------------------------------------------------------

    def line(self, source: int) -> IrqLine:
        """The input wire of `source` (1..nsources-1); the same IrqLine on every call."""
        if not 1 <= source < self.nsources:
            raise ValueError(f"PLIC source {source} is not in 1..{self.nsources - 1}")
        ln = self._lines.get(source)
        if ln is None:
            ln = IrqLine(f"plic-src{source}", lambda level, s=source: self.set_level(s, level),
                         repeats=True)
            self._lines[source] = ln
        return ln

    def set_level(self, source: int, level: bool) -> None:
        """The gateway of `source` sees its line at `level`; level True is a request (a rise, or
        the device asserting a line that is already high)."""
        if not 1 <= source < self.nsources:
            return
        bit = 1 << source
        if not level:
            self.level &= ~bit  # a forwarded request stays pending (spec: no retraction)
            return
        self.level |= bit
        if self.claimed & bit:
            self.held |= bit
        elif not self.pending & bit:
            self.pending |= bit
            self._update()

    # ---- the core ---------------------------------------------------------------------------

    def _best(self, ctx: int, floor: int) -> int:
        """Highest-priority pending source enabled for ctx with priority > floor (0 if none)."""
        cand = self.pending & self.enable[ctx]
        best, best_prio = 0, floor
        prio = self.priority
        while cand:
            low = cand & -cand
            src = low.bit_length() - 1
            p = prio[src]
            if p > best_prio:
                best, best_prio = src, p
                if p == MAX_PRIORITY:
                    break
            cand ^= low
        return best

    def _update(self) -> None:
        """Drive every context's line to its level.  A context with no pending source enabled
        needs no priority scan, and a line already at its level is left alone (unless it
        repeats, where each set(True) is an event): the common case, one source and several
        harts, then costs a few integer tests per context."""
        pending = self.pending
        enable = self.enable
        for ctx, ln in enumerate(self.context_lines):
            level = bool(pending & enable[ctx]) and self._best(ctx, self.threshold[ctx]) != 0
            if level != ln.level or (level and ln.repeats):
                ln.set(level)

    def claim(self, ctx: int) -> int:
        src = self._best(ctx, 0)
        if src:
            bit = 1 << src
            self.pending &= ~bit
            self.claimed |= bit
            self.held &= ~bit
            self._update()
        return src

    def complete(self, ctx: int, source: int) -> None:
        if not 1 <= source < self.nsources:
            return
        bit = 1 << source
        if not self.enable[ctx] & bit or not self.claimed & bit:
            return
        self.claimed &= ~bit
        if self.held & bit:
            self.held &= ~bit
            if self.level & bit:
                self.pending |= bit
                self._update()

    def eip(self, ctx: int) -> bool:
        """The context's notification level (same as context_lines[ctx].level)."""
        return self._best(ctx, self.threshold[ctx]) != 0

    # ---- 32-bit registers -------------------------------------------------------------------

    def _read32(self, off: int) -> int:
        """The aligned 32-bit register at `off` (reading claim/complete claims)."""
        if off < PENDING_BASE:
            src = off >> 2
            return self.priority[src] if 1 <= src < self.nsources else 0
        if off < ENABLE_BASE:
            w = (off - PENDING_BASE) >> 2
            return (self.pending >> (32 * w)) & 0xFFFFFFFF if w < self._nwords else 0
        if off < CONTEXT_BASE:
            ctx, w = divmod(off - ENABLE_BASE, ENABLE_STRIDE)
            w >>= 2
            if ctx < self.ncontexts and w < self._nwords:
                return (self.enable[ctx] >> (32 * w)) & 0xFFFFFFFF
            return 0
        if off < WINDOW:
            ctx, reg = divmod(off - CONTEXT_BASE, CONTEXT_STRIDE)
            if ctx < self.ncontexts:
                if reg == 0:
                    return self.threshold[ctx]
                if reg == 4:
                    return self.claim(ctx)
        return 0

    def _write32(self, off: int, value: int) -> None:
        if off < PENDING_BASE:
            src = off >> 2
            if 1 <= src < self.nsources:
                self.priority[src] = value & PRIORITY_MASK
                self._update()
        elif off < ENABLE_BASE:
            pass  # pending bits are read-only
        elif off < CONTEXT_BASE:
            ctx, w = divmod(off - ENABLE_BASE, ENABLE_STRIDE)
            w >>= 2
            if ctx < self.ncontexts and w < self._nwords:
                shift = 32 * w
                old = self.enable[ctx]
                new = (old & ~(0xFFFFFFFF << shift)) | ((value & 0xFFFFFFFF) << shift)
                self.enable[ctx] = new & self._valid
                self._update()
        elif off < WINDOW:
            ctx, reg = divmod(off - CONTEXT_BASE, CONTEXT_STRIDE)
            if ctx < self.ncontexts:
                if reg == 0:
                    self.threshold[ctx] = value & PRIORITY_MASK
                    self._update()
                elif reg == 4:
                    self.complete(ctx, value & 0xFFFFFFFF)

    # ---- guest side -------------------------------------------------------------------------

    def accepts(self, offset: int, size: int) -> bool:
        return size == 4

    def read(self, offset: int, size: int) -> int:
        if size == 4 and offset & 3 == 0 and 0 <= offset < WINDOW:
            return self._read32(offset)
        return 0

    def write(self, offset: int, size: int, value: int) -> None:
        if size == 4 and offset & 3 == 0 and 0 <= offset < WINDOW:
            self._write32(offset, value & 0xFFFFFFFF)

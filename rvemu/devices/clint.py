"""The core-local interruptor (CLINT), laid out as SiFive's CLINT and QEMU `virt`'s copy of it.

Owns: the CLINT's register window and each hart's machine software-interrupt bit (msip), which
drives that hart's `msip_lines[hart]` (the hart's mip.MSIP).  The timer registers are not stored
here: mtime and each hart's mtimecmp live in the core, which compares them (mip.MTIP is the core's
business); this device only forwards guest accesses to the `timer` object given to it:

    timer.mtime() -> int              timer.set_mtime(value)
    timer.get_mtimecmp(hart) -> int   timer.set_mtimecmp(hart, value)

Register map (SiFive FU540-C000 manual, chapter "Core Local Interruptor"; QEMU virt uses the same):

    0x0000 + 4*hart   msip[hart]      32 bits; bit 0 is the hart's MSIP, bits 31:1 read 0
    0x4000 + 8*hart   mtimecmp[hart]  64 bits
    0xBFF8            mtime           64 bits

Access rules:

* As QEMU's ACLINT (`accepts`, enforced by rvemu.bus): the msip space (0x0000-0x3FFF) takes
  4-byte accesses only, the timer space (0x4000-0xBFFF) 4- and 8-byte ones, and nothing answers
  from 0xC000 to the end of the 64 KiB slot; anything else is an access fault.
* The 64-bit registers take 8-byte accesses and 4-byte accesses to either half (how RV32 code
  reaches them); a write to one half leaves the other half as it was (read-modify-write through
  the timer object, reading the current value once per access).
* Called directly, the device serves an access of size 1, 2, 4 or 8 at any offset byte-lane by
  byte-lane: each register it overlaps is read once, and written once with only the overlapped
  bytes replaced.  (Through the bus only the accepted accesses above arrive, aligned.)
* Offsets that hold no register (msip or mtimecmp of harts that do not exist, the gaps) read 0
  and ignore writes.

The reset value of mtimecmp is the timer object's business.  Nothing a guest writes can make this
device raise a Python exception.
"""

from __future__ import annotations

from typing import List, Optional, Sequence, Tuple

from .base import IrqLine

MSIP_BASE = 0x0000
MTIMECMP_BASE = 0x4000
MTIME = 0xBFF8
MAX_HARTS = 4095  # the msip and mtimecmp arrays fill their spaces at this count

_MASK64 = (1 << 64) - 1

# Register kinds returned by _locate.
_MSIP, _MTIMECMP, _MTIME = 0, 1, 2


class Clint:
    """msip registers of its own; mtime/mtimecmp accesses forwarded to `timer`."""

    def __init__(self, nharts: int, msip_lines: Sequence[IrqLine], timer):
        if not 1 <= nharts <= MAX_HARTS:
            raise ValueError(f"nharts must be 1..{MAX_HARTS}, not {nharts}")
        if len(msip_lines) != nharts:
            raise ValueError(f"{nharts} harts need {nharts} msip lines, got {len(msip_lines)}")
        self.nharts = nharts
        self.msip_lines: List[IrqLine] = list(msip_lines)
        self.timer = timer
        self.msip = [0] * nharts
        for line in self.msip_lines:
            line.set(False)

    def reset(self) -> None:
        """Clear every msip bit (mtime/mtimecmp reset is the timer object's business)."""
        for hart in range(self.nharts):
            self._set_msip(hart, 0)

    # ---- register decode --------------------------------------------------------------------

    def _locate(self, addr: int) -> Optional[Tuple[int, int, int, int]]:
        """(register base, width in bytes, kind, hart) of the register holding byte `addr`."""
        if 0 <= addr < MTIMECMP_BASE:
            hart = addr >> 2
            if hart < self.nharts:
                return hart << 2, 4, _MSIP, hart
        elif MTIMECMP_BASE <= addr < MTIME:
            hart = (addr - MTIMECMP_BASE) >> 3
            if hart < self.nharts:
                return MTIMECMP_BASE + (hart << 3), 8, _MTIMECMP, hart
        elif MTIME <= addr < MTIME + 8:
            return MTIME, 8, _MTIME, 0
        return None

    def _get(self, kind: int, hart: int) -> int:
        if kind == _MSIP:
            return self.msip[hart]
        if kind == _MTIMECMP:
            return int(self.timer.get_mtimecmp(hart)) & _MASK64
        return int(self.timer.mtime()) & _MASK64

    def _put(self, kind: int, hart: int, value: int) -> None:
        if kind == _MSIP:
            self._set_msip(hart, value & 1)
        elif kind == _MTIMECMP:
            self.timer.set_mtimecmp(hart, value & _MASK64)
        else:
            self.timer.set_mtime(value & _MASK64)

    def _set_msip(self, hart: int, bit: int) -> None:
        self.msip[hart] = bit
        self.msip_lines[hart].set(bool(bit))

    # ---- guest side -------------------------------------------------------------------------

    def accepts(self, offset: int, size: int) -> bool:
        if offset < MTIMECMP_BASE:
            return size == 4
        return offset < MTIME + 8 and size in (4, 8)

    def _pieces(self, offset: int, size: int):
        """The registers an access overlaps: (kind, hart, shift of the piece in the register,
        shift of the piece in the access value, mask of the piece within the register)."""
        addr, end = offset, offset + size
        while addr < end:
            loc = self._locate(addr)
            if loc is None:
                addr += 1
                continue
            base, width, kind, hart = loc
            stop = min(end, base + width)
            shift = 8 * (addr - base)
            yield kind, hart, shift, 8 * (addr - offset), ((1 << (8 * (stop - addr))) - 1) << shift
            addr = stop

    def read(self, offset: int, size: int) -> int:
        loc = self._locate(offset)
        if loc is not None and loc[0] == offset and loc[1] == size:  # the common, exact case
            return self._get(loc[2], loc[3])
        result = 0
        for kind, hart, shift, at, mask in self._pieces(offset, size):
            result |= ((self._get(kind, hart) & mask) >> shift) << at
        return result

    def write(self, offset: int, size: int, value: int) -> None:
        value &= (1 << (8 * size)) - 1 if size > 0 else 0
        loc = self._locate(offset)
        if loc is not None and loc[0] == offset and loc[1] == size:
            self._put(loc[2], loc[3], value)
            return
        for kind, hart, shift, at, mask in self._pieces(offset, size):
            new_bytes = ((value >> at) << shift) & mask
            self._put(kind, hart, (self._get(kind, hart) & ~mask) | new_bytes)

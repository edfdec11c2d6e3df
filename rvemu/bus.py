"""The system bus: routes physical accesses outside RAM to the device that owns the address.

Owns: the address decode of rvemu.memmap regions to devices, and the access rules QEMU's memory
core applies between a CPU and a device (observed on qemu-system-riscv64 7.2, `virt`, with the
probe tests/board/mmio_probe.c; tests/board/test_mmio_windows.py compares the two):

* A misaligned load is done as two aligned loads of its own width, the one below the address
  and the next, combined little-endian.  A misaligned store is done as one-byte stores in address
  order; the bytes before a faulting one stay written.
* An aligned access goes to the device whose region holds it, if the device accepts it:
  `device.accepts(offset, size)` (QEMU's MemoryRegionOps.valid; a device without the method
  accepts everything).  An access no device claims, that runs past its region or that the device
  refuses, fails.
* An access wider than the device's `max_access` (QEMU's .impl.max_access_size; default 8) is
  split into aligned pieces of that width, low address first, combined little-endian.

The core calls read(addr, size) and write(addr, size, value) for every non-RAM physical access.
A failed access returns None / False, which the core turns into a load / store access fault, and
leaves in `fault_addr` the physical address of the piece that failed (the core reports the
matching virtual address in mtval).  Devices raise no exceptions for any guest access.
"""

from __future__ import annotations

import bisect
from typing import List, Optional, Tuple

from .memmap import Region


class Bus:
    def __init__(self):
        self._bases: List[int] = []
        self._entries: List[Tuple[Region, object]] = []
        self._rules: List[Tuple[object, int]] = []     # (accepts or None, max_access) per entry
        self.accesses = 0
        self.fault_addr: Optional[int] = None

    def attach(self, region: Region, device) -> None:
        i = bisect.bisect_right(self._bases, region.base)
        if i > 0 and self._entries[i - 1][0].end > region.base:
            raise ValueError(f"{region.name} overlaps {self._entries[i - 1][0].name}")
        if i < len(self._entries) and region.end > self._entries[i][0].base:
            raise ValueError(f"{region.name} overlaps {self._entries[i][0].name}")
        self._bases.insert(i, region.base)
        self._entries.insert(i, (region, device))
        self._rules.insert(i, (getattr(device, "accepts", None),
                               int(getattr(device, "max_access", 8))))

    def detach(self, region: Region) -> None:
        """Remove the device attached at exactly `region` (ValueError if there is none)."""
        i = bisect.bisect_left(self._bases, region.base)
        if i == len(self._entries) or self._entries[i][0] != region:
            raise ValueError(f"nothing is attached at {region.name}")
        del self._bases[i], self._entries[i], self._rules[i]

    def find(self, addr: int) -> Optional[Tuple[Region, object]]:
        i = self._index(addr)
        return self._entries[i] if i >= 0 else None

    def _index(self, addr: int) -> int:
        i = bisect.bisect_right(self._bases, addr) - 1
        if i >= 0 and addr < self._entries[i][0].end:
            return i
        return -1

    def _target(self, addr: int, size: int):
        """(device, offset, max_access) for an aligned access, or None (fault_addr set)."""
        i = self._index(addr)
        if i >= 0:
            region, dev = self._entries[i]
            off = addr - region.base
            accepts, step = self._rules[i]
            if addr + size <= region.end and (accepts is None or accepts(off, size)):
                return dev, off, step
        self.fault_addr = addr
        return None

    # ---- loads ------------------------------------------------------------------------------

    def read(self, addr: int, size: int) -> Optional[int]:
        if addr & (size - 1):
            lo = addr & -size
            first = self._read(lo, size)
            second = self._read(lo + size, size) if first is not None else None
            if second is None:
                return None
            shift = 8 * (addr - lo)
            return ((first >> shift) | (second << (8 * size - shift))) & ((1 << (8 * size)) - 1)
        return self._read(addr, size)

    def _read(self, addr: int, size: int) -> Optional[int]:
        t = self._target(addr, size)
        if t is None:
            return None
        dev, off, step = t
        self.accesses += 1
        if size <= step:
            return dev.read(off, size)
        mask = (1 << (8 * step)) - 1
        value = 0
        for i in range(0, size, step):
            value |= (dev.read(off + i, step) & mask) << (8 * i)
        return value

    # ---- stores -----------------------------------------------------------------------------

    def write(self, addr: int, size: int, value: int) -> bool:
        if addr & (size - 1):
            for i in range(size):
                if not self._write(addr + i, 1, (value >> (8 * i)) & 0xFF):
                    return False
            return True
        return self._write(addr, size, value)

    def _write(self, addr: int, size: int, value: int) -> bool:
        t = self._target(addr, size)
        if t is None:
            return False
        dev, off, step = t
        self.accesses += 1
        if size <= step:
            dev.write(off, size, value)
            return True
        mask = (1 << (8 * step)) - 1
        for i in range(0, size, step):
            dev.write(off + i, step, (value >> (8 * i)) & mask)
        return True

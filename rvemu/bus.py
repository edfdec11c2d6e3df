"""The system bus: routes physical accesses outside RAM to the device that owns the address.

Owns: the address decode of rvemu.memmap regions to devices.  The core calls read(addr, size)
and write(addr, size, value) for every non-RAM physical access; an address no device claims
returns None / False, which the core turns into an access fault.
"""

from __future__ import annotations

import bisect
from typing import List, Optional, Tuple

from .memmap import Region


class Bus:
    def __init__(self):
        self._bases: List[int] = []
        self._entries: List[Tuple[Region, object]] = []
        self.accesses = 0

    def attach(self, region: Region, device) -> None:
        i = bisect.bisect_right(self._bases, region.base)
        if i > 0 and self._entries[i - 1][0].end > region.base:
            raise ValueError(f"{region.name} overlaps {self._entries[i - 1][0].name}")
        if i < len(self._entries) and region.end > self._entries[i][0].base:
            raise ValueError(f"{region.name} overlaps {self._entries[i][0].name}")
        self._bases.insert(i, region.base)
        self._entries.insert(i, (region, device))

    def find(self, addr: int) -> Optional[Tuple[Region, object]]:
        i = bisect.bisect_right(self._bases, addr) - 1
        if i >= 0:
            region, dev = self._entries[i]
            if addr < region.end:
                return region, dev
        return None

    def read(self, addr: int, size: int) -> Optional[int]:
        hit = self.find(addr)
        if hit is None or addr + size > hit[0].end:
            return None
        self.accesses += 1
        return hit[1].read(addr - hit[0].base, size)

    def write(self, addr: int, size: int, value: int) -> bool:
        hit = self.find(addr)
        if hit is None or addr + size > hit[0].end:
            return False
        self.accesses += 1
        hit[1].write(addr - hit[0].base, size, value)
        return True

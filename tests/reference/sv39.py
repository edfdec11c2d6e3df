"""A reference Sv39 translator and page-table builder, in plain Python.

Written from the RISC-V privileged specification 1.12 alone -- section 4.3.2 ("Virtual Address
Translation Process") for the algorithm and section 4.4 ("Sv39") for its parameters -- and kept
independent of rvemu's Cython walk, so the tests can check one against the other.

The translator follows the spec's numbered steps literally and is deliberately slow and simple:

    translate(read64, write64, satp, va, access, priv, sum, mxr) -> Translation | Fault

Choices the spec leaves to the implementation, made the way rvemu documents them:

  * Step 7 (A/D bits): the hardware sets A, and D for stores, in the leaf PTE (Svadu-style
    behaviour) instead of raising a page fault.  The update is returned in
    ``Translation.writes`` and also performed through ``write64`` when one is given.
  * No Svnapot/Svpbmt: PTE bits 63:54 are all reserved, so a PTE with any of them set faults
    (step 3).
  * Step 2 / "a PMA check": a PTE address where ``read64`` finds no memory raises an access
    fault whose tval is the virtual address being translated.

One reading of the spec is optional: 4.4.1 says the D, A and U bits of non-leaf PTEs are
"reserved for future standard use", and step 3 faults on any reserved bit that is set.
``nonleaf_adu_reserved=True`` (the default) applies that; pass False to ignore those bits.

The module also holds small helpers to build page tables in any memory that offers
``read(pa, n)`` / ``write(pa, data)``: a bytearray image (``RamImage``), an rvemu machine's RAM
(``MachineRam``), or both at once (``Mirror``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable, List, Optional, Tuple, Union

MASK64 = (1 << 64) - 1

# ---- Sv39 parameters (4.4.1) -----------------------------------------------------------------
PAGESIZE = 1 << 12
LEVELS = 3
PTESIZE = 8
VA_BITS = 39
PPN_BITS = 44
PPN_MASK = (1 << PPN_BITS) - 1
# Widths of the PPN fields ppn[0], ppn[1], ppn[2], both in a PTE (starting at bit 10) and in a
# physical address (starting at bit 12).
PPN_FIELD_BITS = (9, 9, 26)
PAGE_SIZES = (1 << 12, 1 << 21, 1 << 30)          # leaf at level 0, 1, 2

# ---- PTE bits (4.4.1, figure "Sv39 page table entry") ------------------------------------------
PTE_V = 1 << 0
PTE_R = 1 << 1
PTE_W = 1 << 2
PTE_X = 1 << 3
PTE_U = 1 << 4
PTE_G = 1 << 5
PTE_A = 1 << 6
PTE_D = 1 << 7
PTE_RESERVED_SHIFT = 54                             # bits 63:54

# ---- satp (4.1.11) ---------------------------------------------------------------------------
SATP_MODE_BARE = 0
SATP_MODE_SV39 = 8

# ---- privileges and access kinds -------------------------------------------------------------
PRIV_U, PRIV_S, PRIV_M = 0, 1, 3
FETCH, LOAD, STORE = "fetch", "load", "store"       # STORE covers AMOs too

PAGE_FAULT = {FETCH: 12, LOAD: 13, STORE: 15}       # table 3.6
ACCESS_FAULT = {FETCH: 1, LOAD: 5, STORE: 7}


@dataclass(frozen=True)
class Fault:
    """The exception a translation raises: cause number, xtval, and why (for messages)."""
    cause: int
    tval: int
    reason: str = ""

    @property
    def is_page_fault(self) -> bool:
        return self.cause in (12, 13, 15)


@dataclass(frozen=True)
class Translation:
    """A successful translation.  level: 0 = 4 KiB page, 1 = 2 MiB, 2 = 1 GiB megapage, None if
    no translation happened (M-mode or satp bare).  writes: the (pte_address, new_pte) A/D
    updates the walk made."""
    pa: int
    level: Optional[int] = None
    pte_addr: Optional[int] = None
    pte: Optional[int] = None
    writes: Tuple[Tuple[int, int], ...] = ()


Result = Union[Translation, Fault]


# ---- field helpers ---------------------------------------------------------------------------

def va_vpn(va: int, i: int) -> int:
    """va.vpn[i]: the 9-bit index into the level-i table."""
    return (va >> (12 + 9 * i)) & 0x1FF


def pte_ppn(pte: int) -> int:
    """The whole 44-bit PPN of a PTE (bits 53:10)."""
    return (pte >> 10) & PPN_MASK


def pte_ppn_field(pte: int, j: int) -> int:
    """pte.ppn[j] (Sv39: ppn[0] = bits 18:10, ppn[1] = 27:19, ppn[2] = 53:28)."""
    shift = 10 + sum(PPN_FIELD_BITS[:j])
    return (pte >> shift) & ((1 << PPN_FIELD_BITS[j]) - 1)


def is_canonical(va: int) -> bool:
    """4.4.1: bits 63:39 of a virtual address must all equal bit 38."""
    va &= MASK64
    top = va >> (VA_BITS - 1)                       # bits 63:38, 26 bits
    return top == 0 or top == (1 << (64 - VA_BITS + 1)) - 1


def canonical(va: int) -> int:
    """The canonical form of a 39-bit virtual address (sign-extended from bit 38)."""
    va &= (1 << VA_BITS) - 1
    if va >> (VA_BITS - 1):
        va |= MASK64 ^ ((1 << VA_BITS) - 1)
    return va


def make_va(vpn2: int, vpn1: int = 0, vpn0: int = 0, offset: int = 0) -> int:
    """The canonical virtual address with the given table indexes and page offset."""
    return canonical((vpn2 << 30) | (vpn1 << 21) | (vpn0 << 12) | offset)


def make_pte(pa: int, flags: int) -> int:
    """A PTE holding pa's page number and the given flag bits (which may include bits 63:54)."""
    return (((pa >> 12) & PPN_MASK) << 10) | flags


def make_satp(root_pa: int, asid: int = 0, mode: int = SATP_MODE_SV39) -> int:
    return (mode << 60) | ((asid & 0xFFFF) << 44) | ((root_pa >> 12) & PPN_MASK)


# ---- the translation algorithm (4.3.2) ---------------------------------------------------------

def translate(read64: Callable[[int], Optional[int]],
              write64: Optional[Callable[[int, int], None]],
              satp: int, va: int, access: str, priv: int,
              sum: bool = False, mxr: bool = False, *,
              nonleaf_adu_reserved: bool = True) -> Result:
    """Translate va for an access of kind ``access`` (FETCH, LOAD or STORE) made at effective
    privilege ``priv`` (the caller applies mstatus.MPRV/MPP for loads and stores).

    read64(pa) returns the 64-bit little-endian word at physical pa, or None where there is no
    memory.  write64(pa, value), if not None, receives the A/D updates."""
    va &= MASK64
    mode = satp >> 60
    # Translation applies to S and U only, and only when satp.MODE is not Bare (4.1.11).
    if priv == PRIV_M or mode == SATP_MODE_BARE:
        return Translation(pa=va)
    if mode != SATP_MODE_SV39:
        raise ValueError(f"satp mode {mode} is not Sv39")

    def page_fault(reason: str) -> Fault:
        return Fault(PAGE_FAULT[access], va, reason)

    # 4.4.1: a non-canonical address faults before any memory is touched.
    if not is_canonical(va):
        return page_fault("non-canonical virtual address")

    # Step 1: a = satp.ppn x PAGESIZE, i = LEVELS - 1.
    a = (satp & PPN_MASK) * PAGESIZE
    i = LEVELS - 1
    while True:
        # Step 2: pte = the PTE at a + va.vpn[i] x PTESIZE; no memory there -> access fault.
        pte_addr = a + va_vpn(va, i) * PTESIZE
        pte = read64(pte_addr)
        if pte is None:
            return Fault(ACCESS_FAULT[access], va, f"PTE address {pte_addr:#x} is not memory")
        v, r, w, x = (bool(pte & PTE_V), bool(pte & PTE_R), bool(pte & PTE_W),
                      bool(pte & PTE_X))
        # Step 3: invalid, the reserved W-without-R encodings, or reserved bits set.
        if not v:
            return page_fault(f"invalid PTE at level {i}")
        if w and not r:
            return page_fault(f"W without R at level {i}")
        if pte >> PTE_RESERVED_SHIFT:
            return page_fault(f"reserved bits 63:54 set at level {i}")
        # Step 4: R or X set -> a leaf; otherwise a pointer to the next level.
        if r or x:
            break
        if nonleaf_adu_reserved and pte & (PTE_D | PTE_A | PTE_U):
            return page_fault(f"D/A/U set in a non-leaf PTE at level {i}")
        i -= 1
        if i < 0:
            return page_fault("pointer PTE at level 0")
        a = pte_ppn(pte) * PAGESIZE

    # Step 5: the leaf's permissions for this access, privilege, SUM and MXR.
    user_page = bool(pte & PTE_U)
    if priv == PRIV_U and not user_page:
        return page_fault("U-mode access to a page without U")
    if priv == PRIV_S and user_page:
        if access == FETCH:
            return page_fault("S-mode fetch from a U page (never allowed)")
        if not sum:
            return page_fault("S-mode access to a U page with SUM=0")
    if access == FETCH and not x:
        return page_fault("fetch from a page without X")
    if access == LOAD and not (r or (mxr and x)):
        return page_fault("load from a page without R (and not X with MXR)")
    if access == STORE and not w:
        return page_fault("store to a page without W")

    # Step 6: a superpage's PPN must be aligned to its size.
    if i > 0 and any(pte_ppn_field(pte, j) for j in range(i)):
        return page_fault(f"misaligned superpage at level {i}")

    # Step 7: A, and D for a store (hardware update).
    new = pte | PTE_A | (PTE_D if access == STORE else 0)
    writes: Tuple[Tuple[int, int], ...] = ()
    if new != pte:
        writes = ((pte_addr, new),)
        if write64 is not None:
            write64(pte_addr, new)

    # Step 8: pa.pgoff = va.pgoff; pa.ppn[i-1:0] = va.vpn[i-1:0]; pa.ppn[2:i] = pte.ppn[2:i].
    ppn = 0
    shift = 0
    for j in range(LEVELS):
        field = va_vpn(va, j) if j < i else pte_ppn_field(pte, j)
        ppn |= field << shift
        shift += PPN_FIELD_BITS[j]
    pa = (ppn << 12) | (va & (PAGESIZE - 1))
    return Translation(pa=pa, level=i, pte_addr=pte_addr, pte=new, writes=writes)


# ---- memories --------------------------------------------------------------------------------

class RamImage:
    """A bytearray standing for RAM at [base, base + size)."""

    def __init__(self, base: int, size: int):
        self.base = base
        self.size = size
        self.data = bytearray(size)

    def contains(self, pa: int, n: int = 1) -> bool:
        return self.base <= pa and pa + n <= self.base + self.size

    def read(self, pa: int, n: int) -> bytes:
        if not self.contains(pa, n):
            raise ValueError(f"{pa:#x}+{n} is not RAM")
        o = pa - self.base
        return bytes(self.data[o:o + n])

    def write(self, pa: int, data: bytes) -> None:
        if not self.contains(pa, len(data)):
            raise ValueError(f"{pa:#x}+{len(data)} is not RAM")
        o = pa - self.base
        self.data[o:o + len(data)] = data

    def read64(self, pa: int) -> Optional[int]:
        if not self.contains(pa, 8):
            return None
        return struct.unpack_from("<Q", self.data, pa - self.base)[0]

    def write64(self, pa: int, value: int) -> None:
        self.write(pa, struct.pack("<Q", value & MASK64))


class MachineRam:
    """An rvemu Machine's RAM seen through its physical-memory API."""

    def __init__(self, machine):
        self.m = machine
        self.base = machine.ram_base
        self.size = machine.ram_size

    def contains(self, pa: int, n: int = 1) -> bool:
        return self.base <= pa and pa + n <= self.base + self.size

    def read(self, pa: int, n: int) -> bytes:
        return self.m.read_phys(pa, n)

    def write(self, pa: int, data: bytes) -> None:
        self.m.write_phys(pa, bytes(data))

    def read64(self, pa: int) -> Optional[int]:
        if not self.contains(pa, 8):
            return None
        return struct.unpack("<Q", self.m.read_phys(pa, 8))[0]

    def write64(self, pa: int, value: int) -> None:
        self.write(pa, struct.pack("<Q", value & MASK64))


class Mirror:
    """Writes go to every memory; reads come from the first (the model)."""

    def __init__(self, *mems):
        self.mems = mems

    def contains(self, pa: int, n: int = 1) -> bool:
        return self.mems[0].contains(pa, n)

    def read(self, pa: int, n: int) -> bytes:
        return self.mems[0].read(pa, n)

    def write(self, pa: int, data: bytes) -> None:
        for m in self.mems:
            m.write(pa, data)

    def read64(self, pa: int) -> Optional[int]:
        return self.mems[0].read64(pa)

    def write64(self, pa: int, value: int) -> None:
        for m in self.mems:
            m.write64(pa, value)


class PageAllocator:
    """Hands out 4 KiB physical pages from [start, end), in order."""

    def __init__(self, start: int, end: int):
        assert start % PAGESIZE == 0 and end % PAGESIZE == 0
        self.next = start
        self.start = start
        self.end = end

    def __call__(self) -> int:
        if self.next >= self.end:
            raise MemoryError("page-table pool exhausted")
        pa = self.next
        self.next += PAGESIZE
        return pa

    @property
    def used(self) -> List[int]:
        return list(range(self.start, self.next, PAGESIZE))


# ---- page-table builder ----------------------------------------------------------------------

class PageTable:
    """An Sv39 page-table tree in ``mem``, with tables taken from ``alloc`` (zeroed here).

    Levels are numbered as in the spec: a leaf at level 0 maps 4 KiB, level 1 2 MiB, level 2
    1 GiB.  Pointer PTEs are written as V only (no A/D/U/G)."""

    def __init__(self, mem, alloc: Callable[[], int]):
        self.mem = mem
        self.alloc = alloc
        self.root = self.new_table()

    @property
    def satp(self) -> int:
        return make_satp(self.root)

    def new_table(self) -> int:
        pa = self.alloc()
        self.mem.write(pa, bytes(PAGESIZE))
        return pa

    def entry_addr(self, va: int, level: int, create: bool = True) -> Optional[int]:
        """Address of va's PTE in the level-``level`` table.  Tables on the way are created
        (replacing an invalid entry or a leaf with a pointer to a fresh table) when ``create``;
        otherwise None is returned where the path stops early."""
        a = self.root
        for i in range(LEVELS - 1, level, -1):
            addr = a + va_vpn(va, i) * PTESIZE
            pte = self.mem.read64(addr)
            if not self._points_to_table(pte):
                if not create:
                    return None
                table = self.new_table()
                self.mem.write64(addr, make_pte(table, PTE_V))
                a = table
            else:
                a = pte_ppn(pte) * PAGESIZE
        return a + va_vpn(va, level) * PTESIZE

    def _points_to_table(self, pte: int) -> bool:
        """A valid pointer PTE whose table lies in this memory."""
        return bool(pte & PTE_V) and not pte & (PTE_R | PTE_W | PTE_X) and \
            self.mem.contains(pte_ppn(pte) * PAGESIZE, PAGESIZE)

    def map(self, va: int, pa: int, flags: int, level: int = 0) -> int:
        """Map the level-sized page at va to pa with flags (V is added).  Returns the PTE
        address."""
        addr = self.entry_addr(va, level)
        self.mem.write64(addr, make_pte(pa, flags | PTE_V))
        return addr

    def set_entry(self, va: int, level: int, pte: int) -> int:
        """Write a raw PTE value at va's level-``level`` slot (creating tables above it)."""
        addr = self.entry_addr(va, level)
        self.mem.write64(addr, pte)
        return addr

    def unmap(self, va: int, level: int = 0) -> Optional[int]:
        addr = self.entry_addr(va, level, create=False)
        if addr is not None:
            self.mem.write64(addr, 0)
        return addr

    def lookup(self, va: int) -> Tuple[int, int, int]:
        """Where a walk for va stops, ignoring permissions: (level, pte_addr, pte) of the first
        invalid entry, leaf, or pointer to a table outside memory (or of the level-0 entry)."""
        a = self.root
        for i in range(LEVELS - 1, -1, -1):
            addr = a + va_vpn(va, i) * PTESIZE
            pte = self.mem.read64(addr)
            if i == 0 or not self._points_to_table(pte):
                return i, addr, pte
            a = pte_ppn(pte) * PAGESIZE
        raise AssertionError("unreachable")

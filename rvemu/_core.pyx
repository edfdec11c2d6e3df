# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
# cython: initializedcheck=False, nonecheck=False, overflowcheck=False
"""rvemu._core: the RV64IMAC harts, Sv39 MMU and RAM, compiled.

Owns: the C state of a machine (``Mach``, ``Hart`` in _core.pxd) and its Python handle ``Core``.
The parts are included from:
  _decode.pxi   generated from opcodes.py: OP_* numbers, decode_insn(), CSR and bit constants
  _code.pxi     the decoded-code cache: slots, runs, and their coherence with stores
  _tlb.pxi      TLB sets per address space and the rules that keep them true to memory
  _mmu.pxi      Sv39 walk, physical memory, slow loads and stores, fetch, MMIO bus calls
  _csr.pxi      CSR access rules and registers, hart time
  _trap.pxi     trap entry/return and interrupt selection
  _interp.pxi   instruction semantics and the run loop
  _handlers.pxi the run loop's fast half: a handler per operation, threaded by tail calls

Nothing here knows about devices: physical addresses outside RAM go to ``bus.read/bus.write``
(a Python object the board supplies), and devices drive interrupt lines through
``Core.set_irq``.  Use :class:`rvemu.Machine` rather than this module directly.
"""

from libc.stdint cimport uint8_t, uint16_t, uint32_t, uint64_t, int8_t, int16_t, int32_t, int64_t
from libc.stdint cimport uintptr_t
from libc.string cimport memset, memcpy
from libc.stdlib cimport calloc, malloc, free
from cpython.ref cimport Py_INCREF, Py_DECREF, PyObject
import operator

cdef extern from *:
    """
    #include <sys/mman.h>
    /* Guest RAM: anonymous memory aligned to 2 MiB and offered to the kernel for transparent
       huge pages (as QEMU does for its RAM blocks).  A guest that touches many pages then costs
       the host one TLB entry per 2 MiB instead of per 4 KiB: 10-15% on a workload that touches
       4,096 pages (benchmarks/README.md).  Pages stay lazily allocated and read as zero. */
    #define RV_RAM_ALIGN ((size_t)2 << 20)
    static uint8_t *rv_ram_alloc(uint64_t size) {
        size_t span = (size_t)size + RV_RAM_ALIGN;
        uint8_t *p = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        uint8_t *a;
        if (p == MAP_FAILED)
            return NULL;
        a = (uint8_t *)(((uintptr_t)p + RV_RAM_ALIGN - 1) & ~(uintptr_t)(RV_RAM_ALIGN - 1));
        if (a > p)
            munmap(p, (size_t)(a - p));
        if (p + span > a + size)
            munmap(a + size, (size_t)(p + span - (a + size)));
    #ifdef MADV_HUGEPAGE
        madvise(a, (size_t)size, MADV_HUGEPAGE);     /* advice only: failure changes nothing */
    #endif
        return a;
    }
    static void rv_ram_free(uint8_t *p, uint64_t size) {
        if (p != NULL)
            munmap(p, (size_t)size);
    }
    """
    uint8_t *rv_ram_alloc(uint64_t size) nogil
    void rv_ram_free(uint8_t *p, uint64_t size) nogil

include "_decode.pxi"
include "_code.pxi"
include "_tlb.pxi"
include "_mmu.pxi"
include "_csr.pxi"
include "_trap.pxi"
include "_interp.pxi"
include "_handlers.pxi"

RUN_REASONS = {RUN_BUDGET: "budget", RUN_WFI: "wfi", RUN_EVENT: "event", RUN_ERROR: "error",
               RUN_YIELD: "yield", RUN_BREAK: "break"}
EXCEPTION_CAUSES = 16


cdef void hart_reset(Hart *h, Mach *m, uint64_t hartid) noexcept nogil:
    """Reset state (privileged spec 3.4): M-mode, MIE = MPRV = 0, satp bare, pc set by loader."""
    memset(h, 0, sizeof(Hart))
    h.m = m
    h.hartid = hartid
    h.priv = PRIV_M
    h.mtimecmp = <uint64_t>-1
    h.stimecmp = <uint64_t>-1
    tlb_reset(h)


cdef class Core:
    """RAM plus harts.  ``run(hart, budget)`` executes; everything else inspects or pokes state."""

    cdef Mach m
    cdef object _bus

    def __cinit__(self, uint64_t ram_base, uint64_t ram_size, int nharts, uint64_t ipt=10):
        cdef int i
        memset(&self.m, 0, sizeof(Mach))
        if ram_size == 0 or ram_size % 4096 or ram_base % 4096:
            raise ValueError("RAM base and size must be non-zero multiples of 4096")
        if nharts < 1 or nharts > 64:
            raise ValueError("between 1 and 64 harts")
        if ipt < 1:
            raise ValueError("instructions per tick must be >= 1")
        self.m.ram_base = ram_base
        self.m.ram_size = ram_size
        self.m.ram_pages = ram_size >> 12
        self.m.ipt = ipt
        self.m.ram = rv_ram_alloc(ram_size)
        self.m.code = <Insn**>calloc(self.m.ram_pages, sizeof(Insn*))
        self.m.page_flags = <uint8_t*>calloc(self.m.ram_pages, 1)
        self.m.code_count = <uint16_t*>calloc(self.m.ram_pages, sizeof(uint16_t))
        self.m.pt_pages = <uint32_t*>calloc(self.m.ram_pages, sizeof(uint32_t))
        self.m.slow_chunks = <uint64_t*>calloc(self.m.ram_pages, sizeof(uint64_t))
        self.m.harts = <Hart*>calloc(nharts, sizeof(Hart))
        if not (self.m.ram and self.m.code and self.m.page_flags and self.m.code_count
                and self.m.pt_pages and self.m.slow_chunks and self.m.harts):
            raise MemoryError("cannot allocate guest RAM")
        self.m.nharts = nharts
        self.m.watch_lo = self.m.watch_hi = 0
        for i in range(nharts):
            hart_reset(&self.m.harts[i], &self.m, i)

    def __dealloc__(self):
        cdef uint64_t p
        if self.m.code != NULL:
            for p in range(self.m.ram_pages):
                free(self.m.code[p])
        free(self.m.code)
        free(self.m.page_flags)
        free(self.m.code_count)
        free(self.m.pt_pages)
        free(self.m.slow_chunks)
        free(self.m.harts)
        rv_ram_free(self.m.ram, self.m.ram_size)
        if self.m.error != NULL:
            Py_DECREF(<object>self.m.error)

    # ---- configuration ----------------------------------------------------------------------
    @property
    def ram_base(self):
        return self.m.ram_base

    @property
    def ram_size(self):
        return self.m.ram_size

    @property
    def nharts(self):
        return self.m.nharts

    @property
    def ipt(self):
        """Instructions per tick of the time CSR (deterministic time base)."""
        return self.m.ipt

    @property
    def bus(self):
        return self._bus

    @bus.setter
    def bus(self, obj):
        """Object with read(addr, size) -> int | None and write(addr, size, value) -> bool for
        physical addresses outside RAM (None / False: access fault)."""
        self._bus = obj
        self.m.bus = <void*>obj if obj is not None else NULL

    def watch(self, uint64_t lo, uint64_t hi):
        """Report guest stores into physical [lo, hi) as events (HTIF tohost).  Only RAM."""
        cdef uint64_t p
        for p in range(self.m.ram_pages):
            self.m.page_flags[p] &= ~PF_WATCH
        self.m.watch_lo = lo
        self.m.watch_hi = hi
        if hi <= lo:
            return
        if not ram_has(&self.m, lo, hi - lo):
            raise ValueError("watched range must lie in RAM")
        for p in range((lo - self.m.ram_base) >> 12, ((hi - 1 - self.m.ram_base) >> 12) + 1):
            self.m.page_flags[p] |= PF_WATCH
            tlb_drop_store_ppn(&self.m, p)

    # ---- running ----------------------------------------------------------------------------
    def run(self, int hart, uint64_t budget):
        """Run one hart for up to budget instructions.  Returns (reason, executed) with reason
        one of "budget", "wfi", "event", "error", "yield".  A Python exception raised by the bus
        is re-raised here."""
        cdef uint64_t executed = 0
        cdef int r
        self._check_hart(hart)
        self.m.event = 0
        r = run_hart(&self.m.harts[hart], budget, &executed)
        if self.m.error != NULL:
            err = <object>self.m.error
            Py_DECREF(err)
            self.m.error = NULL
            raise err
        return RUN_REASONS[r], executed

    def clear_event(self):
        self.m.event = 0

    def stop_soon(self):
        """Make the running run() return ("event") after the current instruction: a device
        that needs the host (a poweroff) calls this from its access."""
        self.m.event = 1

    # ---- physical memory --------------------------------------------------------------------
    def read_phys(self, uint64_t addr, uint64_t n):
        """Bytes of RAM at physical addr (ValueError outside RAM)."""
        if n and not ram_has(&self.m, addr, n):
            raise ValueError(f"physical range {addr:#x}+{n:#x} is not RAM")
        return (<char*>(self.m.ram + (addr - self.m.ram_base)))[:n]

    def write_phys(self, uint64_t addr, const uint8_t[:] data):
        """Write RAM (DMA / loader path): keeps decoded code coherent."""
        cdef uint64_t n = data.shape[0]
        if n == 0:
            return
        if not ram_has(&self.m, addr, n):
            raise ValueError(f"physical range {addr:#x}+{n:#x} is not RAM")
        memcpy(self.m.ram + (addr - self.m.ram_base), &data[0], n)
        phys_invalidate_range(&self.m, addr, n)

    def phys_written(self, uint64_t addr, uint64_t n):
        """RAM [addr, addr + n) was written through ram_view (a device's DMA): keep decoded
        code coherent as write_phys does (ValueError outside RAM)."""
        if n == 0:
            return
        if not ram_has(&self.m, addr, n):
            raise ValueError(f"physical range {addr:#x}+{n:#x} is not RAM")
        phys_invalidate_range(&self.m, addr, n)

    def decoded_slots(self, uint64_t addr):
        """How many decoded-instruction slots RAM page of physical addr holds (0: none, or not
        RAM).  For tests of the decoded-code cache."""
        if not ram_has(&self.m, addr, 1):
            return 0
        return self.m.code_count[(addr - self.m.ram_base) >> 12]

    def ram_view(self):
        """A writable memoryview of all RAM.  Writing through it bypasses decoded-code
        invalidation: use write_phys for anything that may hold code."""
        return <uint8_t[:self.m.ram_size]>self.m.ram

    # ---- hart state -------------------------------------------------------------------------
    cdef Hart *_h(self, int i) except NULL:
        self._check_hart(i)
        return &self.m.harts[i]

    def _check_hart(self, int i):
        if i < 0 or i >= self.m.nharts:
            raise IndexError(f"no hart {i}")

    def get_pc(self, int i):
        return self._h(i).pc

    def set_pc(self, int i, uint64_t pc):
        self._h(i).pc = pc

    def get_x(self, int i, int r):
        if not 0 <= r < 32:
            raise IndexError("register index 0..31")
        return self._h(i).x[r]

    def set_x(self, int i, int r, uint64_t v):
        if not 0 <= r < 32:
            raise IndexError("register index 0..31")
        if r:
            self._h(i).x[r] = v

    def get_regs(self, int i):
        cdef Hart *h = self._h(i)
        return [h.x[r] for r in range(32)]

    def get_priv(self, int i):
        return self._h(i).priv

    def set_priv(self, int i, int priv):
        if priv not in (PRIV_U, PRIV_S, PRIV_M):
            raise ValueError("privilege must be 0 (U), 1 (S) or 3 (M)")
        set_priv(self._h(i), priv)

    def csr_read(self, int i, int csr):
        """Read a CSR as M-mode would (debugger access).  KeyError if it does not exist."""
        cdef Hart *h = self._h(i)
        cdef uint64_t v = 0
        cdef int saved = h.priv, r
        h.priv = PRIV_M
        r = csr_read(h, csr, &v)
        h.priv = saved
        if r != CSR_OK:
            raise KeyError(f"no CSR {csr:#x}")
        return v

    def csr_write(self, int i, int csr, uint64_t v):
        """Write a CSR as M-mode would, with its WARL rules.  KeyError if not writable."""
        cdef Hart *h = self._h(i)
        cdef int saved = h.priv, r
        h.priv = PRIV_M
        r = csr_write_host(h, csr, v)
        h.priv = saved
        update_tlb_pointers(h)
        if r == CSR_ILLEGAL:
            raise KeyError(f"CSR {csr:#x} is not writable")

    def get_instret(self, int i):
        return self._h(i).instret

    def get_vclock(self, int i):
        return self._h(i).vclock

    def set_vclock(self, int i, uint64_t v):
        """Advance a hart's clock (the board keeps harts' clocks together, and fast-forwards
        sleeping harts to the next timer deadline).  Guest time follows (get_time)."""
        self._h(i).vclock = v

    def advance_vclock(self, int i, uint64_t v):
        """Move hart i's clock forward to v (never back), stopping early at a timer deadline that
        mtime wrapping at 2^64 would otherwise let it pass unseen."""
        advance_clock(self._h(i), v)

    @property
    def vclock_max(self):
        """The horizon of the harts' clocks (instructions): a timer deadline further than this
        never comes (time_until_timer says None), so fast-forwarding stays below it."""
        return VCLOCK_MAX

    def get_time(self, int i):
        """mtime (the time CSR) as hart i sees it now: a 64-bit counter that wraps."""
        return hart_time(self._h(i))

    def set_time(self, int i, uint64_t t):
        """A store of t to mtime made by hart i: every hart's time counts on from there."""
        set_hart_time(self._h(i), t)

    def time_until_timer(self, int i):
        """Instructions of hart i's clock until one of its timer lines rises (None: never)."""
        cdef Hart *h = self._h(i)
        cdef uint64_t d = next_timer_deadline(h)
        return None if d == <uint64_t>-1 else d

    def get_mtimecmp(self, int i):
        return self._h(i).mtimecmp

    def set_mtimecmp(self, int i, uint64_t v):
        cdef Hart *h = self._h(i)
        h.mtimecmp = v
        update_timer_lines(h)

    def set_irq(self, int i, int bit, bint level):
        """Drive an interrupt line of hart i: bit is the mip bit number (MSIP 3, MTIP 7,
        SEIP 9, MEIP 11)."""
        cdef Hart *h = self._h(i)
        if bit not in (3, 7, 9, 11):
            raise ValueError("lines are MSIP(3), MTIP(7), SEIP(9), MEIP(11)")
        if level:
            h.mip_hw |= (<uint64_t>1 << bit)
        else:
            h.mip_hw &= ~(<uint64_t>1 << bit)

    def interrupt_pending(self, int i):
        """True if an enabled interrupt would wake hart i from WFI (mip & mie != 0)."""
        cdef Hart *h = self._h(i)
        update_timer_lines(h)
        return (hart_mip(h) & h.mie) != 0

    def is_wfi(self, int i):
        return bool(self._h(i).wfi)

    def stats(self, int i):
        """Counters of hart i: exceptions and interrupts by cause, TLB misses, page walks."""
        cdef Hart *h = self._h(i)
        return {
            "instret": h.instret,
            "exceptions": {c: h.exceptions[c] for c in range(16) if h.exceptions[c]},
            "interrupts": {c: h.interrupts[c] for c in range(16) if h.interrupts[c]},
            "tlb_misses": {"fetch": h.tlb_misses[0], "load": h.tlb_misses[1],
                           "store": h.tlb_misses[2]},
            "page_walks": h.page_walks,
        }

    # ---- debugger access ------------------------------------------------------------------
    def translate(self, int i, uint64_t va, str access="load"):
        """Physical address of va as hart i would access it now (access: "fetch", "load",
        "store"), or None if that access would fault.  No A/D bits are set."""
        cdef uint64_t pa = 0
        cdef int acc
        if access not in ("fetch", "load", "store"):
            raise ValueError(f"access must be 'fetch', 'load' or 'store', not {access!r}")
        acc = {"fetch": ACC_FETCH, "load": ACC_LOAD, "store": ACC_STORE}[access]
        if debug_translate(self._h(i), va, acc, &pa) != ST_OK:
            return None
        return pa

    def read_virt(self, int i, uint64_t va, uint64_t n, str access="load"):
        """Bytes at virtual va as hart i sees them (RAM only).  ValueError where unmapped."""
        if n > self.m.ram_size:
            raise ValueError(f"cannot read {n:#x} bytes: more than all of RAM")
        out = bytearray()
        while n:
            chunk = min(n, 4096 - (va & 0xfff))
            pa = self.translate(i, va, access)
            if pa is None:
                raise ValueError(f"virtual address {va:#x} is not mapped")
            out += self.read_phys(pa, chunk)
            va += chunk
            n -= chunk
        return bytes(out)

    def write_virt(self, int i, uint64_t va, data):
        """Write bytes at virtual va as hart i's stores would land (RAM only)."""
        data = bytes(data)
        pos = 0
        while pos < len(data):
            chunk = min(len(data) - pos, 4096 - (va & 0xfff))
            pa = self.translate(i, va, "store")
            if pa is None:
                raise ValueError(f"virtual address {va:#x} is not mapped writable")
            self.write_phys(pa, data[pos:pos + chunk])
            va += chunk
            pos += chunk

    def set_breakpoints(self, addrs):
        """Replace the host breakpoint set (virtual pcs, every hart).  run() then returns
        ("break", n) with the hart's pc at the breakpoint, not yet executed."""
        addrs = sorted(set(operator.index(a) & 0xffffffffffffffff for a in addrs))
        if len(addrs) > 64:
            raise ValueError("at most 64 breakpoints")
        for k, a in enumerate(addrs):
            self.m.breakpoints[k] = a
        self.m.nbreak = len(addrs)
        code_invalidate_all(&self.m)

    def decode(self, uint32_t word):
        """Decode a word with the compiled decoder: (op name, rd, rs1, rs2, imm, len) or None.
        rd is reported as 0 for the x0 sink.  For tests: the decoder against opcodes.decode."""
        cdef Insn d
        if not decode_insn(word, &d):
            return None
        return (OP_NAMES[d.op], 0 if d.rd == 32 else d.rd, d.rs1, d.rs2, d.imm, d.len)

# Sv39 address translation, physical memory and the memory slow paths.
#
# Owns: the page walk (privileged spec 4.3.2 with the Sv39 layout of 4.4), the TLB fills, the
# slow paths of loads and stores (walk, misaligned split, code pages, MMIO through the Python
# bus) and instruction fetch.  The inline fast paths (TLB hit -> host pointer) are in the run loop.
#
#   A RAM page with decoded slots (PF_CODE) or page-table entries (PF_PT) is mapped by store-TLB
#   entries only with TAG_SLOW, which the loop's fast path never matches: such stores come here,
#   where page_store empties only the slots they overlap (_code.pxi) and notes a page-table
#   write (_tlb.pxi).
#
# The TLB sets and when they are flushed: _tlb.pxi.  MMIO is never cached: only RAM pages enter a
# TLB.

cdef extern from *:
    """
    #define RV_TLB_EMPTY (~0ULL)
    """
    const uint64_t TLB_EMPTY "RV_TLB_EMPTY"

cdef inline uint64_t page_fault_cause(int acc) noexcept nogil:
    if acc == ACC_FETCH:
        return CAUSE_FETCH_PAGE_FAULT
    if acc == ACC_LOAD:
        return CAUSE_LOAD_PAGE_FAULT
    return CAUSE_STORE_PAGE_FAULT

cdef inline uint64_t access_fault_cause(int acc) noexcept nogil:
    if acc == ACC_FETCH:
        return CAUSE_FETCH_ACCESS
    if acc == ACC_LOAD:
        return CAUSE_LOAD_ACCESS
    return CAUSE_STORE_ACCESS

# Exceptions travel as status codes: cause + 1 (0 is success).
cdef inline int exc(Hart *h, uint64_t cause, uint64_t tval) noexcept nogil:
    h.exc_tval = tval
    return <int>cause + 1


# ---- physical memory ---------------------------------------------------------------------------

cdef inline void page_store(Mach *m, uint64_t ppn, uint64_t off, uint64_t size) noexcept nogil:
    """A guest store to bytes [off, off + size) of RAM page ppn is about to happen."""
    cdef uint8_t f = m.page_flags[ppn]
    if f & PF_CODE:
        code_write(m, ppn, off, size)
    if f & PF_PT:
        m.pt_dirty = 1

cdef inline int ram_has(Mach *m, uint64_t pa, uint64_t size) noexcept nogil:
    return pa - m.ram_base < m.ram_size and pa - m.ram_base + size <= m.ram_size

# ---- MMIO through the Python bus ------------------------------------------------------------
# A load or store that reaches a device is not performed inside the memory helpers: they record
# the request in the hart and return ST_MMIO.  The run loop then publishes pc and the hart's
# clock (devices such as the CLINT read time) and calls mmio_perform, which returns ST_EVENT so
# the loop re-checks interrupts the device may have raised.  The run returns to the host only
# when a device asks for it (Core.stop_soon: a poweroff) or raised an exception.

cdef inline int mmio_request(Hart *h, uint64_t va, uint64_t pa, int size, uint64_t value,
                             int store) noexcept nogil:
    h.mmio_va = va
    h.mmio_pa = pa
    h.mmio_size = size
    h.mmio_value = value
    h.mmio_store = store
    return ST_MMIO

cdef int mmio_perform(Hart *h, uint64_t *out) noexcept:
    """Carry out the recorded device access through the bus.  ST_EVENT, or an access fault
    (whose tval is the virtual address, privileged spec 3.1.16)."""
    cdef Mach *m = h.m
    cdef int acc = ACC_STORE if h.mmio_store else ACC_LOAD
    cdef uint64_t pa = h.mmio_pa
    if m.bus == NULL:
        return exc(h, access_fault_cause(acc), h.mmio_va)
    try:
        if h.mmio_store:
            ok = (<object>m.bus).write(pa, h.mmio_size, h.mmio_value)
            if not ok:
                return exc(h, CAUSE_STORE_ACCESS, mmio_fault_va(h, <object>m.bus))
        else:
            v = (<object>m.bus).read(pa, h.mmio_size)
            if v is None:
                return exc(h, CAUSE_LOAD_ACCESS, mmio_fault_va(h, <object>m.bus))
            out[0] = <uint64_t>(v & 0xffffffffffffffff)
    except BaseException as e:
        set_error(m, e)
    return ST_EVENT

cdef uint64_t mmio_fault_va(Hart *h, object bus) except? 0:
    """mtval for a device access that failed: the virtual address of the portion that faulted
    (privileged spec 3.1.16).  The bus may split an access (rvemu.bus) and name, in fault_addr,
    the physical address of the failing piece; the access's own va if that lies at or below it."""
    fa = getattr(bus, "fault_addr", None)
    if fa is None or fa <= h.mmio_pa or fa >= h.mmio_pa + <uint64_t>h.mmio_size:
        return h.mmio_va
    return h.mmio_va + (<uint64_t>fa - h.mmio_pa)

cdef void set_error(Mach *m, object e) noexcept:
    if m.error == NULL:
        Py_INCREF(e)
        m.error = <void*>e
    m.event = 1


# ---- Sv39 page walk (privileged spec 4.3.2; Sv39 layout 4.4.1) ----------------------------------

cdef int sv39_walk(Hart *h, uint64_t va, int acc, int priv, uint64_t *pa_out,
                   int debug) noexcept nogil:
    """Translate va for an access of kind acc at effective privilege priv.

    Returns ST_OK with *pa_out, or an exception status (page fault, or access fault for a PTE
    outside RAM).  Sets A, and D for stores, in the leaf PTE as hardware does (Svadu behaviour,
    like QEMU) - unless debug (a debugger's look changes nothing)."""
    cdef Mach *m = h.m
    cdef uint64_t pf = page_fault_cause(acc)
    cdef uint64_t a, pte_pa, pte, ppn, newpte, offmask, pt_ppn
    cdef uint64_t *pte_ptr
    cdef int i, shift
    if not debug:
        h.page_walks += 1
    # 4.4.1: bits 63:39 must all equal bit 38
    if <uint64_t>((<int64_t>(va << 25)) >> 25) != va:
        return exc(h, pf, va)
    a = (h.satp & 0xfffffffffffULL) << 12                    # step 1: a = satp.ppn * PAGESIZE
    i = 2
    while True:
        pte_pa = a + ((va >> (12 + 9 * i)) & 0x1ff) * 8      # step 2
        if not ram_has(m, pte_pa, 8):
            return exc(h, access_fault_cause(acc), va)
        pte_ptr = <uint64_t*>(m.ram + (pte_pa - m.ram_base))
        pte = pte_ptr[0]
        pt_ppn = (pte_pa - m.ram_base) >> 12
        if not debug:
            pt_claim(m, pt_ppn)
        # step 3: invalid, W without R, or reserved bits 63:54 (no Svnapot/Svpbmt)
        if not (pte & PTE_V) or ((pte & PTE_W) and not (pte & PTE_R)) or (pte >> 54):
            return exc(h, pf, va)
        if pte & (PTE_R | PTE_X):                              # step 4: a leaf
            break
        if pte & (PTE_A | PTE_D | PTE_U):      # reserved in non-leaf PTEs (4.3.1): fault
            return exc(h, pf, va)
        i -= 1
        if i < 0:
            return exc(h, pf, va)
        a = ((pte >> 10) & 0xfffffffffffULL) << 12
    # step 5: permissions
    if acc == ACC_FETCH:
        if not (pte & PTE_X):
            return exc(h, pf, va)
    elif acc == ACC_LOAD:
        if not ((pte & PTE_R) or ((pte & PTE_X) and (h.mstatus & MSTATUS_MXR))):
            return exc(h, pf, va)
    elif not (pte & PTE_W):
        return exc(h, pf, va)
    if priv == PRIV_U:
        if not (pte & PTE_U):
            return exc(h, pf, va)
    elif pte & PTE_U:
        if acc == ACC_FETCH or not (h.mstatus & MSTATUS_SUM):
            return exc(h, pf, va)
    # step 6: a misaligned superpage
    ppn = (pte >> 10) & 0xfffffffffffULL
    if i > 0 and (ppn & ((<uint64_t>1 << (9 * i)) - 1)):
        return exc(h, pf, va)
    # step 7: A and D, updated atomically with the checks (one host thread: trivially so)
    newpte = pte | PTE_A
    if acc == ACC_STORE:
        newpte |= PTE_D
    if newpte != pte and not debug:
        # (not a page-table write for _tlb.pxi: no cached translation depends on A or D)
        pte_ptr[0] = newpte
        code_write(m, pt_ppn, pte_pa & 0xfff, 8)
    # step 8: the physical address; a superpage keeps va's low vpn bits
    shift = 12 + 9 * i
    offmask = (<uint64_t>1 << shift) - 1
    if i > 0 and not debug:
        h.tlb_super = 1
    pa_out[0] = ((ppn << 12) & ~offmask) | (va & offmask)
    h.last_pte = newpte
    return ST_OK


cdef inline int data_priv(Hart *h) noexcept nogil:
    if h.priv == PRIV_M and (h.mstatus & MSTATUS_MPRV):
        return <int>((h.mstatus >> 11) & 3)
    return h.priv

cdef int translate(Hart *h, uint64_t va, int acc, uint64_t *pa) noexcept nogil:
    """va -> pa for an access; h.last_pte then holds the leaf's permissions."""
    cdef int priv = h.priv if acc == ACC_FETCH else data_priv(h)
    if priv == PRIV_M or (h.satp >> 60) == 0:
        pa[0] = va
        h.last_pte = PTE_R | PTE_W | PTE_X | PTE_A | PTE_D
        return ST_OK
    return sv39_walk(h, va, acc, priv, pa, 0)


cdef int debug_translate(Hart *h, uint64_t va, int acc, uint64_t *pa) noexcept nogil:
    """translate() for debuggers and tracers: same checks, no A/D update, no statistics."""
    cdef int priv = h.priv if acc == ACC_FETCH else data_priv(h)
    if priv == PRIV_M or (h.satp >> 60) == 0:
        pa[0] = va
        return ST_OK
    return sv39_walk(h, va, acc, priv, pa, 1)


# ---- slow paths ---------------------------------------------------------------------------

cdef inline uint64_t read_host(uint8_t *p, int size) noexcept nogil:
    """size bytes at p, little-endian host (constant-size copies: no library call)."""
    cdef uint64_t v8
    cdef uint32_t v4
    cdef uint16_t v2
    if size == 8:
        memcpy(&v8, p, 8)
        return v8
    if size == 4:
        memcpy(&v4, p, 4)
        return v4
    if size == 2:
        memcpy(&v2, p, 2)
        return v2
    return p[0]

cdef inline void write_host(uint8_t *p, int size, uint64_t v) noexcept nogil:
    cdef uint32_t v4 = <uint32_t>v
    cdef uint16_t v2 = <uint16_t>v
    if size == 8:
        memcpy(p, &v, 8)
    elif size == 4:
        memcpy(p, &v4, 4)
    elif size == 2:
        memcpy(p, &v2, 2)
    else:
        p[0] = <uint8_t>v

cdef int load_one(Hart *h, uint64_t va, int size, uint64_t *out, int split) noexcept nogil:
    """A load that does not cross a page: translate, fill the load TLB, read RAM, or request
    MMIO (a device access split across pages is an access fault)."""
    cdef Mach *m = h.m
    cdef uint64_t pa, ppn
    cdef TlbEntry *e
    cdef int st = translate(h, va, ACC_LOAD, &pa)
    if st:
        return st
    h.tlb_misses[ACC_LOAD] += 1
    if ram_has(m, pa, size):
        ppn = (pa - m.ram_base) >> 12
        tlb_fill(h.dtlb, tlb_entry(h.dtlb.load, va), m, va, ppn)
        # a writable page whose D bit is already set may take stores without another walk
        if ((h.last_pte & (PTE_W | PTE_D)) == (PTE_W | PTE_D)
                and not (m.page_flags[ppn] & PF_WATCH)):
            tlb_fill_store(h.dtlb, tlb_entry(h.dtlb.store, va), m, va, ppn)
        out[0] = read_host(m.ram + (pa - m.ram_base), size)
        return ST_OK
    if split:
        return exc(h, CAUSE_LOAD_ACCESS, va)
    return mmio_request(h, va, pa, size, 0, 0)

cdef int load_slow(Hart *h, uint64_t va, int size, uint64_t *out) noexcept nogil:
    """Any load the fast path did not take: TLB miss, misaligned, MMIO.  Misaligned loads are
    performed (as QEMU does), byte by byte when they cross a page - unless the load starts in a
    device window and its two pages are physically contiguous: then the bus performs it whole
    (splitting it into aligned pieces as QEMU does, rvemu.bus)."""
    cdef uint64_t b, pa, pa2, v = 0
    cdef int i, st
    if (va & 0xfff) + size <= 4096:
        return load_one(h, va, size, out, 0)
    st = translate(h, va, ACC_LOAD, &pa)
    if st:
        return st
    if not ram_has(h.m, pa, 1):
        st = translate(h, (va | 0xfff) + 1, ACC_LOAD, &pa2)
        if st:
            return st
        if pa2 == (pa | 0xfff) + 1:
            return mmio_request(h, va, pa, size, 0, 0)
        return exc(h, CAUSE_LOAD_ACCESS, va)
    for i in range(size):
        st = load_one(h, va + i, 1, &b, 1)
        if st > 0:
            return st
        v |= b << (8 * i)
    out[0] = v
    return ST_OK

cdef int store_one(Hart *h, uint64_t va, int size, uint64_t value, int split) noexcept nogil:
    cdef Mach *m = h.m
    cdef uint64_t pa, ppn
    cdef TlbEntry *e
    cdef int st = translate(h, va, ACC_STORE, &pa)
    if st:
        return st
    h.tlb_misses[ACC_STORE] += 1
    if ram_has(m, pa, size):
        ppn = (pa - m.ram_base) >> 12
        page_store(m, ppn, pa & 0xfff, size)
        write_host(m.ram + (pa - m.ram_base), size, value)
        if m.page_flags[ppn] & PF_WATCH:
            if pa < m.watch_hi and pa + size > m.watch_lo:
                m.event = 1
                return ST_EVENT
            return ST_OK
        tlb_fill_store(h.dtlb, tlb_entry(h.dtlb.store, va), m, va, ppn)
        tlb_fill(h.dtlb, tlb_entry(h.dtlb.load, va), m, va, ppn)    # W implies R
        return ST_OK
    if split:
        return exc(h, CAUSE_STORE_ACCESS, va)
    return mmio_request(h, va, pa, size, value, 1)

cdef int store_slow(Hart *h, uint64_t va, int size, uint64_t value) noexcept nogil:
    """Any store the fast path did not take: a code page (empty the slots it overlaps, then
    store), TLB miss, misaligned, MMIO."""
    cdef uint64_t pa
    cdef int i, st, ev = ST_OK
    cdef TlbEntry *e = &h.dtlb.store[(va >> 12) & (TLB_SIZE - 1)]
    if e.tag == ((va & ~<uint64_t>0xfff) | TAG_SLOW) and (va & 0xfff) + size <= 4096:
        page_store(h.m, e.ppn, va & 0xfff, size)
        write_host(<uint8_t*>(e.addend + va), size, value)
        return ST_OK
    if (va & 0xfff) + size <= 4096:
        return store_one(h, va, size, value, 0)
    # a page-crossing store: check both pages first so a fault leaves memory unchanged
    st = translate(h, va, ACC_STORE, &pa)
    if st:
        return st
    st = translate(h, (va | 0xfff) + 1, ACC_STORE, &pa)
    if st:
        return st
    for i in range(size):
        st = store_one(h, va + i, 1, (value >> (8 * i)) & 0xff, 1)
        if st > 0:
            return st
        if st == ST_EVENT:
            ev = ST_EVENT
    return ev


# ---- atomics: LR/SC/AMO need an aligned RAM address (no MMIO) ---------------------------------

cdef int amo_host(Hart *h, uint64_t va, int size, int acc, uint8_t **host) noexcept nogil:
    """Host pointer for an aligned atomic access; misaligned -> address-misaligned exception,
    MMIO -> access fault.  acc = ACC_LOAD for LR, ACC_STORE for SC and AMOs."""
    cdef Mach *m = h.m
    cdef uint64_t pa, ppn
    cdef int st
    cdef TlbEntry *e
    if va & (size - 1):
        return exc(h, CAUSE_MISALIGNED_LOAD if acc == ACC_LOAD else CAUSE_MISALIGNED_STORE, va)
    if acc == ACC_STORE:
        e = &h.dtlb.store[(va >> 12) & (TLB_SIZE - 1)]
        if e.tag == (va & ~<uint64_t>0xfff):
            host[0] = <uint8_t*>(e.addend + va)
            return ST_OK
    st = translate(h, va, acc, &pa)
    if st:
        return st
    if not ram_has(m, pa, size):
        return exc(h, access_fault_cause(acc), va)
    ppn = (pa - m.ram_base) >> 12
    if acc == ACC_STORE:
        page_store(m, ppn, pa & 0xfff, size)
        if m.page_flags[ppn] & PF_WATCH and pa < m.watch_hi and pa + size > m.watch_lo:
            m.event = 1
    host[0] = m.ram + (pa - m.ram_base)
    return ST_OK


# ---- instruction fetch ----------------------------------------------------------------------

cdef int fetch_page(Hart *h, uint64_t pc, TlbEntry **out) noexcept nogil:
    """The fetch-TLB entry for pc's page, filling it on a miss (instruction fetch only from RAM)."""
    cdef Mach *m = h.m
    cdef uint64_t pa, ppn
    cdef int st
    cdef TlbEntry *e = &h.itlb.fetch[(pc >> 12) & (TLB_SIZE - 1)]
    if e.tag == (pc & ~<uint64_t>0xfff):
        out[0] = e
        return ST_OK
    h.tlb_misses[ACC_FETCH] += 1
    st = translate(h, pc, ACC_FETCH, &pa)
    if st:
        return st
    if not ram_has(m, pa, 2):
        return exc(h, CAUSE_FETCH_ACCESS, pc)
    ppn = (pa - m.ram_base) >> 12
    if code_page_alloc(m, ppn) == NULL:
        return exc(h, CAUSE_FETCH_ACCESS, pc)
    tlb_fill(h.itlb, e, m, pc, ppn)
    e.code = m.code[ppn]
    out[0] = e
    return ST_OK

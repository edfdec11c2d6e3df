# The software TLBs: one set per address space, and the rules that keep them true to memory.
#
# Owns: which TLB set an access uses, when sets are flushed, and the tracking of page-table pages.
#
#   Sets.  A hart keeps one TLB set for M-mode (no translation) and, for each of NSPACES address
#   spaces (satp values) it ran recently, a set for S-mode and one for U-mode.  A satp write
#   selects the space with that exact satp value, or recycles the least recently used one; it
#   flushes nothing.  So a kernel that switches satp on every trap, as xv6 does, finds its own
#   and its process's translations still there.  itlb follows the privilege; dtlb the effective
#   data privilege (MPRV, privileged spec 3.1.6.3).
#
#   Size.  Each set maps 4096 pages per kind (16 MiB of loads, of stores, of code), direct-mapped
#   by the virtual page number's low bits.  A flush empties only what was filled since the last
#   one (Tlb.fill lists up to TLB_LOG entries; a set filled more is scanned whole), so a set costs
#   what its address space used, not its size.
#
#   Staleness.  A translation depends on the PTEs its walk read.  Every page a walk reads a PTE
#   from gets PF_PT, and then no plain store-TLB entry maps it (its entries carry TAG_SLOW), so
#   every store to it reaches the slow path, which sets Mach.pt_dirty.  While pt_dirty is clear no
#   cached translation of any hart can be stale, and sfence.vma has nothing to do.  Once it is set,
#   the next sfence.vma x0 or satp write (on any hart) flushes the translated sets of every hart
#   and starts the tracking afresh (PF_PT cleared); an sfence.vma with an address drops that page
#   from this hart's sets (privileged spec 4.2.1: flushing more than asked is always allowed).
#   Walks set A and D themselves (cached entries stay valid: a store entry needs D already set),
#   so they do not count as page-table writes.  mstatus.SUM/MXR changes flush this hart's
#   translated sets.

cdef extern from *:
    """
    #define RV_TAG_SLOW 0x800ULL
    """
    # Store-TLB tag bit of a page whose stores need the slow path (PF_CODE or PF_PT): never set in
    # (va & ~0xff8), so the loop's inline tag test misses.
    const uint64_t TAG_SLOW "RV_TAG_SLOW"

if sizeof(TlbEntry) != 32:
    raise ImportError("rvemu._core: tlb_entry assumes 32-byte TLB entries")


cdef inline TlbEntry *tlb_entry(TlbEntry *table, uint64_t va) noexcept nogil:
    """The entry of table (TLB_SIZE of them) for va's page: table[(va >> 12) % TLB_SIZE], its byte
    offset taken straight from va (one shift and one mask on the run loop's path)."""
    return <TlbEntry*>(<char*>table + ((va >> 7) & (<uint64_t>(TLB_SIZE - 1) << 5)))


cdef inline TlbEntry *tlb_at(Tlb *t, uint32_t i) noexcept nogil:
    """Entry i of fetch, load and store taken as one array of 3 * TLB_SIZE."""
    return <TlbEntry*>(<char*>t.fetch + i * sizeof(TlbEntry))

cdef inline void tlb_fill(Tlb *t, TlbEntry *e, Mach *m, uint64_t va, uint64_t ppn) noexcept nogil:
    """Fill e, an entry of set t, and list it for t's next flush."""
    e.tag = va & ~<uint64_t>0xfff
    e.addend = <uintptr_t>(m.ram + (ppn << 12)) - e.tag
    e.ppn = ppn
    if t.nfill < TLB_LOG:
        t.fill[t.nfill] = <uint16_t>((<char*>e - <char*>t.fetch) >> 5)     # sizeof(TlbEntry) == 32
        t.nfill += 1
    else:
        t.nfill = TLB_LOG + 1

cdef inline void tlb_fill_store(Tlb *t, TlbEntry *e, Mach *m, uint64_t va,
                                uint64_t ppn) noexcept nogil:
    """A store-TLB entry; a code or page-table page's carries TAG_SLOW."""
    tlb_fill(t, e, m, va, ppn)
    if m.page_flags[ppn] & (PF_CODE | PF_PT):
        e.tag |= TAG_SLOW
    else:
        m.page_flags[ppn] |= PF_STORED


cdef void tlb_flush_set(Tlb *t) noexcept nogil:
    """Empty the entries filled since the last flush (every entry if they were too many)."""
    cdef uint32_t i
    if t.nfill > TLB_LOG:
        for i in range(3 * TLB_SIZE):
            tlb_at(t, i).tag = TLB_EMPTY
    else:
        for i in range(t.nfill):
            tlb_at(t, t.fill[i]).tag = TLB_EMPTY
    t.nfill = 0

cdef void tlb_flush_translated(Hart *h) noexcept nogil:
    """Empty the S and U sets of every space this hart keeps."""
    cdef int k
    for k in range(NSPACES):
        if h.spaces[k].satp != TLB_EMPTY:
            tlb_flush_set(&h.spaces[k].s)
            tlb_flush_set(&h.spaces[k].u)
    h.tlb_super = 0

cdef void tlb_reset(Hart *h) noexcept nogil:
    """Every set empty, no space in use; satp's space selected."""
    cdef int k
    h.mtlb.nfill = TLB_LOG + 1
    tlb_flush_set(&h.mtlb)
    for k in range(NSPACES):
        h.spaces[k].s.nfill = TLB_LOG + 1
        h.spaces[k].u.nfill = TLB_LOG + 1
        tlb_flush_set(&h.spaces[k].s)
        tlb_flush_set(&h.spaces[k].u)
        h.spaces[k].satp = TLB_EMPTY
        h.spaces[k].used = 0
    h.tlb_super = 0
    h.space = NULL
    tlb_switch(h)

cdef int tlb_flush_stale(Mach *m) noexcept nogil:
    """If a page-table page was written since the last time, flush every hart's translations and
    start tracking page-table pages afresh.  1 if it flushed."""
    cdef uint64_t i
    cdef int k
    if not m.pt_dirty:
        return 0
    for k in range(m.nharts):
        tlb_flush_translated(&m.harts[k])
    for i in range(m.npt):
        m.page_flags[m.pt_pages[i]] &= ~PF_PT
        if not (m.page_flags[m.pt_pages[i]] & PF_CODE):
            m.slow_chunks[m.pt_pages[i]] = 0
    m.npt = 0
    m.pt_dirty = 0
    return 1

cdef void tlb_switch(Hart *h) noexcept nogil:
    """satp changed: select the space of its value (or recycle the least recently used)."""
    cdef int k, lru = 0
    cdef Space *s = NULL
    tlb_flush_stale(h.m)
    for k in range(NSPACES):
        if h.spaces[k].satp == h.satp:
            s = &h.spaces[k]
            break
        if h.spaces[k].used < h.spaces[lru].used:
            lru = k
    if s == NULL:
        s = &h.spaces[lru]
        if s.satp != TLB_EMPTY:
            tlb_flush_set(&s.s)
            tlb_flush_set(&s.u)
        s.satp = h.satp
    h.space_clock += 1
    s.used = h.space_clock
    h.space = s
    update_tlb_pointers(h)

cdef void tlb_flush_page(Hart *h, uint64_t va) noexcept nogil:
    """Drop va's page from this hart's translated sets (all of them after a superpage fill)."""
    cdef int k, i = (va >> 12) & (TLB_SIZE - 1)
    cdef uint64_t tag = va & ~<uint64_t>0xfff
    cdef Tlb *t
    if h.tlb_super:
        tlb_flush_translated(h)
        return
    for k in range(2 * NSPACES):
        t = &h.spaces[k >> 1].s if (k & 1) == 0 else &h.spaces[k >> 1].u
        if t.fetch[i].tag == tag:
            t.fetch[i].tag = TLB_EMPTY
        if t.load[i].tag == tag:
            t.load[i].tag = TLB_EMPTY
        if (t.store[i].tag & ~TAG_SLOW) == tag:
            t.store[i].tag = TLB_EMPTY

cdef void sfence_vma(Hart *h, int rs1, uint64_t va) noexcept nogil:
    """sfence.vma (privileged spec 4.2.1): only page-table writes since the last flush can have
    made a translation stale."""
    if not h.m.pt_dirty:
        return
    if rs1 == 0:
        tlb_flush_stale(h.m)
    else:
        tlb_flush_page(h, va)

cdef inline void drop_if_maps(TlbEntry *e, uint64_t ppn) noexcept nogil:
    if e.tag != TLB_EMPTY and e.ppn == ppn:
        e.tag = TLB_EMPTY

cdef void tlb_drop_store_ppn(Mach *m, uint64_t ppn) noexcept nogil:
    """Remove every store-TLB entry of every hart that maps RAM page ppn (only a page with
    PF_STORED can have plain ones; slow ones are dropped too)."""
    cdef int k, j
    cdef uint32_t i
    cdef Tlb *t
    cdef Hart *h
    for k in range(m.nharts):
        h = &m.harts[k]
        for j in range(2 * NSPACES + 1):
            if j == 2 * NSPACES:
                t = &h.mtlb
            elif j & 1:
                t = &h.spaces[j >> 1].u
            else:
                t = &h.spaces[j >> 1].s
            if t.nfill > TLB_LOG:
                for i in range(<uint32_t>TLB_SIZE):
                    drop_if_maps(&t.store[i], ppn)
            else:
                for i in range(t.nfill):
                    if t.fill[i] >= 2 * TLB_SIZE:
                        drop_if_maps(tlb_at(t, t.fill[i]), ppn)
    m.page_flags[ppn] &= ~PF_STORED

cdef inline void pt_claim(Mach *m, uint64_t ppn) noexcept nogil:
    """A walk read a PTE from RAM page ppn: its stores must reach the slow path from now on."""
    if not (m.page_flags[ppn] & PF_PT):
        m.page_flags[ppn] |= PF_PT
        m.slow_chunks[ppn] = ~<uint64_t>0
        m.pt_pages[m.npt] = <uint32_t>ppn
        m.npt += 1
        if m.page_flags[ppn] & PF_STORED:
            tlb_drop_store_ppn(m, ppn)

cdef inline Tlb *tlb_of(Hart *h, int priv) noexcept nogil:
    if priv == PRIV_M:
        return &h.mtlb
    if priv == PRIV_S:
        return &h.space.s
    return &h.space.u

cdef inline void update_tlb_pointers(Hart *h) noexcept nogil:
    """itlb follows the privilege; dtlb the effective data privilege (MPRV, 3.1.6.3)."""
    cdef int eff = h.priv
    h.itlb = tlb_of(h, h.priv)
    if h.priv == PRIV_M and (h.mstatus & MSTATUS_MPRV):
        eff = <int>((h.mstatus >> 11) & 3)
    h.dtlb = tlb_of(h, eff)

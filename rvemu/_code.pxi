# The decoded-code cache: each RAM page's slots, the runs decoded into them, and their coherence
# with memory.
#
# Owns:
#   Slots.  A RAM page that is fetched from gets SLOTS_PER_PAGE slots, one per halfword (with C an
#   instruction may start at any halfword), and a sentinel after them (OP_PAGE_END at offset 0x1000)
#   where straight-line execution leaves the page.  Each slot keeps its own pc offset, so the loop
#   keeps no pc while it runs straight.
#
#   Runs.  Decoding happens a run at a time (decode_run): from the slot where execution enters,
#   forward to the first instruction that does not fall through (ends_run), to the page's end, or
#   to a slot decoded before, which the run then flows into.  blen counts the instructions from a
#   slot to its run's end, so the loop charges a whole run against its budget when it enters and
#   gives back what it did not execute when it leaves early.
#
#   Coherence.  Every store, AMO, DMA or page-walk A/D update that overlaps decoded slots empties
#   them, and with them every slot whose run flows into them (their blen would count instructions
#   that are gone): code_write.  A write to a code page that overlaps no slot changes nothing, and
#   costs a few tests.  Store TLBs map a code page only with TAG_SLOW in the tag, which the loop's
#   inline fast path never matches (_tlb.pxi), so every store to a code page comes through store_code or
#   store_one.  When a page's last slot is emptied it stops being a code page (PF_CODE clear) and
#   stores to it go fast again.  The loop leaves its run after anything that may have emptied
#   slots (every such thing is a slow path), so a run is never executed past a change.
#
#   A 4-byte instruction at offset 0xffe crosses into the next page: its slot holds OP_CROSS and
#   the instruction is decoded afresh into Hart.xslot each time it runs (decode_cross), since the
#   next page may change or be remapped without this page knowing.

cdef enum:
    PAUSE_INSN = 0x0100000F     # Zihintpause: fence w,0 - "I am spinning"


cdef inline int ends_run(int op) noexcept nogil:
    """Instructions after which execution does not simply go on to the next one."""
    return (op == OP_JAL or op == OP_JALR or op == OP_BEQ or op == OP_BNE or op == OP_BLT
            or op == OP_BGE or op == OP_BLTU or op == OP_BGEU or op == OP_ECALL
            or op == OP_EBREAK or op == OP_MRET or op == OP_SRET or op == OP_WFI
            or op == OP_ILLEGAL or op == OP_CROSS)

cdef inline int is_atomic(int op) noexcept nogil:
    return (op == OP_LR_W or op == OP_LR_D or op == OP_SC_W or op == OP_SC_D
            or op == OP_AMOSWAP_W or op == OP_AMOSWAP_D or op == OP_AMOADD_W
            or op == OP_AMOADD_D or op == OP_AMOXOR_W or op == OP_AMOXOR_D
            or op == OP_AMOAND_W or op == OP_AMOAND_D or op == OP_AMOOR_W
            or op == OP_AMOOR_D or op == OP_AMOMIN_W or op == OP_AMOMIN_D
            or op == OP_AMOMAX_W or op == OP_AMOMAX_D or op == OP_AMOMINU_W
            or op == OP_AMOMINU_D or op == OP_AMOMAXU_W or op == OP_AMOMAXU_D)

cdef inline int is_csr(int op) noexcept nogil:
    return (op == OP_CSRRW or op == OP_CSRRS or op == OP_CSRRC or op == OP_CSRRWI
            or op == OP_CSRRSI or op == OP_CSRRCI)

cdef inline int is_pure(int op) noexcept nogil:
    """Changes nothing but registers (and pc): ALU, loads, branches, jumps, fence.  A loop of
    such instructions that leaves every register as it found it is spinning."""
    return not (op == OP_SB or op == OP_SH or op == OP_SW or op == OP_SD
                or is_atomic(op) or is_csr(op) or op == OP_FENCE_I or op == OP_PAUSE or op == OP_SFENCE_VMA or op == OP_ECALL
                or op == OP_EBREAK or op == OP_MRET or op == OP_SRET or op == OP_WFI
                or op == OP_ILLEGAL or op == OP_HOST_BREAK or op == OP_CROSS)


# ---- pages of slots ---------------------------------------------------------------------------

cdef Insn *code_page_alloc(Mach *m, uint64_t ppn) noexcept nogil:
    """The slots of RAM page ppn, allocated (empty, with the page-end sentinel) on first use."""
    cdef Insn *code = m.code[ppn]
    if code == NULL:
        code = <Insn*>malloc((SLOTS_PER_PAGE + 1) * sizeof(Insn))
        if code == NULL:
            return NULL
        slots_clear(code, SLOTS_PER_PAGE + 1)
        slot_set_op(&code[SLOTS_PER_PAGE], OP_PAGE_END)
        code[SLOTS_PER_PAGE].off = 0x1000
        m.code[ppn] = code
    return code

cdef void code_claim(Mach *m, uint64_t ppn) noexcept nogil:
    """Page ppn is about to hold decoded slots: from now on no store may bypass code_write."""
    if not (m.page_flags[ppn] & PF_CODE):
        m.page_flags[ppn] |= PF_CODE
        if m.page_flags[ppn] & PF_STORED:
            tlb_drop_store_ppn(m, ppn)

cdef void code_release(Mach *m, uint64_t ppn) noexcept nogil:
    """Page ppn's last slot is gone: it is data again, and its stores may take the fast path."""
    m.page_flags[ppn] &= ~PF_CODE
    m.slow_chunks[ppn] = ~<uint64_t>0 if m.page_flags[ppn] & PF_PT else 0
    tlb_drop_store_ppn(m, ppn)          # entries tagged TAG_SLOW; new ones may be plain

cdef inline void slot_empty(Mach *m, uint64_t ppn, Insn *s) noexcept nogil:
    slots_clear(s, 1)
    m.code_count[ppn] -= 1


# ---- a slot's handler: fn is what the run loop jumps to for the slot (_handlers.pxi) -----------

cdef inline void slot_bind(Insn *s) noexcept nogil:
    """fn for s's op and instruction length, and for a fused pair the length of its second
    instruction (in the slot after s's)."""
    cdef int lens = 2 if s.len == 4 else 0
    if unfused(s.op) and (<Insn*>(<char*>s + s.step)).len == 4:
        lens += 1
    s.fn = <void*>HANDLERS[lens][s.op]

cdef inline void slot_set_op(Insn *s, int op) noexcept nogil:
    s.op = <uint8_t>op
    slot_bind(s)

cdef void slots_clear(Insn *s, int n) noexcept nogil:
    """Empty n slots from s: all zero (op OP_INVALID), and the handler of an empty slot."""
    cdef int i
    memset(s, 0, n * sizeof(Insn))
    for i in range(n):
        s[i].fn = <void*>HANDLERS[0][OP_INVALID]


# ---- decoding runs ----------------------------------------------------------------------------

cdef inline void slot_fill(Insn *s, uint32_t off) noexcept nogil:
    """The fields decode_insn does not set."""
    s.off = <uint16_t>off
    s.step = <int64_t>((s.len >> 1) * sizeof(Insn))
    if s.raw == PAUSE_INSN:
        s.op = OP_PAUSE
    slot_bind(s)

cdef int decode_run(Hart *h, TlbEntry *fe, uint64_t pc) noexcept nogil:
    """Decode the run that starts at pc (its slot is empty) into fe's page, and set blen and
    flags along it."""
    cdef Mach *m = h.m
    cdef Insn *code = fe.code
    cdef Insn *s
    cdef Insn *tail = NULL                  # the decoded slot the run flows into, if any
    cdef uint16_t path[SLOTS_PER_PAGE]
    cdef int n = 0, i, blen, pure
    cdef uint32_t off = pc & 0xfff, lo
    cdef uint64_t base = pc & ~<uint64_t>0xfff
    code_claim(m, fe.ppn)
    while True:
        if off >= 4096:
            tail = &code[SLOTS_PER_PAGE]
            break
        s = &code[off >> 1]
        if s.op != OP_INVALID:
            tail = s
            break
        lo = (<uint16_t*>(fe.addend + base + off))[0]
        m.code_count[fe.ppn] += 1
        # the 64-byte chunks of the instruction's bytes in this page (a stale bit is harmless)
        m.slow_chunks[fe.ppn] |= ((<uint64_t>1 << (off >> 6))
                                  | (<uint64_t>1 << (min(off + 3, 0xfff) >> 6)))
        if m.nbreak and is_breakpoint(m, base + off):
            # a host breakpoint: not an instruction, so not counted (blen 0); runs stop before it
            memset(s, 0, sizeof(Insn))
            s.op = OP_HOST_BREAK
            s.raw = lo
            s.len = 2 if (lo & 3) != 3 else 4
            slot_fill(s, off)
            tail = s
            break
        if (lo & 3) == 3 and off == 0xffe:
            memset(s, 0, sizeof(Insn))
            s.op = OP_CROSS
            s.len = 4
            slot_fill(s, off)
        else:
            decode_insn((<uint32_t*>(fe.addend + base + off))[0] if (lo & 3) == 3 else lo, s)
            slot_fill(s, off)
        path[n] = <uint16_t>(off >> 1)
        n += 1
        if ends_run(s.op):
            break
        off += s.len
    # blen and flags, from the run's end backwards
    blen = tail.blen if tail != NULL else 0
    pure = (tail.flags & IF_PURE) if tail != NULL else IF_PURE
    for i in range(n - 1, -1, -1):
        s = &code[path[i]]
        if i == n - 1 and tail == NULL:
            s.blen = 1
            s.flags = IF_PURE if is_pure(s.op) else 0
        else:
            s.blen = <uint16_t>(1 + blen)
            s.flags = IF_CONT | (pure if is_pure(s.op) else 0)
        s.flags |= near_target(s) | plain_csr_read(s) | sie_toggle(s)
        blen = s.blen
        pure = s.flags & IF_PURE
    fuse_pairs(code, path, n)
    if m.nharts > 1 and n:
        mark_spin_loop(code, &code[path[0]])
    return ST_OK

cdef inline uint8_t addi_then(int branch) noexcept nogil:
    """The fused operation for an addi followed by branch, or 0."""
    if branch == OP_BEQ:
        return OP_ADDI_BEQ
    if branch == OP_BNE:
        return OP_ADDI_BNE
    if branch == OP_BLT:
        return OP_ADDI_BLT
    if branch == OP_BGE:
        return OP_ADDI_BGE
    if branch == OP_BLTU:
        return OP_ADDI_BLTU
    if branch == OP_BGEU:
        return OP_ADDI_BGEU
    return 0

cdef inline uint8_t then_addi(int op) noexcept nogil:
    """The fused operation for a load or store followed by an addi (a pointer's or a counter's
    step after the access), or 0."""
    if op == OP_LW:
        return OP_LW_ADDI
    if op == OP_LD:
        return OP_LD_ADDI
    if op == OP_LBU:
        return OP_LBU_ADDI
    if op == OP_SB:
        return OP_SB_ADDI
    if op == OP_SW:
        return OP_SW_ADDI
    if op == OP_SD:
        return OP_SD_ADDI
    return 0

cdef inline uint8_t add_then(int op) noexcept nogil:
    """The fused operation for an add followed by a load (an indexed load: base plus index,
    then the load from the sum), or 0."""
    if op == OP_LW:
        return OP_ADD_LW
    if op == OP_LD:
        return OP_ADD_LD
    if op == OP_LBU:
        return OP_ADD_LBU
    return 0

cdef inline uint8_t unfused(int op) noexcept nogil:
    """The first instruction's own operation of a fused pair (0: op is not fused)."""
    if (op == OP_ADDI_BEQ or op == OP_ADDI_BNE or op == OP_ADDI_BLT or op == OP_ADDI_BGE
            or op == OP_ADDI_BLTU or op == OP_ADDI_BGEU):
        return OP_ADDI
    if op == OP_LW_ADDI:
        return OP_LW
    if op == OP_LD_ADDI:
        return OP_LD
    if op == OP_LBU_ADDI:
        return OP_LBU
    if op == OP_SB_ADDI:
        return OP_SB
    if op == OP_SW_ADDI:
        return OP_SW
    if op == OP_SD_ADDI:
        return OP_SD
    if op == OP_ADD_LW or op == OP_ADD_LD or op == OP_ADD_LBU:
        return OP_ADD
    if op == OP_LD_LD:
        return OP_LD
    if op == OP_SD_SD:
        return OP_SD
    return 0

cdef inline uint8_t access_pair(int op, int next_op) noexcept nogil:
    """The fused operation for two loads or two stores of doublewords in a row (a function's
    prologue and epilogue, a trap frame), or 0."""
    if op == OP_LD and next_op == OP_LD:
        return OP_LD_LD
    if op == OP_SD and next_op == OP_SD:
        return OP_SD_SD
    return 0

cdef void fuse_pairs(Insn *code, uint16_t *path, int n) noexcept nogil:
    """Two instructions in a row of the run become one operation, so the loop executes both
    without a second dispatch: an addi followed by a conditional branch (a loop's step and test),
    a load or store followed by an addi (a pointer's step), an add followed by a load (an
    indexed load), and two ld or two sd (registers restored or saved).  Only the first one's
    slot changes; the second's stays itself (a branch target, the first of a pair of its own, or
    where an early stop splits the pair: the run loop then lets the first run alone, and a load
    or store that takes its slow half continues at the second).  Emptying the second's slot
    empties the first's, as it empties every slot whose run flows into it."""
    cdef int i
    cdef uint8_t f
    cdef Insn *s
    for i in range(n - 1):
        s = &code[path[i]]
        if s.op == OP_ADDI:
            f = addi_then(code[path[i + 1]].op)
        elif s.op == OP_ADD:
            f = add_then(code[path[i + 1]].op)
        elif code[path[i + 1]].op == OP_ADDI:
            f = then_addi(s.op)
        else:
            f = access_pair(s.op, code[path[i + 1]].op)
        if f:
            slot_set_op(s, f)

cdef inline int plain_csr_read(Insn *s) noexcept nogil:
    """IF_CSRR for csrr of a trap-handling CSR (what a kernel reads on every trap and spinlock).
    Not the counters, time or xip: those depend on the hart's published counts or clock."""
    cdef int csr = s.imm & 0xfff
    if s.op != OP_CSRRS or s.rs1 != 0:
        return 0
    if (csr == CSR_SSTATUS or csr == CSR_SIE or csr == CSR_STVEC or csr == CSR_SSCRATCH
            or csr == CSR_SEPC or csr == CSR_SCAUSE or csr == CSR_STVAL or csr == CSR_SATP
            or csr == CSR_MSTATUS or csr == CSR_MEDELEG or csr == CSR_MIDELEG or csr == CSR_MIE
            or csr == CSR_MTVEC or csr == CSR_MSCRATCH or csr == CSR_MEPC or csr == CSR_MCAUSE
            or csr == CSR_MTVAL or csr == CSR_MHARTID):
        return IF_CSRR
    return 0

cdef inline int sie_toggle(Insn *s) noexcept nogil:
    """IF_SIE for csrs/csrc/csrsi/csrci of sstatus with rd = x0: what a kernel's spinlocks do to
    turn interrupts off and on (xv6's intr_off/intr_on, Linux's local_irq_disable/enable)."""
    if (s.imm & 0xfff) != CSR_SSTATUS or s.rd != 32:
        return 0
    if s.op == OP_CSRRSI or s.op == OP_CSRRCI or ((s.op == OP_CSRRS or s.op == OP_CSRRC)
                                                  and s.rs1 != 0):
        return IF_SIE
    return 0

cdef inline int near_target(Insn *s) noexcept nogil:
    """IF_NEAR | IF_INLINE for a branch or jal whose target lies in the same page (tgt is then
    set)."""
    cdef int64_t t
    if not (s.op == OP_JAL or s.op == OP_BEQ or s.op == OP_BNE or s.op == OP_BLT
            or s.op == OP_BGE or s.op == OP_BLTU or s.op == OP_BGEU):
        return 0
    t = <int64_t>s.off + s.imm
    if t < 0 or t >= 4096:
        return 0
    s.tgt = <int32_t>((s.imm >> 1) * <int32_t>sizeof(Insn))
    return IF_NEAR | IF_INLINE

cdef void mark_spin_loop(Insn *code, Insn *entry) noexcept nogil:
    """IF_SPIN (and no IF_INLINE) on the branch that closes a pure loop: it ends a pure run and
    goes back to the run's start.  One trip around such a loop changes nothing but registers (and
    it watches memory that others may change).  Checks the run entered at entry, and the run
    that the branch ending entry's run goes back to (a loop whose start was decoded earlier).
    The flag outlives a later change of the loop's start: leaves_run and spin_trip check again."""
    cdef Insn *b = run_end(entry)
    cdef Insn *t
    if not (b.flags & IF_NEAR):
        return
    t = <Insn*>(<char*>b + b.tgt)
    if t.op != OP_INVALID and (t.flags & IF_PURE) and run_end(t) == b:
        b.flags = (b.flags | IF_SPIN) & ~IF_INLINE

cdef inline Insn *run_end(Insn *s) noexcept nogil:
    """The last slot of the run s is in."""
    while s.flags & IF_CONT:
        s = <Insn*>(<char*>s + s.step)
    return s

cdef int decode_cross(Hart *h, TlbEntry *fe, uint64_t pc) noexcept nogil:
    """Decode the 4-byte instruction at pc (page offset 0xffe) into h.xslot, with its second
    half from the next page (whose fetch faults are raised here, tval = pc + 2)."""
    cdef TlbEntry *e2
    cdef uint32_t lo, hi
    cdef int st
    cdef Insn *s = &h.xslot[0]
    lo = (<uint16_t*>(fe.addend + pc))[0]
    st = fetch_page(h, pc + 2, &e2)
    if st:
        return st
    hi = (<uint16_t*>(e2.addend + pc + 2))[0]
    decode_insn(lo | (hi << 16), s)
    slot_fill(s, 0xffe)
    s.blen = 1
    s.flags = 0
    slots_clear(&h.xslot[1], 2)
    slot_set_op(&h.xslot[2], OP_PAGE_END)
    h.xslot[2].off = 0x1002
    return ST_OK


# ---- coherence ----------------------------------------------------------------------------------

cdef inline int code_overlaps(Insn *code, uint64_t off, uint64_t size) noexcept nogil:
    """Some decoded slot of the page decodes a byte of [off, off + size): one starting in it, or
    a 4-byte one starting just before it."""
    cdef uint64_t j = off >> 1, last = (off + size - 1) >> 1
    if j > 0 and code[j - 1].len == 4:
        return 1
    while j <= last:
        if code[j].op != OP_INVALID:
            return 1
        j += 1
    return 0

cdef inline int slot_flows_on(Insn *s) noexcept nogil:
    return s.op != OP_INVALID and (s.flags & IF_CONT)

cdef int code_write(Mach *m, uint64_t ppn, uint64_t off, uint64_t size) noexcept nogil:
    """Bytes [off, off + size) of RAM page ppn change (size >= 1, inside the page).  Empty the slots
    that decode them and every slot whose run flows into those.  1 if any slot was emptied."""
    cdef Insn *code
    cdef int lo, hi, j
    if not (m.page_flags[ppn] & PF_CODE):
        return 0
    code = m.code[ppn]
    if size >= 4096:
        code_invalidate(m, ppn)
        return 1
    if not code_overlaps(code, off, size):
        return 0
    lo = <int>(off >> 1)
    hi = <int>((off + size - 1) >> 1)
    if lo > 0 and code[lo - 1].len == 4:    # a 4-byte instruction covering halfword lo
        lo -= 1
    for j in range(lo, hi + 1):
        if code[j].op != OP_INVALID:
            slot_empty(m, ppn, &code[j])
    m.code_gen += 1
    # Runs that flow into [lo, hi] cover halfword lo - 1, with an instruction there or with a
    # 4-byte one just before it; walk down while that holds.
    j = lo - 1
    while j >= 0:
        if slot_flows_on(&code[j]):
            slot_empty(m, ppn, &code[j])
        elif not (j >= 1 and code[j - 1].len == 4 and slot_flows_on(&code[j - 1])):
            break
        j -= 1
    if m.code_count[ppn] == 0:
        code_release(m, ppn)
    return 1

cdef void code_invalidate(Mach *m, uint64_t ppn) noexcept nogil:
    """Empty all of page ppn's slots."""
    if m.page_flags[ppn] & PF_CODE:
        slots_clear(m.code[ppn], SLOTS_PER_PAGE)
        m.code_count[ppn] = 0
        m.code_gen += 1
        code_release(m, ppn)

cdef void code_invalidate_all(Mach *m) noexcept nogil:
    cdef uint64_t p
    for p in range(m.ram_pages):
        code_invalidate(m, p)

cdef int phys_invalidate_range(Mach *m, uint64_t pa, uint64_t size) noexcept nogil:
    """RAM [pa, pa + size) was written by the host or a device: keep decoded code coherent, and
    note a page-table write (_tlb.pxi).  1 if any slot was emptied."""
    cdef uint64_t rel = pa - m.ram_base, end = rel + size, p, lo, hi
    cdef int changed = 0
    if size == 0:
        return 0
    p = rel >> 12
    while p < m.ram_pages and (p << 12) < end:
        lo = rel if rel > (p << 12) else (p << 12)
        hi = end if end < ((p + 1) << 12) else ((p + 1) << 12)
        if m.page_flags[p] & PF_CODE:
            changed |= code_write(m, p, lo & 0xfff, hi - lo)
        if m.page_flags[p] & PF_PT:
            m.pt_dirty = 1
        p += 1
    return changed


# ---- host breakpoints: decoded as OP_HOST_BREAK, so they cost nothing when absent ------------

cdef inline int is_breakpoint(Mach *m, uint64_t pc) noexcept nogil:
    cdef int i
    for i in range(m.nbreak):
        if m.breakpoints[i] == pc:
            return 1
    return 0

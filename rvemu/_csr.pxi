# Control and status registers: access rules, WARL masks and side effects.
#
# Owns: csr_read/csr_write for every CSR in csrdefs.py (privileged spec chapter 2 for the address
# rules, 3.1 and 4.1 for each register), and hart time (Sstc and the counters).  A CSR that does not
# exist, a write to a read-only CSR, or too low a privilege is an illegal-instruction exception;
# the caller raises it.  csr_write reports whether translation or interrupt state may have changed.

cdef extern from *:
    """
    #define RV_MISA ((2ULL << 62) | (1ULL << 0) | (1ULL << 2) | (1ULL << 8) | (1ULL << 12) \\
                     | (1ULL << 18) | (1ULL << 20))
    #define RV_SSTATUS_RMASK (RV_MSTATUS_SIE | RV_MSTATUS_SPIE | RV_MSTATUS_UBE | RV_MSTATUS_SPP \\
        | RV_MSTATUS_VS | RV_MSTATUS_FS | RV_MSTATUS_XS | RV_MSTATUS_SUM | RV_MSTATUS_MXR \\
        | RV_MSTATUS_UXL | RV_MSTATUS_SD)
    #define RV_SSTATUS_WMASK (RV_MSTATUS_SIE | RV_MSTATUS_SPIE | RV_MSTATUS_SPP | RV_MSTATUS_SUM \\
        | RV_MSTATUS_MXR)
    #define RV_MSTATUS_WMASK (RV_SSTATUS_WMASK | RV_MSTATUS_MIE | RV_MSTATUS_MPIE | RV_MSTATUS_MPP \\
        | RV_MSTATUS_MPRV | RV_MSTATUS_TVM | RV_MSTATUS_TW | RV_MSTATUS_TSR)
    #define RV_MSTATUS_FIXED ((2ULL << 32) | (2ULL << 34))
    #define RV_IRQ_MASK (RV_MIP_SSIP | RV_MIP_MSIP | RV_MIP_STIP | RV_MIP_MTIP | RV_MIP_SEIP \\
        | RV_MIP_MEIP)
    #define RV_SIRQ_MASK (RV_MIP_SSIP | RV_MIP_STIP | RV_MIP_SEIP)
    #define RV_MEDELEG_MASK 0xb3ffULL
    #define RV_VCLOCK_MAX (1ULL << 62)
    """
    const uint64_t MISA_VALUE "RV_MISA"
    const uint64_t SSTATUS_RMASK "RV_SSTATUS_RMASK"
    const uint64_t SSTATUS_WMASK "RV_SSTATUS_WMASK"
    const uint64_t MSTATUS_WMASK "RV_MSTATUS_WMASK"
    const uint64_t MSTATUS_FIXED "RV_MSTATUS_FIXED"
    const uint64_t IRQ_MASK "RV_IRQ_MASK"
    const uint64_t SIRQ_MASK "RV_SIRQ_MASK"
    const uint64_t MEDELEG_MASK "RV_MEDELEG_MASK"
    # The horizon of a hart's clock (instructions): fast-forwarding never moves it past this, so
    # a timer deadline further away than that (centuries of guest time) counts as never, and
    # clock arithmetic cannot overflow.  mtime itself is a plain 64-bit counter that wraps.
    const uint64_t VCLOCK_MAX "RV_VCLOCK_MAX"

cdef enum:
    CSR_OK = 0
    CSR_ILLEGAL = 1
    # csr_write results
    CSR_CHANGED_NONE = 0
    CSR_CHANGED_STATE = 2       # interrupts or translation may differ: leave the block


cdef inline uint64_t hart_time(Hart *h) noexcept nogil:
    # mtime as this hart sees it: a 64-bit counter that wraps (unsigned arithmetic)
    return h.vclock / h.m.ipt + h.m.time_offset

cdef inline uint64_t hart_mip(Hart *h) noexcept nogil:
    return h.mip | h.mip_hw

cdef void update_timer_lines(Hart *h) noexcept nogil:
    """MTIP follows mtime >= mtimecmp; with Sstc enabled, STIP follows time >= stimecmp."""
    cdef uint64_t t = hart_time(h)
    if t >= h.mtimecmp:
        h.mip_hw |= MIP_MTIP
    else:
        h.mip_hw &= ~MIP_MTIP
    if (h.menvcfg & MENVCFG_STCE) and t >= h.stimecmp:
        h.mip_hw |= MIP_STIP
    else:
        h.mip_hw &= ~MIP_STIP

cdef void set_hart_time(Hart *h, uint64_t t) noexcept nogil:
    """A store to mtime by hart h: from now on every hart's time counts on from t (the clocks in
    instructions are not touched; only the offset of time from them moves)."""
    cdef int i
    h.m.time_offset = t - h.vclock / h.m.ipt
    for i in range(h.m.nharts):
        update_timer_lines(&h.m.harts[i])

cdef uint64_t next_timer_deadline(Hart *h) noexcept nogil:
    """Instructions of this hart's clock until a timer line would rise, or ~0 for never (no
    comparator ahead of time, or the deadline lies past the clock's horizon VCLOCK_MAX)."""
    cdef uint64_t t = hart_time(h), ticks = <uint64_t>-1, ipt = h.m.ipt
    if h.mtimecmp > t:
        ticks = h.mtimecmp - t
    if (h.menvcfg & MENVCFG_STCE) and h.stimecmp > t and h.stimecmp - t < ticks:
        ticks = h.stimecmp - t
    if h.vclock >= VCLOCK_MAX or ticks > (VCLOCK_MAX - h.vclock) / ipt:
        return <uint64_t>-1
    return (h.vclock / ipt + ticks) * ipt - h.vclock     # > 0, and vclock + it <= VCLOCK_MAX


cdef void advance_clock(Hart *h, uint64_t target) noexcept nogil:
    """Move a hart's clock forward to target (a waiting hart keeping time with the others), but
    not past a timer deadline on the way when time wraps at 2^64 before target: the line would
    have risen and fallen again unseen, so the clock stops where it rises."""
    cdef uint64_t d, ipt = h.m.ipt
    if target <= h.vclock:
        return
    d = next_timer_deadline(h)
    if d < target - h.vclock and target / ipt + h.m.time_offset < hart_time(h):
        target = h.vclock + d
    h.vclock = target
    update_timer_lines(h)


cdef int counter_allowed(Hart *h, int bit) noexcept nogil:
    """cycle/time/instret/hpmcounter access from S and U (mcounteren, scounteren; 3.1.11)."""
    if h.priv == PRIV_M:
        return 1
    if not ((h.mcounteren >> bit) & 1):
        return 0
    if h.priv == PRIV_U and not ((h.scounteren >> bit) & 1):
        return 0
    return 1

cdef inline int stimecmp_allowed(Hart *h) noexcept nogil:
    # Sstc: below M, needs mcounteren.TM and menvcfg.STCE
    if h.priv == PRIV_M:
        return 1
    return (h.mcounteren & 2) != 0 and (h.menvcfg & MENVCFG_STCE) != 0


cdef int csr_read(Hart *h, int csr, uint64_t *out) noexcept nogil:
    if ((csr >> 8) & 3) > h.priv:
        return CSR_ILLEGAL
    if csr == CSR_SSTATUS:
        out[0] = (h.mstatus | MSTATUS_FIXED) & SSTATUS_RMASK
    elif csr == CSR_SIE:
        out[0] = h.mie & h.mideleg
    elif csr == CSR_SIP:
        update_timer_lines(h)                   # time may have wrapped below a comparator
        out[0] = hart_mip(h) & h.mideleg
    elif csr == CSR_STVEC:
        out[0] = h.stvec
    elif csr == CSR_SCOUNTEREN:
        out[0] = h.scounteren
    elif csr == CSR_SENVCFG:
        out[0] = h.senvcfg
    elif csr == CSR_SSCRATCH:
        out[0] = h.sscratch
    elif csr == CSR_SEPC:
        out[0] = h.sepc
    elif csr == CSR_SCAUSE:
        out[0] = h.scause
    elif csr == CSR_STVAL:
        out[0] = h.stval
    elif csr == CSR_STIMECMP:
        if not stimecmp_allowed(h):
            return CSR_ILLEGAL
        out[0] = h.stimecmp
    elif csr == CSR_SATP:
        if h.priv == PRIV_S and (h.mstatus & MSTATUS_TVM):
            return CSR_ILLEGAL
        out[0] = h.satp
    elif csr == CSR_MSTATUS:
        out[0] = h.mstatus | MSTATUS_FIXED
    elif csr == CSR_MISA:
        out[0] = MISA_VALUE
    elif csr == CSR_MEDELEG:
        out[0] = h.medeleg
    elif csr == CSR_MIDELEG:
        out[0] = h.mideleg
    elif csr == CSR_MIE:
        out[0] = h.mie
    elif csr == CSR_MIP:
        update_timer_lines(h)
        out[0] = hart_mip(h)
    elif csr == CSR_MTVEC:
        out[0] = h.mtvec
    elif csr == CSR_MCOUNTEREN:
        out[0] = h.mcounteren
    elif csr == CSR_MENVCFG:
        out[0] = h.menvcfg
    elif csr == CSR_MCOUNTINHIBIT:
        out[0] = h.mcountinhibit
    elif csr == CSR_MSCRATCH:
        out[0] = h.mscratch
    elif csr == CSR_MEPC:
        out[0] = h.mepc
    elif csr == CSR_MCAUSE:
        out[0] = h.mcause
    elif csr == CSR_MTVAL:
        out[0] = h.mtval
    elif csr == CSR_MVENDORID or csr == CSR_MARCHID or csr == CSR_MIMPID or csr == CSR_MCONFIGPTR:
        out[0] = 0
    elif csr == CSR_MHARTID:
        out[0] = h.hartid
    elif csr == CSR_MCYCLE:
        out[0] = h.instret + h.cycle_delta
    elif csr == CSR_MINSTRET:
        out[0] = h.instret + h.instret_delta
    else:
        return csr_read_range(h, csr, out)
    return CSR_OK


cdef int csr_read_range(Hart *h, int csr, uint64_t *out) noexcept nogil:
    """csr_read for the CSRs numbered in ranges (counters, PMP)."""
    if CSR_MHPMCOUNTER3 <= csr <= CSR_MHPMCOUNTER31 or CSR_MHPMEVENT3 <= csr <= CSR_MHPMEVENT31:
        out[0] = 0
    elif csr >= CSR_PMPCFG0 and csr <= CSR_PMPCFG14:
        if csr & 1:
            return CSR_ILLEGAL
        out[0] = h.pmpcfg[(csr - CSR_PMPCFG0) >> 1]
    elif csr >= CSR_PMPADDR0 and csr <= CSR_PMPADDR63:
        out[0] = h.pmpaddr[csr - CSR_PMPADDR0]
    elif csr >= CSR_TSELECT and csr <= CSR_TINFO:
        # Sdtrig with no triggers (debug spec 5.7): tselect stays 0 whatever is written, so a
        # debugger or kernel that reads back what it wrote sees there is no trigger there;
        # tdata1.type reads 0 ("no trigger at this tselect"); tinfo reads 1 (type 0 only)
        out[0] = 1 if csr == CSR_TINFO else 0
    elif csr >= CSR_CYCLE and csr <= CSR_HPMCOUNTER31:
        if not counter_allowed(h, csr - CSR_CYCLE):
            return CSR_ILLEGAL
        if csr == CSR_CYCLE:
            out[0] = h.instret + h.cycle_delta
        elif csr == CSR_TIME:
            out[0] = hart_time(h)
        elif csr == CSR_INSTRET:
            out[0] = h.instret + h.instret_delta
        else:
            out[0] = 0
    else:
        return CSR_ILLEGAL
    return CSR_OK


cdef inline uint64_t warl_tvec(uint64_t old, uint64_t v) noexcept nogil:
    # modes 0 (direct) and 1 (vectored) only; a reserved mode keeps the old one
    if (v & 3) >= 2:
        return (v & ~<uint64_t>3) | (old & 3)
    return v


cdef int set_mstatus(Hart *h, uint64_t v) noexcept nogil:
    """Write mstatus.  CSR_CHANGED_STATE when the run loop must leave its block: an interrupt
    enable went up (one may be deliverable now), or data translation changed (MPRV, MPP, SUM,
    MXR).  Clearing SIE or MIE, as every spinlock does, lets the run go on."""
    cdef uint64_t old = h.mstatus
    if ((v >> 11) & 3) == 2:                    # MPP: 2 is not a privilege here, keep the old
        v = (v & ~MSTATUS_MPP) | (old & MSTATUS_MPP)
    h.mstatus = (old & ~MSTATUS_WMASK) | (v & MSTATUS_WMASK)
    if (old ^ h.mstatus) & (MSTATUS_SUM | MSTATUS_MXR):
        tlb_flush_translated(h)
    update_tlb_pointers(h)
    if ((h.mstatus & ~old) & (MSTATUS_SIE | MSTATUS_MIE)
            or (old ^ h.mstatus) & (MSTATUS_MPRV | MSTATUS_MPP | MSTATUS_SUM | MSTATUS_MXR)):
        return CSR_CHANGED_STATE
    return CSR_CHANGED_NONE


cdef inline int sie_clear(Hart *h, uint64_t v) noexcept nogil:
    """csrc sstatus, v (rd = x0; IF_SIE) done by the run loop: 1 if done, 0 to take the general
    path.  Done when v holds no bit but SIE and the hart may write sstatus (S or M): then clearing
    is all set_mstatus would do (no translation change, and no interrupt becomes deliverable)."""
    if h.priv >= PRIV_S and (v & ~MSTATUS_SIE) == 0:
        h.mstatus &= ~v
        return 1
    return 0

cdef inline int sie_set(Hart *h, uint64_t v) noexcept nogil:
    """csrs sstatus, v (rd = x0; IF_SIE) done by the run loop: as sie_clear, and only when the
    block need not end for it: SIE was already set, or no interrupt is both pending and enabled
    (mip & mie), so none becomes deliverable.  mip cannot change inside a block: timer lines
    change at deadlines (which end blocks), devices and other harts act between blocks."""
    if (h.priv >= PRIV_S and (v & ~MSTATUS_SIE) == 0
            and ((h.mstatus & MSTATUS_SIE) or (hart_mip(h) & h.mie) == 0)):
        h.mstatus |= v
        return 1
    return 0


cdef int csr_write(Hart *h, int csr, uint64_t v) noexcept nogil:
    """Write v (the value after csrrs/csrrc arithmetic) from an instruction, which h.instret
    does not count yet.  Returns CSR_ILLEGAL or CSR_CHANGED_*.

    mcycle/minstret: the written value is what the next instruction reads; the writing
    instruction's own increment does not happen on top of it (privileged spec 3.1.11: "Any CSR
    write takes effect after the writing instruction has otherwise completed"; Spike does the
    same).  The run loop counts the instruction after this returns, so the delta is one less."""
    cdef uint64_t mask
    if ((csr >> 8) & 3) > h.priv or ((csr >> 10) & 3) == 3:
        return CSR_ILLEGAL
    if csr == CSR_SSTATUS:
        return set_mstatus(h, (h.mstatus & ~SSTATUS_WMASK) | (v & SSTATUS_WMASK))
    elif csr == CSR_SIE:
        mask = h.mie
        h.mie = (h.mie & ~h.mideleg) | (v & h.mideleg & IRQ_MASK)
        return CSR_CHANGED_STATE if h.mie & ~mask else CSR_CHANGED_NONE   # an enable went up
    elif csr == CSR_SIP:
        mask = MIP_SSIP & h.mideleg
        h.mip = (h.mip & ~mask) | (v & mask)
        return CSR_CHANGED_STATE
    elif csr == CSR_STVEC:
        h.stvec = warl_tvec(h.stvec, v)
    elif csr == CSR_SCOUNTEREN:
        h.scounteren = v & 0xffffffffU
    elif csr == CSR_SENVCFG:
        h.senvcfg = v & MENVCFG_FIOM
    elif csr == CSR_SSCRATCH:
        h.sscratch = v
    elif csr == CSR_SEPC:
        h.sepc = v & ~<uint64_t>1
    elif csr == CSR_SCAUSE:
        h.scause = v
    elif csr == CSR_STVAL:
        h.stval = v
    elif csr == CSR_STIMECMP:
        if not stimecmp_allowed(h):
            return CSR_ILLEGAL
        h.stimecmp = v
        update_timer_lines(h)
        return CSR_CHANGED_STATE
    elif csr == CSR_SATP:
        if h.priv == PRIV_S and (h.mstatus & MSTATUS_TVM):
            return CSR_ILLEGAL
        if (v >> 60) != 0 and (v >> 60) != 8:
            return CSR_CHANGED_NONE             # unsupported MODE: the write has no effect
        h.satp = v & ((<uint64_t>0xf << 60) | (<uint64_t>0xffff << 44) | 0xfffffffffffULL)
        tlb_switch(h)
        return CSR_CHANGED_STATE
    elif csr == CSR_MSTATUS:
        return set_mstatus(h, v)
    elif csr == CSR_MISA:
        pass                                    # WARL: this hart's extensions are fixed
    elif csr == CSR_MEDELEG:
        h.medeleg = v & MEDELEG_MASK
    elif csr == CSR_MIDELEG:
        h.mideleg = v & SIRQ_MASK
        return CSR_CHANGED_STATE
    elif csr == CSR_MIE:
        mask = h.mie
        h.mie = v & IRQ_MASK
        return CSR_CHANGED_STATE if h.mie & ~mask else CSR_CHANGED_NONE
    elif csr == CSR_MIP:
        mask = MIP_SSIP | MIP_SEIP
        if not (h.menvcfg & MENVCFG_STCE):
            mask |= MIP_STIP
        h.mip = (h.mip & ~mask) | (v & mask)
        return CSR_CHANGED_STATE
    elif csr == CSR_MTVEC:
        h.mtvec = warl_tvec(h.mtvec, v)
    elif csr == CSR_MCOUNTEREN:
        h.mcounteren = v & 0xffffffffU
    elif csr == CSR_MENVCFG:
        h.menvcfg = v & (MENVCFG_FIOM | MENVCFG_STCE)
        if h.menvcfg & MENVCFG_STCE:
            h.mip &= ~MIP_STIP          # STIP now only mirrors stimecmp (Sstc)
        update_timer_lines(h)
        return CSR_CHANGED_STATE
    elif csr == CSR_MCOUNTINHIBIT:
        pass            # hardwired zero (WARL): the counters always count
    elif csr == CSR_MSCRATCH:
        h.mscratch = v
    elif csr == CSR_MEPC:
        h.mepc = v & ~<uint64_t>1
    elif csr == CSR_MCAUSE:
        h.mcause = v
    elif csr == CSR_MTVAL:
        h.mtval = v
    elif csr == CSR_MCYCLE:
        h.cycle_delta = v - h.instret - 1       # the writing instruction's own count: below
    elif csr == CSR_MINSTRET:
        h.instret_delta = v - h.instret - 1
    else:
        return csr_write_range(h, csr, v)
    return CSR_CHANGED_NONE


cdef int csr_write_range(Hart *h, int csr, uint64_t v) noexcept nogil:
    """csr_write for the CSRs numbered in ranges (counters, PMP)."""
    cdef int idx, j
    cdef uint64_t old
    if CSR_MHPMCOUNTER3 <= csr <= CSR_MHPMCOUNTER31 or CSR_MHPMEVENT3 <= csr <= CSR_MHPMEVENT31:
        pass                                    # no events: the counters stay zero (WARL)
    elif csr >= CSR_TSELECT and csr <= CSR_TINFO:
        pass                                    # no triggers: nothing to select or program
    elif csr >= CSR_PMPCFG0 and csr <= CSR_PMPCFG14:
        if csr & 1:
            return CSR_ILLEGAL
        # a locked entry (L, bit 7) keeps its byte; bits 6:5 are reserved zero
        idx = (csr - CSR_PMPCFG0) >> 1
        old = h.pmpcfg[idx]
        for j in range(8):
            if not ((old >> (8 * j + 7)) & 1):
                old = (old & ~(<uint64_t>0xff << (8 * j))) | (v & (<uint64_t>0x9f << (8 * j)))
        h.pmpcfg[idx] = old
    elif csr >= CSR_PMPADDR0 and csr <= CSR_PMPADDR63:
        idx = csr - CSR_PMPADDR0
        if not ((h.pmpcfg[idx >> 3] >> (8 * (idx & 7) + 7)) & 1):
            h.pmpaddr[idx] = v & 0x3fffffffffffffULL
    else:
        return CSR_ILLEGAL
    return CSR_CHANGED_NONE


cdef int csr_write_host(Hart *h, int csr, uint64_t v) noexcept nogil:
    """csr_write from the host (a debugger): no instruction retires after it, so mcycle and
    minstret read back v exactly."""
    cdef int r = csr_write(h, csr, v)
    if csr == CSR_MCYCLE:
        h.cycle_delta += 1
    elif csr == CSR_MINSTRET:
        h.instret_delta += 1
    return r

# Traps: exception and interrupt entry, mret/sret, and which interrupt is taken.
#
# Owns: the trap entry rules of the privileged spec 3.1.6.1/3.1.7/3.1.9/4.1.1 (delegation through
# medeleg/mideleg, xEPC/xCAUSE/xTVAL, xPP/xPIE/xIE, vectored xtvec for interrupts), the trap
# return rules (3.3.2), and the interrupt priority order MEI, MSI, MTI, SEI, SSI, STI.

cdef inline void set_priv(Hart *h, int priv) noexcept nogil:
    h.priv = priv
    update_tlb_pointers(h)


cdef void take_trap(Hart *h, uint64_t cause, uint64_t tval, uint64_t epc) noexcept nogil:
    """Enter the trap handler for cause (bit 63 set for interrupts) raised at epc."""
    cdef uint64_t code = cause & 63
    cdef int interrupt = <int>(cause >> 63)
    cdef uint64_t deleg = h.mideleg if interrupt else h.medeleg
    cdef uint64_t s = h.mstatus, base
    if interrupt:
        h.interrupts[code & 15] += 1
    else:
        h.exceptions[code & 15] += 1
    if h.priv <= PRIV_S and ((deleg >> code) & 1):
        h.scause = cause
        h.sepc = epc
        h.stval = tval
        s = (s & ~MSTATUS_SPP) | (<uint64_t>h.priv << 8)
        s = (s & ~MSTATUS_SPIE) | ((s & MSTATUS_SIE) << 4)
        h.mstatus = s & ~MSTATUS_SIE
        base = h.stvec
        set_priv(h, PRIV_S)
    else:
        h.mcause = cause
        h.mepc = epc
        h.mtval = tval
        s = (s & ~MSTATUS_MPP) | (<uint64_t>h.priv << 11)
        s = (s & ~MSTATUS_MPIE) | ((s & MSTATUS_MIE) << 4)
        h.mstatus = s & ~MSTATUS_MIE
        base = h.mtvec
        set_priv(h, PRIV_M)
    h.pc = base & ~<uint64_t>3
    if interrupt and (base & 1):
        h.pc += 4 * code


cdef void do_mret(Hart *h) noexcept nogil:
    cdef uint64_t s = h.mstatus
    cdef int mpp = <int>((s >> 11) & 3)
    s = (s & ~MSTATUS_MIE) | ((s & MSTATUS_MPIE) >> 4)
    s |= MSTATUS_MPIE
    s &= ~MSTATUS_MPP                           # MPP = U, the least-privileged mode
    if mpp != PRIV_M:
        s &= ~MSTATUS_MPRV
    h.mstatus = s
    h.pc = h.mepc
    set_priv(h, mpp)


cdef void do_sret(Hart *h) noexcept nogil:
    cdef uint64_t s = h.mstatus
    cdef int spp = <int>((s >> 8) & 1)
    s = (s & ~MSTATUS_SIE) | ((s & MSTATUS_SPIE) >> 4)
    s |= MSTATUS_SPIE
    s &= ~(MSTATUS_SPP | MSTATUS_MPRV)
    h.mstatus = s
    h.pc = h.sepc
    set_priv(h, spp)


cdef int pending_interrupt(Hart *h) noexcept nogil:
    """The interrupt to take now (its cause number), or -1 (3.1.9)."""
    cdef uint64_t pending = hart_mip(h) & h.mie
    cdef uint64_t mlevel, slevel, chosen
    if pending == 0:
        return -1
    mlevel = pending & ~h.mideleg
    if not (h.priv < PRIV_M or (h.mstatus & MSTATUS_MIE)):
        mlevel = 0
    slevel = pending & h.mideleg
    if not (h.priv < PRIV_S or (h.priv == PRIV_S and (h.mstatus & MSTATUS_SIE))):
        slevel = 0
    chosen = mlevel if mlevel else slevel
    if chosen == 0:
        return -1
    if chosen & MIP_MEIP:
        return IRQ_MEI
    if chosen & MIP_MSIP:
        return IRQ_MSI
    if chosen & MIP_MTIP:
        return IRQ_MTI
    if chosen & MIP_SEIP:
        return IRQ_SEI
    if chosen & MIP_SSIP:
        return IRQ_SSI
    return IRQ_STI

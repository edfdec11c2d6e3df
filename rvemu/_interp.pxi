# The interpreter: the run loop and the slow half of instructions.
#
# Owns: the run loop (run_hart: blocks, entering runs, the slow half) and the semantics of every
# instruction that its fast half (_handlers.pxi) does not execute inline (unprivileged spec
# chapters 2, 5, 7, 8, 9 and 16; privileged spec 3.3 for ecall/ebreak/mret/sret/wfi, 4.2.1 for
# sfence.vma).
#
# Loop rules.  pc, the instruction count and the current fetch page live in C locals.  The loop
# runs in blocks: between blocks it updates timer lines and takes a pending interrupt; a block
# ends at the budget, at the next timer deadline, or early after anything that can change
# interrupt or translation state (CSR writes, traps, xRET, MMIO, HTIF).  Exceptions do not unwind:
# helpers return status cause+1 and the loop enters the trap.  A trap counts against the budget
# like an instruction (so a trap storm cannot hang the host) but does not retire.

cdef extern from *:
    """
    static inline uint64_t rv_mulh(int64_t a, int64_t b) {
        return (uint64_t)(((__int128)a * (__int128)b) >> 64);
    }
    static inline uint64_t rv_mulhu(uint64_t a, uint64_t b) {
        return (uint64_t)(((unsigned __int128)a * (unsigned __int128)b) >> 64);
    }
    static inline uint64_t rv_mulhsu(int64_t a, uint64_t b) {
        return (uint64_t)(((__int128)a * (__int128)(unsigned __int128)b) >> 64);
    }
    """
    uint64_t rv_mulh(int64_t a, int64_t b) nogil
    uint64_t rv_mulhu(uint64_t a, uint64_t b) nogil
    uint64_t rv_mulhsu(int64_t a, uint64_t b) nogil


cdef inline uint64_t sext32(uint64_t v) noexcept nogil:
    return <uint64_t><int64_t><int32_t>v

# Division (unprivileged spec 13.2): x/0 = all ones, x%0 = x, MIN/-1 = MIN with remainder 0.
cdef inline uint64_t div64(uint64_t a, uint64_t b) noexcept nogil:
    if b == 0:
        return <uint64_t>-1
    if a == (<uint64_t>1 << 63) and b == <uint64_t>-1:
        return a
    return <uint64_t>(<int64_t>a / <int64_t>b)

cdef inline uint64_t rem64(uint64_t a, uint64_t b) noexcept nogil:
    if b == 0:
        return a
    if a == (<uint64_t>1 << 63) and b == <uint64_t>-1:
        return 0
    return <uint64_t>(<int64_t>a % <int64_t>b)

cdef inline uint64_t divw(uint64_t a, uint64_t b) noexcept nogil:
    cdef int32_t x = <int32_t>a, y = <int32_t>b
    if y == 0:
        return <uint64_t>-1
    if x == -2147483647 - 1 and y == -1:
        return sext32(<uint32_t>x)
    return sext32(<uint32_t>(x / y))

cdef inline uint64_t remw(uint64_t a, uint64_t b) noexcept nogil:
    cdef int32_t x = <int32_t>a, y = <int32_t>b
    if y == 0:
        return sext32(<uint32_t>x)
    if x == -2147483647 - 1 and y == -1:
        return 0
    return sext32(<uint32_t>(x % y))

cdef inline uint64_t divuw(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint32_t x = <uint32_t>a, y = <uint32_t>b
    if y == 0:
        return <uint64_t>-1
    return sext32(x / y)

cdef inline uint64_t remuw(uint64_t a, uint64_t b) noexcept nogil:
    cdef uint32_t x = <uint32_t>a, y = <uint32_t>b
    if y == 0:
        return sext32(x)
    return sext32(x % y)


cdef inline uint64_t amo_alu(int op, uint64_t old, uint64_t src, int word) noexcept nogil:
    """The new memory value of an AMO (unprivileged spec 8.4); word ops compare 32-bit values."""
    if op == OP_AMOSWAP_W or op == OP_AMOSWAP_D:
        return src
    if op == OP_AMOADD_W or op == OP_AMOADD_D:
        return old + src
    if op == OP_AMOXOR_W or op == OP_AMOXOR_D:
        return old ^ src
    if op == OP_AMOAND_W or op == OP_AMOAND_D:
        return old & src
    if op == OP_AMOOR_W or op == OP_AMOOR_D:
        return old | src
    if word:
        old = sext32(old)
        src = sext32(src)
    if op == OP_AMOMIN_W or op == OP_AMOMIN_D:
        return old if <int64_t>old < <int64_t>src else src
    if op == OP_AMOMAX_W or op == OP_AMOMAX_D:
        return old if <int64_t>old > <int64_t>src else src
    if word:
        old &= 0xffffffffU
        src &= 0xffffffffU
    if op == OP_AMOMINU_W or op == OP_AMOMINU_D:
        return old if old < src else src
    return old if old > src else src


cdef inline int atomic_word(int op) noexcept nogil:
    """1 for the word forms of LR, SC and the AMOs, 0 for the doubleword ones."""
    return (op == OP_LR_W or op == OP_SC_W or op == OP_AMOSWAP_W or op == OP_AMOADD_W
            or op == OP_AMOXOR_W or op == OP_AMOAND_W or op == OP_AMOOR_W
            or op == OP_AMOMIN_W or op == OP_AMOMAX_W or op == OP_AMOMINU_W
            or op == OP_AMOMAXU_W)

cdef inline int amo_spins(int op, uint64_t old, uint64_t new) noexcept nogil:
    """A test-and-set that found the lock taken: swapping a non-zero value over a non-zero
    value (the hart then yields to the others)."""
    return (op == OP_AMOSWAP_W or op == OP_AMOSWAP_D) and old != 0 and old == new


cdef inline void amo_commit(Hart *h, Insn *ins, uint8_t *p, int word, uint64_t old,
                            uint64_t new) noexcept nogil:
    """An AMO's effect: new to memory at p, the old value (sign-extended for a word) to rd."""
    if word:
        (<uint32_t*>p)[0] = <uint32_t>new
        h.x[ins.rd] = sext32(old)
    else:
        (<uint64_t*>p)[0] = new
        h.x[ins.rd] = old


cdef int exec_atomic(Hart *h, Insn *ins) noexcept nogil:
    """LR, SC and the AMOs.  The reservation holds the address and the value LR loaded; SC
    succeeds only if both still match (other harts' stores change the value)."""
    cdef int op = ins.op
    cdef int word = atomic_word(op)
    cdef int size = 4 if word else 8
    cdef uint64_t addr = h.x[ins.rs1], old, new
    cdef uint8_t *p
    cdef int st, spin
    if op == OP_LR_W or op == OP_LR_D:
        st = amo_host(h, addr, size, ACC_LOAD, &p)
        if st:
            return st
        old = (<uint32_t*>p)[0] if word else (<uint64_t*>p)[0]
        h.resv_valid = size
        h.resv_addr = addr
        h.resv_value = old
        h.x[ins.rd] = sext32(old) if word else old
        return ST_OK
    st = amo_host(h, addr, size, ACC_STORE, &p)
    if st:
        return st
    old = (<uint32_t*>p)[0] if word else (<uint64_t*>p)[0]
    if op == OP_SC_W or op == OP_SC_D:
        if h.resv_valid == size and h.resv_addr == addr and h.resv_value == old:
            if word:
                (<uint32_t*>p)[0] = <uint32_t>h.x[ins.rs2]
            else:
                (<uint64_t*>p)[0] = h.x[ins.rs2]
            h.x[ins.rd] = 0
            h.resv_valid = 0
            return ST_OK
        h.x[ins.rd] = 1
        h.resv_valid = 0
        return ST_SPIN
    new = amo_alu(op, old, h.x[ins.rs2], word)
    spin = amo_spins(op, old, new)
    amo_commit(h, ins, p, word, old, new)
    return ST_SPIN if spin else ST_OK


cdef inline uint64_t csr_source(Insn *ins, uint64_t *x) noexcept nogil:
    """What a CSR instruction sets, clears or writes with: rs1's value, or for the csrr*i forms
    the 5-bit immediate (which the decoder leaves in rs1)."""
    if ins.op == OP_CSRRWI or ins.op == OP_CSRRSI or ins.op == OP_CSRRCI:
        return ins.rs1
    return x[ins.rs1]


cdef int exec_csr(Hart *h, Insn *ins) noexcept nogil:
    """Zicsr: returns -1 for illegal instruction, else CSR_CHANGED_*.  csrrw with rd = x0 does
    not read; csrrs/csrrc with rs1 = x0 (or uimm = 0) do not write (unprivileged spec 9.1)."""
    cdef int op = ins.op, csr = ins.imm & 0xfff, r = CSR_CHANGED_NONE
    cdef uint64_t old = 0, base
    cdef uint64_t src = csr_source(ins, h.x)
    if op == OP_CSRRW or op == OP_CSRRWI:
        if ins.rd != 32 and csr_read(h, csr, &old) != CSR_OK:
            return -1
        r = csr_write(h, csr, src)
    else:
        if csr_read(h, csr, &old) != CSR_OK:
            return -1
        if ins.rs1 != 0:
            base = old
            if csr == CSR_MIP:
                # Privileged spec 3.1.9 (mip): only the software-writable SEIP bit takes part in
                # the read-modify-write of csrrs/csrrc; the PLIC's line, which a plain read ORs
                # in, must not be latched into it (it would then stay pending for good).
                base = (old & ~MIP_SEIP) | (h.mip & MIP_SEIP)
            if op == OP_CSRRS or op == OP_CSRRSI:
                r = csr_write(h, csr, base | src)
            else:
                r = csr_write(h, csr, base & ~src)
    if r == CSR_ILLEGAL:
        return -1
    h.x[ins.rd] = old
    return r


# ---- memory instructions: the slow half (the fast half is in _handlers.pxi) -------------------

cdef inline int store_beside_code(Mach *m, TlbEntry *e, uint64_t va) noexcept nogil:
    """1 if an aligned store (of at most 8 bytes, so inside one 64-byte chunk) at va may go
    straight to memory although its store-TLB entry e carries TAG_SLOW: its chunk of the page
    holds no decoded code (Mach.slow_chunks).  Data beside code then costs a few tests a store."""
    return (e.tag == ((va & ~<uint64_t>0xfff) | TAG_SLOW)
            and not ((m.slow_chunks[e.ppn] >> ((va >> 6) & 63)) & 1))


cdef inline int mem_size(int op) noexcept nogil:
    if op == OP_LD or op == OP_SD:
        return 8
    if op == OP_LW or op == OP_LWU or op == OP_SW:
        return 4
    if op == OP_LH or op == OP_LHU or op == OP_SH:
        return 2
    return 1

cdef inline uint64_t load_extend(int op, uint64_t v) noexcept nogil:
    """The register value of a load of op's width and signedness."""
    if op == OP_LW:
        return sext32(v)
    if op == OP_LH:
        return <uint64_t><int64_t><int16_t>v
    if op == OP_LB:
        return <uint64_t><int64_t><int8_t>v
    return v

cdef int mem_slow(Hart *h, Insn *ip, uint64_t va, int op) noexcept nogil:
    """A load or store (op: the slot's own, or the first of its fused pair) at va that the loop's
    inline path did not complete (TLB miss, misaligned, code page, MMIO).  The slot is copied to
    h.cur first, as op alone: a store may empty it, and the slow half continues after op.  ST_OK:
    done and no decoded code changed (the run goes on); else a status for the loop: an
    exception, ST_MMIO (the loop finishes the access), ST_EVENT, or ST_CODE (done; the run must
    be re-read)."""
    cdef Mach *m = h.m
    cdef uint64_t v = 0, gen = m.code_gen
    cdef int st
    h.cur = ip[0]
    h.cur.op = <uint8_t>op
    if op == OP_SD or op == OP_SW or op == OP_SH or op == OP_SB:
        st = store_slow(h, va, mem_size(op), h.x[h.cur.rs2])
    else:
        st = load_slow(h, va, mem_size(op), &v)
        if st == ST_OK:
            h.x[h.cur.rd] = load_extend(op, v)
    if st == ST_OK and m.code_gen != gen:
        return ST_CODE
    return st


cdef int exec_system(Hart *h, Insn *ins, uint64_t pc) noexcept nogil:
    """Every instruction the loop does not execute inline, but for loads, stores and its own
    sentinels: atomics, pause, CSRs, sfence.vma, wfi, ecall, ebreak, xRET and illegal ones.
    Returns ST_OK (the run goes on), ST_CODE, ST_LEAVE, ST_JUMP, ST_WFI, ST_SPIN, or an
    exception status (cause + 1, tval in h.exc_tval).  h.pc and the counters are published."""
    cdef int op = ins.op, st
    if is_atomic(op):
        return exec_atomic(h, ins)
    if op == OP_PAUSE:
        return ST_SPIN
    if is_csr(op):
        st = exec_csr(h, ins)
        if st < 0:
            return exc(h, CAUSE_ILLEGAL_INSTRUCTION, ins.raw)
        return ST_LEAVE if st else ST_OK
    if op == OP_ECALL:
        return exc(h, CAUSE_ECALL_U + <uint64_t>h.priv, 0)
    if op == OP_EBREAK:
        return exc(h, CAUSE_BREAKPOINT, pc)
    # privileged spec 3.3.2 (xRET), 3.3.3 (TW: wfi; in U-mode always illegal as S-mode
    # exists), 3.1.6.5 (TVM, TSR), 4.2.1 (sfence.vma)
    if op == OP_MRET and h.priv == PRIV_M:
        do_mret(h)
        return ST_JUMP
    if op == OP_SRET and (h.priv == PRIV_M or (h.priv == PRIV_S
                                               and not (h.mstatus & MSTATUS_TSR))):
        do_sret(h)
        return ST_JUMP
    if op == OP_SFENCE_VMA and (h.priv == PRIV_M or (h.priv == PRIV_S
                                                     and not (h.mstatus & MSTATUS_TVM))):
        sfence_vma(h, ins.rs1, h.x[ins.rs1])
        return ST_CODE
    if op == OP_WFI and (h.priv == PRIV_M or (h.priv == PRIV_S
                                              and not (h.mstatus & MSTATUS_TW))):
        return ST_WFI
    # OP_ILLEGAL, the privileged instructions above at too low a privilege, and table rows
    # the executor does not know
    return exc(h, CAUSE_ILLEGAL_INSTRUCTION, ins.raw)


cdef int finish_mmio(Hart *h, uint64_t pc, uint64_t vclock, uint64_t instret,
                     uint64_t *v) noexcept:
    """Publish where the hart is (devices may read time or stop the machine), then let the bus
    perform the access the memory helpers recorded."""
    h.pc = pc
    h.vclock = vclock
    h.instret = instret
    return mmio_perform(h, v)


cdef int leaves_run(Hart *h, Insn *b, uint64_t left) noexcept nogil:
    """A taken branch or jal b to its own page (IF_NEAR) without IF_INLINE: 1 if the hart must
    leave the run here to yield (b closes a pure loop, IF_SPIN, and the hart spins in it)."""
    cdef Insn *t = <Insn*>(<char*>b + b.tgt)
    return t.op != OP_INVALID and (t.flags & IF_PURE) != 0 and spin_trip(h, b, t, left)

cdef int spin_trip(Hart *h, Insn *b, Insn *t, uint64_t left) noexcept nogil:
    """b, which closed a pure loop starting at t when the run was decoded, is about to enter t
    with left instructions left.  1 if the hart spins: exactly one trip around t (t.blen
    instructions) has passed since the registers were saved there, they are all as they were,
    and t's run still ends in b, so every later trip would be the same until another hart or a
    device changes memory.  Every 64th entry saves them."""
    cdef int r
    if h.spin_at == t and h.spin_left - t.blen == left:
        h.spin_at = NULL
        for r in range(1, 32):
            if h.spin_x[r] != h.x[r]:
                return 0
        return run_end(t) == b
    h.spin_count += 1
    if (h.spin_count & 63) == 0:
        memcpy(h.spin_x, h.x, 32 * sizeof(uint64_t))
        h.spin_at = t
        h.spin_left = left
    return 0


cdef void place_stop(Hart *h, Insn *ip, uint64_t left) noexcept nogil:
    """The run entered at ip is longer than the left (> 0) instructions allowed: OP_STOP stands in
    for the first instruction past them, and the first of a fused pair before it runs alone."""
    cdef Insn *cur = ip
    cdef Insn *last = ip
    cdef uint8_t alone
    while left:
        last = cur
        cur = <Insn*>(<char*>cur + cur.step)
        left -= 1
    h.stop_at = cur
    h.stop_op = cur.op
    slot_set_op(cur, OP_STOP)
    alone = unfused(last.op)
    if alone:
        h.stop_fused = last
        h.stop_fused_op = last.op
        slot_set_op(last, alone)

cdef void lift_stop(Hart *h) noexcept nogil:
    """Undo place_stop, except in slots that a store emptied meanwhile."""
    if h.stop_at.op == OP_STOP:
        slot_set_op(h.stop_at, h.stop_op)
    h.stop_at = NULL
    if h.stop_fused != NULL:
        if h.stop_fused.op == unfused(h.stop_fused_op):
            slot_set_op(h.stop_fused, h.stop_fused_op)
        h.stop_fused = NULL


cdef int run_hart(Hart *h, uint64_t budget, uint64_t *executed) noexcept:
    """Run hart h for at most budget instructions (traps included).  Returns RUN_*.

    Three nested loops.  (A) Between blocks: publish pc and the counters, stop for the budget, an
    event or a yield, take a pending interrupt, and set limit (the budget or the next timer
    deadline).  (B) Enter a run at pc: find its slot and charge the run's blen against left (the
    instructions still allowed before limit); when the run is longer than left, OP_STOP stands in
    for the first instruction past it.  (C) Execute straight through the run, and through the
    runs in the page that its branches enter (each charged as (B) would): the slots' handlers
    (_handlers.pxi), threaded by tail calls, until one leaves the page, spins, or needs the slow
    half below.  Whatever leaves a run early gives back the blen it did not execute, so
    count = limit - left is exact at every exit."""
    cdef Mach *m = h.m
    cdef uint64_t *x = h.x
    cdef uint64_t pc = h.pc, pcc
    cdef uint64_t count = 0, limit = 0, left = 0, room, v = 0
    cdef uint64_t ibase = h.instret, vbase = h.vclock, traps = 0
    cdef uint64_t cur_tag = TLB_EMPTY           # the page of code (TLB_EMPTY: look it up)
    cdef TlbEntry *fe = NULL
    cdef Tlb *dtlb
    cdef Insn *code = NULL
    cdef Insn *ip
    cdef Insn *cur
    cdef int st = 0, op, irq, result, yielding = 0, cross = 0
    h.wfi = 0
    while True:
        # ---- (A) between blocks: time, interrupts, budget, host events
        count = limit - left
        h.pc = pc
        h.instret = ibase + count - traps
        h.vclock = vbase + count
        if m.event:
            result = RUN_ERROR if m.error != NULL else RUN_EVENT
            break
        if count >= budget:
            result = RUN_BUDGET
            break
        if yielding:
            result = RUN_YIELD
            break
        update_timer_lines(h)
        irq = pending_interrupt(h)
        if irq >= 0:
            take_trap(h, (<uint64_t>1 << 63) | <uint64_t>irq, 0, pc)
            pc = h.pc
            cur_tag = TLB_EMPTY
            traps += 1
            limit = count + 1
            left = 0
            continue
        limit = budget
        room = next_timer_deadline(h)
        if room < limit - count:
            limit = count + room
        left = limit - count
        dtlb = h.dtlb                           # the same until the block ends: whatever changes
                                                # it (satp, MPRV, SUM, MXR, a trap) ends the block,
                                                # so a slow path may use h.dtlb (store_beside)
        h.spin_at = NULL
        while True:
            # ---- (B) enter a run at pc
            if (pc & ~<uint64_t>0xfff) == cur_tag:
                ip = &code[(pc & 0xfff) >> 1]
            else:
                if left == 0:
                    break
                fe = &h.itlb.fetch[(pc >> 12) & (TLB_SIZE - 1)]
                if fe.tag == (pc & ~<uint64_t>0xfff):
                    st = ST_OK
                else:
                    st = fetch_page(h, pc, &fe)
                if st == ST_OK and cross:
                    st = decode_cross(h, fe, pc)
                if st:
                    cross = 0
                    take_trap(h, <uint64_t>(st - 1), h.exc_tval, pc)
                    pc = h.pc; cur_tag = TLB_EMPTY; traps += 1
                    left -= 1; limit -= left; left = 0
                    break
                cur_tag = pc & ~<uint64_t>0xfff
                code = fe.code
                if cross:
                    cross = 0
                    ip = &h.xslot[0]
                else:
                    ip = &code[(pc & 0xfff) >> 1]
            if ip.blen > left:
                if left == 0:
                    break
                place_stop(h, ip, left)
            left -= ip.blen
            # ---- (C) straight through the run and on through the page: _handlers.pxi
            h.run_fe = fe
            st = dispatch(h, ip, left, cur_tag, dtlb)
            left = h.run_left
            if h.run_fe != fe:                  # the chain went on into another page
                fe = h.run_fe
                cur_tag = fe.tag
                code = fe.code
            if h.stop_at != NULL:
                lift_stop(h)
            if st == RX_PC:
                pc = h.run_pc
                continue
            if st == RX_SPIN:
                pc = h.run_pc
                yielding = 1
                limit -= left; left = 0
                continue
            ip = h.run_ip
            # ---- the slow half: h.cur is the instruction, st the status of a memory access.
            # First give back the part of the run after it (the instruction itself counts).
            cur = &h.cur
            op = cur.op
            pcc = cur_tag + cur.off
            left += cur.blen - 1
            if op == OP_INVALID:                # an empty slot, where a run is entered: decode
                left += 1
                pc = cur_tag + 2 * <uint64_t>(ip - code)
                decode_run(h, fe, pc)
                continue
            if op == OP_STOP:                   # the budget ends here: not executed
                left += 1
                pc = pcc
                limit -= left; left = 0
                break
            if op == OP_CROSS:                  # decode it afresh, then run it from h.xslot
                left += 1
                pc = pcc
                cross = 1
                cur_tag = TLB_EMPTY
                continue
            if op == OP_HOST_BREAK:             # not an instruction: blen 0
                left += 1
                pc = pcc
                if left == 0:                   # the budget ended just before it
                    break
                count = limit - left
                h.pc = pc
                h.instret = ibase + count - traps
                h.vclock = vbase + count
                executed[0] = count
                return RUN_BREAK
            # An instruction: devices and CSRs see the hart as it is before it.
            count = limit - left
            if st == 0:
                h.pc = pcc
                h.instret = ibase + count - 1 - traps
                h.vclock = vbase + count - 1
                st = exec_system(h, cur, pcc)
            elif st == ST_MMIO:
                st = finish_mmio(h, pcc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st <= 0 and not (op == OP_SD or op == OP_SW or op == OP_SH or op == OP_SB):
                    x[cur.rd] = load_extend(op, v)
            if st > 0:                          # the one exception exit
                take_trap(h, <uint64_t>(st - 1), h.exc_tval, pcc)
                pc = h.pc; cur_tag = TLB_EMPTY; traps += 1
                limit -= left; left = 0
                break
            if st == ST_JUMP:
                pc = h.pc; cur_tag = TLB_EMPTY
                limit -= left; left = 0
                break
            pc = pcc + cur.len
            if st == ST_OK:
                continue
            if st == ST_CODE:
                cur_tag = TLB_EMPTY
                continue
            if st == ST_SPIN:
                if m.nharts == 1:
                    continue
                yielding = 1
            elif st == ST_WFI:
                h.vclock = vbase + count
                update_timer_lines(h)
                if (hart_mip(h) & h.mie) == 0:
                    h.wfi = 1
                    h.pc = pc
                    h.instret = ibase + count - traps
                    executed[0] = count
                    return RUN_WFI
            else:                               # ST_LEAVE, ST_EVENT: state may differ
                cur_tag = TLB_EMPTY
            limit -= left; left = 0
            break
    executed[0] = count
    return result

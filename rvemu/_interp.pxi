# The interpreter: fetch a pre-decoded slot, switch on its operation, execute.
#
# Owns: the semantics of every instruction (unprivileged spec chapters 2, 5, 7, 8, 9 and 16;
# privileged spec 3.3 for ecall/ebreak/mret/sret/wfi, 4.2.1 for sfence.vma) and the run loop.
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


cdef enum:
    PAUSE_INSN = 0x0100000F     # Zihintpause: fence w,0 - "I am spinning"


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


cdef int exec_atomic(Hart *h, Insn *ins) noexcept nogil:
    """LR, SC and the AMOs.  The reservation holds the address and the value LR loaded; SC
    succeeds only if both still match (other harts' stores change the value)."""
    cdef int op = ins.op
    cdef int word = (op == OP_LR_W or op == OP_SC_W or op == OP_AMOSWAP_W or op == OP_AMOADD_W
                     or op == OP_AMOXOR_W or op == OP_AMOAND_W or op == OP_AMOOR_W
                     or op == OP_AMOMIN_W or op == OP_AMOMAX_W or op == OP_AMOMINU_W
                     or op == OP_AMOMAXU_W)
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
    # a test-and-set that found the lock taken: swapping a non-zero value over a non-zero value
    spin = (op == OP_AMOSWAP_W or op == OP_AMOSWAP_D) and old != 0 and old == new
    if word:
        (<uint32_t*>p)[0] = <uint32_t>new
        h.x[ins.rd] = sext32(old)
    else:
        (<uint64_t*>p)[0] = new
        h.x[ins.rd] = old
    return ST_SPIN if spin else ST_OK


cdef int exec_csr(Hart *h, Insn *ins) noexcept nogil:
    """Zicsr: returns -1 for illegal instruction, else CSR_CHANGED_*.  csrrw with rd = x0 does
    not read; csrrs/csrrc with rs1 = x0 (or uimm = 0) do not write (unprivileged spec 9.1)."""
    cdef int op = ins.op, csr = ins.imm & 0xfff, r = CSR_CHANGED_NONE
    cdef uint64_t old = 0, src, base
    cdef int imm_form = op == OP_CSRRWI or op == OP_CSRRSI or op == OP_CSRRCI
    src = <uint64_t>ins.rs1 if imm_form else h.x[ins.rs1]
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


cdef int finish_mmio(Hart *h, uint64_t pc, uint64_t vclock, uint64_t instret,
                     uint64_t *v) noexcept:
    """Publish where the hart is (devices may read time or stop the machine), then let the bus
    perform the access the memory helpers recorded."""
    h.pc = pc
    h.vclock = vclock
    h.instret = instret
    return mmio_perform(h, v)


cdef inline uint64_t enter_exception(Hart *h, int st, uint64_t pc) noexcept nogil:
    take_trap(h, <uint64_t>(st - 1), h.exc_tval, pc)
    return h.pc


cdef int run_hart(Hart *h, uint64_t budget, uint64_t *executed) noexcept:
    """Run hart h for at most budget instructions (traps included).  Returns RUN_*."""
    cdef Mach *m = h.m
    cdef uint64_t *x = h.x
    cdef uint64_t pc = h.pc
    cdef uint64_t count = 0, limit, room, v, a
    cdef uint64_t ibase = h.instret, vbase = h.vclock, traps = 0
    cdef uint64_t nloads = 0, nstores = 0       # data TLB lookups, for the hit rates
    cdef uint64_t cur_tag = TLB_EMPTY
    cdef TlbEntry *fe = NULL
    cdef Insn *code = NULL
    cdef Insn *ip
    cdef Insn tmp
    cdef uint64_t imm
    cdef int st, op, irq, result, rd, rs1, rs2, ilen, yielding = 0
    h.wfi = 0
    while True:
        # ---- between blocks: time, interrupts, budget, host events
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
            count += 1
            traps += 1
            continue
        limit = budget
        room = next_timer_deadline(h)
        if room < limit - count:
            limit = count + room
        # ---- one block
        while count < limit:
            count += 1
            if (pc & ~<uint64_t>0xfff) != cur_tag:
                st = fetch_page(h, pc, &fe)
                if st:
                    pc = enter_exception(h, st, pc); traps += 1; limit = count; continue
                cur_tag = pc & ~<uint64_t>0xfff
                code = fe.code
            ip = &code[(pc >> 1) & (SLOTS_PER_PAGE - 1)]
            if ip.op == OP_INVALID:
                st = fetch_decode(h, pc, fe, &tmp)
                if st:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                ip = &tmp
            # Operands go to C locals before anything executes: a store may empty the slot.
            op = ip.op
            rd = ip.rd
            rs1 = ip.rs1
            rs2 = ip.rs2
            imm = <uint64_t><int64_t>ip.imm
            ilen = ip.len
            # ---- integer register-immediate
            if op == OP_ADDI:
                x[rd] = x[rs1] + imm
                pc += ilen
            elif op == OP_LUI:
                x[rd] = imm
                pc += ilen
            elif op == OP_AUIPC:
                x[rd] = pc + imm
                pc += ilen
            elif op == OP_SLTI:
                x[rd] = <int64_t>x[rs1] < <int64_t>imm
                pc += ilen
            elif op == OP_SLTIU:
                x[rd] = x[rs1] < imm
                pc += ilen
            elif op == OP_XORI:
                x[rd] = x[rs1] ^ imm
                pc += ilen
            elif op == OP_ORI:
                x[rd] = x[rs1] | imm
                pc += ilen
            elif op == OP_ANDI:
                x[rd] = x[rs1] & imm
                pc += ilen
            elif op == OP_SLLI:
                x[rd] = x[rs1] << imm
                pc += ilen
            elif op == OP_SRLI:
                x[rd] = x[rs1] >> imm
                pc += ilen
            elif op == OP_SRAI:
                x[rd] = <uint64_t>(<int64_t>x[rs1] >> imm)
                pc += ilen
            elif op == OP_ADDIW:
                x[rd] = sext32(x[rs1] + imm)
                pc += ilen
            elif op == OP_SLLIW:
                x[rd] = sext32(<uint32_t>x[rs1] << imm)
                pc += ilen
            elif op == OP_SRLIW:
                x[rd] = sext32(<uint32_t>x[rs1] >> imm)
                pc += ilen
            elif op == OP_SRAIW:
                x[rd] = sext32(<uint32_t>(<int32_t>x[rs1] >> imm))
                pc += ilen
            # ---- integer register-register
            elif op == OP_ADD:
                x[rd] = x[rs1] + x[rs2]
                pc += ilen
            elif op == OP_SUB:
                x[rd] = x[rs1] - x[rs2]
                pc += ilen
            elif op == OP_SLL:
                x[rd] = x[rs1] << (x[rs2] & 63)
                pc += ilen
            elif op == OP_SLT:
                x[rd] = <int64_t>x[rs1] < <int64_t>x[rs2]
                pc += ilen
            elif op == OP_SLTU:
                x[rd] = x[rs1] < x[rs2]
                pc += ilen
            elif op == OP_XOR:
                x[rd] = x[rs1] ^ x[rs2]
                pc += ilen
            elif op == OP_SRL:
                x[rd] = x[rs1] >> (x[rs2] & 63)
                pc += ilen
            elif op == OP_SRA:
                x[rd] = <uint64_t>(<int64_t>x[rs1] >> (x[rs2] & 63))
                pc += ilen
            elif op == OP_OR:
                x[rd] = x[rs1] | x[rs2]
                pc += ilen
            elif op == OP_AND:
                x[rd] = x[rs1] & x[rs2]
                pc += ilen
            elif op == OP_ADDW:
                x[rd] = sext32(x[rs1] + x[rs2])
                pc += ilen
            elif op == OP_SUBW:
                x[rd] = sext32(x[rs1] - x[rs2])
                pc += ilen
            elif op == OP_SLLW:
                x[rd] = sext32(<uint32_t>x[rs1] << (x[rs2] & 31))
                pc += ilen
            elif op == OP_SRLW:
                x[rd] = sext32(<uint32_t>x[rs1] >> (x[rs2] & 31))
                pc += ilen
            elif op == OP_SRAW:
                x[rd] = sext32(<uint32_t>(<int32_t>x[rs1] >> (x[rs2] & 31)))
                pc += ilen
            # ---- M
            elif op == OP_MUL:
                x[rd] = x[rs1] * x[rs2]
                pc += ilen
            elif op == OP_MULH:
                x[rd] = rv_mulh(<int64_t>x[rs1], <int64_t>x[rs2])
                pc += ilen
            elif op == OP_MULHSU:
                x[rd] = rv_mulhsu(<int64_t>x[rs1], x[rs2])
                pc += ilen
            elif op == OP_MULHU:
                x[rd] = rv_mulhu(x[rs1], x[rs2])
                pc += ilen
            elif op == OP_DIV:
                x[rd] = div64(x[rs1], x[rs2])
                pc += ilen
            elif op == OP_DIVU:
                x[rd] = (x[rs1] / x[rs2]) if x[rs2] else <uint64_t>-1
                pc += ilen
            elif op == OP_REM:
                x[rd] = rem64(x[rs1], x[rs2])
                pc += ilen
            elif op == OP_REMU:
                x[rd] = (x[rs1] % x[rs2]) if x[rs2] else x[rs1]
                pc += ilen
            elif op == OP_MULW:
                x[rd] = sext32(x[rs1] * x[rs2])
                pc += ilen
            elif op == OP_DIVW:
                x[rd] = divw(x[rs1], x[rs2])
                pc += ilen
            elif op == OP_DIVUW:
                x[rd] = divuw(x[rs1], x[rs2])
                pc += ilen
            elif op == OP_REMW:
                x[rd] = remw(x[rs1], x[rs2])
                pc += ilen
            elif op == OP_REMUW:
                x[rd] = remuw(x[rs1], x[rs2])
                pc += ilen
            # ---- control transfer (targets are 2-byte aligned with C: never misaligned)
            elif op == OP_JAL:
                x[rd] = pc + ilen
                pc += imm
            elif op == OP_JALR:
                a = (x[rs1] + imm) & ~<uint64_t>1
                x[rd] = pc + ilen
                pc = a
            elif op == OP_BEQ:
                pc += imm if x[rs1] == x[rs2] else ilen
            elif op == OP_BNE:
                pc += imm if x[rs1] != x[rs2] else ilen
            elif op == OP_BLT:
                pc += (imm if <int64_t>x[rs1] < <int64_t>x[rs2]
                       else ilen)
            elif op == OP_BGE:
                pc += (imm if <int64_t>x[rs1] >= <int64_t>x[rs2]
                       else ilen)
            elif op == OP_BLTU:
                pc += imm if x[rs1] < x[rs2] else ilen
            elif op == OP_BGEU:
                pc += imm if x[rs1] >= x[rs2] else ilen
            # ---- loads (ins is a local copy: a store that empties the slot cannot change it)
            elif op == OP_LD:
                nloads += 1
                st = load64(h, x[rs1] + imm, &v)
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                x[rd] = v
                pc += ilen
                if st:
                    limit = count
            elif op == OP_LW:
                nloads += 1
                st = load32(h, x[rs1] + imm, &v)
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                x[rd] = sext32(v)
                pc += ilen
                if st:
                    limit = count
            elif op == OP_LWU:
                nloads += 1
                st = load32(h, x[rs1] + imm, &v)
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                x[rd] = v
                pc += ilen
                if st:
                    limit = count
            elif op == OP_LH:
                nloads += 1
                st = load16(h, x[rs1] + imm, &v)
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                x[rd] = <uint64_t><int64_t><int16_t>v
                pc += ilen
                if st:
                    limit = count
            elif op == OP_LHU:
                nloads += 1
                st = load16(h, x[rs1] + imm, &v)
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                x[rd] = v
                pc += ilen
                if st:
                    limit = count
            elif op == OP_LB:
                nloads += 1
                st = load8(h, x[rs1] + imm, &v)
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                x[rd] = <uint64_t><int64_t><int8_t>v
                pc += ilen
                if st:
                    limit = count
            elif op == OP_LBU:
                nloads += 1
                st = load8(h, x[rs1] + imm, &v)
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                x[rd] = v
                pc += ilen
                if st:
                    limit = count
            # ---- stores
            elif op == OP_SD:
                nstores += 1
                st = store64(h, x[rs1] + imm, x[rs2])
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                pc += ilen
                if st:
                    limit = count
            elif op == OP_SW:
                nstores += 1
                st = store32(h, x[rs1] + imm, x[rs2])
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                pc += ilen
                if st:
                    limit = count
            elif op == OP_SH:
                nstores += 1
                st = store16(h, x[rs1] + imm, x[rs2])
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                pc += ilen
                if st:
                    limit = count
            elif op == OP_SB:
                nstores += 1
                st = store8(h, x[rs1] + imm, x[rs2])
                if st == ST_MMIO:
                    st = finish_mmio(h, pc, vbase + count - 1, ibase + count - 1 - traps, &v)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                pc += ilen
                if st:
                    limit = count
            # ---- A
            elif (op == OP_LR_W or op == OP_LR_D or op == OP_SC_W or op == OP_SC_D
                  or op == OP_AMOSWAP_W or op == OP_AMOSWAP_D or op == OP_AMOADD_W
                  or op == OP_AMOADD_D or op == OP_AMOXOR_W or op == OP_AMOXOR_D
                  or op == OP_AMOAND_W or op == OP_AMOAND_D or op == OP_AMOOR_W
                  or op == OP_AMOOR_D or op == OP_AMOMIN_W or op == OP_AMOMIN_D
                  or op == OP_AMOMAX_W or op == OP_AMOMAX_D or op == OP_AMOMINU_W
                  or op == OP_AMOMINU_D or op == OP_AMOMAXU_W or op == OP_AMOMAXU_D):
                tmp = ip[0]
                st = exec_atomic(h, &tmp)
                if st > 0:
                    pc = enter_exception(h, st, pc); cur_tag = TLB_EMPTY; traps += 1
                    limit = count
                    continue
                pc += ilen
                if st == ST_SPIN and m.nharts > 1:
                    yielding = 1
                    limit = count
            # ---- fences: stores keep decoded code coherent, so fence.i has nothing to do
            elif op == OP_FENCE or op == OP_FENCE_I:
                pc += ilen
                if ip.raw == PAUSE_INSN and m.nharts > 1:
                    yielding = 1
                    limit = count
            # ---- system
            elif (op == OP_CSRRW or op == OP_CSRRS or op == OP_CSRRC or op == OP_CSRRWI
                  or op == OP_CSRRSI or op == OP_CSRRCI):
                h.pc = pc
                h.instret = ibase + count - 1 - traps
                h.vclock = vbase + count - 1
                tmp = ip[0]
                st = exec_csr(h, &tmp)
                if st < 0:
                    take_trap(h, CAUSE_ILLEGAL_INSTRUCTION, ip.raw, pc)
                    pc = h.pc; cur_tag = TLB_EMPTY; traps += 1; limit = count
                    continue
                pc += ilen
                if st:
                    cur_tag = TLB_EMPTY
                    limit = count
            elif op == OP_ECALL:
                take_trap(h, CAUSE_ECALL_U + <uint64_t>h.priv, 0, pc)
                pc = h.pc; cur_tag = TLB_EMPTY; traps += 1; limit = count
            elif op == OP_EBREAK:
                take_trap(h, CAUSE_BREAKPOINT, pc, pc)
                pc = h.pc; cur_tag = TLB_EMPTY; traps += 1; limit = count
            elif op == OP_MRET:
                if h.priv != PRIV_M:
                    take_trap(h, CAUSE_ILLEGAL_INSTRUCTION, ip.raw, pc)
                    traps += 1
                else:
                    do_mret(h)
                pc = h.pc; cur_tag = TLB_EMPTY; limit = count
            elif op == OP_SRET:
                if h.priv == PRIV_U or (h.priv == PRIV_S and (h.mstatus & MSTATUS_TSR)):
                    take_trap(h, CAUSE_ILLEGAL_INSTRUCTION, ip.raw, pc)
                    traps += 1
                else:
                    do_sret(h)
                pc = h.pc; cur_tag = TLB_EMPTY; limit = count
            elif op == OP_SFENCE_VMA:
                if h.priv == PRIV_U or (h.priv == PRIV_S and (h.mstatus & MSTATUS_TVM)):
                    take_trap(h, CAUSE_ILLEGAL_INSTRUCTION, ip.raw, pc)
                    pc = h.pc; cur_tag = TLB_EMPTY; traps += 1; limit = count
                    continue
                if rs1 == 0:
                    tlb_flush_all(h)
                else:
                    tlb_flush_page(h, x[rs1])
                cur_tag = TLB_EMPTY
                pc += ilen
            elif op == OP_WFI:
                # 3.3.3: TW traps WFI below M; in U-mode it is always illegal (S-mode exists)
                if h.priv == PRIV_U or (h.priv == PRIV_S and (h.mstatus & MSTATUS_TW)):
                    take_trap(h, CAUSE_ILLEGAL_INSTRUCTION, ip.raw, pc)
                    pc = h.pc; cur_tag = TLB_EMPTY; traps += 1; limit = count
                    continue
                pc += ilen
                h.vclock = vbase + count
                update_timer_lines(h)
                if (hart_mip(h) & h.mie) == 0:
                    h.wfi = 1
                    h.pc = pc
                    h.instret = ibase + count - traps
                    executed[0] = count
                    h.tlb_lookups[ACC_LOAD] += nloads
                    h.tlb_lookups[ACC_STORE] += nstores
                    return RUN_WFI
                limit = count
            elif op == OP_HOST_BREAK:
                count -= 1
                h.pc = pc
                h.instret = ibase + count - traps
                h.vclock = vbase + count
                executed[0] = count
                h.tlb_lookups[ACC_LOAD] += nloads
                h.tlb_lookups[ACC_STORE] += nstores
                return RUN_BREAK
            else:
                # OP_ILLEGAL, and table rows the executor does not know
                take_trap(h, CAUSE_ILLEGAL_INSTRUCTION, ip.raw, pc)
                pc = h.pc; cur_tag = TLB_EMPTY; traps += 1; limit = count
    executed[0] = count
    h.tlb_lookups[ACC_LOAD] += nloads
    h.tlb_lookups[ACC_STORE] += nstores
    return result

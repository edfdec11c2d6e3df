# The run loop's fast half: one handler per operation, threaded by tail calls.
#
# Owns: the inline execution of a run (run_hart's level (C), _interp.pxi) and the table HANDLERS
# that maps Insn.op (and the instruction's length) to its handler.
#
# Threading.  A handler executes its slot, then ends in `return dispatch(...)` of the next slot's
# handler with the same five arguments.  gcc compiles such a call in tail position as a jump
# (-foptimize-sibling-calls, on at -O2; setup.py asks for it in debug builds too), so a run costs
# no stack and no return: an instruction is its body, a constant added to reach the next slot
# (the handler is compiled for its instruction's length), and one indirect jump through that
# slot's fn (set when the slot is decoded, so the jump needs no table lookup).  That is what a
# `switch` in a loop cannot give (its position-independent jump table costs two more host
# instructions per dispatch, and every case jumps back to it).  For the jump to be possible a
# handler keeps no local whose address it takes: values that helpers return through a pointer go
# through Hart.run_v.
#
# The arguments are what every instruction may need, in registers: the hart (its x[] is at offset
# 0), the slot, the instructions still allowed before the block's limit (left: runs entered in
# the page are charged here, as run_hart's level (B) charges the first), the page's virtual base
# (tag: pc = tag + ip.off) and the data TLB set (typed as a length marker: see Width below).
#
# Pages.  A jump, a return, a branch to another page and the fall-through past a page's end go on
# in the chain too when the fetch TLB maps the target's page (jump_to): the chain then runs in
# that page (tag is its base) and Hart.run_fe tells run_hart which page it ended in.
#
# Leaving.  A handler that cannot go on returns to run_hart with left in Hart.run_left and one of:
#   RX_PC     pc is Hart.run_pc (a fetch-TLB miss, a run longer than left): run_hart enters it
#             through (B)
#   RX_SPIN   as RX_PC, and the hart spins in a pure loop (leaves_run): it yields
#   else      the slow half for h.cur (a copy of slot Hart.run_ip): 0 for exec_system, or a memory
#             access's status (an exception, ST_MMIO, ST_EVENT, ST_CODE)
# Whatever leaves early has charged its whole run, as before: run_hart gives back the rest.

cdef extern from *:
    """
    /* The data TLB set as a handler receives it: a pointer to one of these marker types, which
       are one C type (never defined: handlers convert it back with data_tlb).  Its Cython type
       says how long the handler's instruction is (2 or 4 bytes) or, for a fused pair, how long
       each of its two are; in C every handler has the signature of handler_t. */
    struct rv_len;
    typedef struct rv_len rv_len2, rv_len4, rv_len22, rv_len24, rv_len42, rv_len44;
    """
    ctypedef struct Len2 "rv_len2"
    ctypedef struct Len4 "rv_len4"
    ctypedef struct Len22 "rv_len22"
    ctypedef struct Len24 "rv_len24"
    ctypedef struct Len42 "rv_len42"
    ctypedef struct Len44 "rv_len44"

# A handler is compiled once per length of its instruction (Width), a fused pair's once per
# lengths of its two (Widths), as the type of its dtlb argument says: the next slot is then a
# constant distance away, so finding it needs no load from the slot (with ip + ip.step, each
# instruction would wait for the previous one's load: a chain of about five host cycles per guest
# instruction).  slot_bind (_code.pxi) picks the handler by the lengths: HANDLERS[lens][op],
# lens = 2 * (the slot's instruction is 4 bytes) + (a fused pair's second is 4 bytes).  The
# marker rides on an argument the handlers pass on anyway, so it costs no register.
ctypedef fused Width:
    Len2
    Len4

ctypedef fused Widths:
    Len22
    Len24
    Len42
    Len44

ctypedef int (*handler_t)(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                          Len2 *dtlb) noexcept nogil

cdef enum:
    RX_PC = 0x10000
    RX_SPIN = 0x10001

cdef handler_t HANDLERS[4][256]


# ---- moving on ---------------------------------------------------------------------------------

cdef inline Tlb *data_tlb(void *dtlb) noexcept nogil:
    """The data TLB set a handler received as a marker-typed pointer."""
    return <Tlb*>dtlb

cdef inline int dispatch(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                         void *dtlb) noexcept nogil:
    """Execute slot ip and what follows it (a tail call: a jump)."""
    return (<handler_t>ip.fn)(h, ip, left, tag, <Len2*>dtlb)

cdef inline Insn *after(Insn *ip, Width *dtlb) noexcept nogil:
    """The slot after ip's instruction, which is as long as dtlb's type says."""
    if Width is Len4:
        return ip + 2
    else:
        return ip + 1

cdef inline int next_slot(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                          Width *dtlb) noexcept nogil:
    """Go on straight after ip, in the same run."""
    return dispatch(h, after(ip, dtlb), left, tag, dtlb)

cdef inline int next_any(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                         void *dtlb) noexcept nogil:
    """next_slot where the length is not known (the slow paths): the slot's step."""
    return dispatch(h, <Insn*>(<char*>ip + ip.step), left, tag, dtlb)

cdef inline Insn *second(Insn *ip, Widths *dtlb) noexcept nogil:
    """The slot of fused pair ip's second instruction."""
    if Widths is Len42 or Widths is Len44:
        return ip + 2
    else:
        return ip + 1

cdef inline int after_second(Hart *h, Insn *ip2, uint64_t left, uint64_t tag,
                             Widths *dtlb) noexcept nogil:
    """next_slot after a fused pair's second instruction, in slot ip2."""
    if Widths is Len24 or Widths is Len44:
        return dispatch(h, ip2 + 2, left, tag, dtlb)
    else:
        return dispatch(h, ip2 + 1, left, tag, dtlb)

cdef int leave_at(Hart *h, uint64_t left, uint64_t pc) noexcept nogil:
    """Back to run_hart, to enter pc through (B)."""
    h.run_left = left
    h.run_pc = pc
    return RX_PC

cdef inline int enter_run(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                          void *dtlb) noexcept nogil:
    """A new run in this page (a branch's target or fall-through): charge it as (B) would, or
    leave when it is longer than left."""
    if ip.blen > left:
        return leave_at(h, left, tag + ip.off)
    return dispatch(h, ip, left - ip.blen, tag, dtlb)

cdef inline int jump_to(Hart *h, uint64_t pc, uint64_t left, uint64_t tag,
                        void *dtlb) noexcept nogil:
    """Go on at pc, in any page the fetch TLB maps (a jump, a return, a branch to another page,
    or the fall-through past a page's end): charge its run as (B) would, and tell run_hart the
    page (Hart.run_fe) when it changes.  A fetch-TLB miss, or a run longer than left, goes back
    to run_hart, whose (B) does the rest."""
    cdef TlbEntry *fe = &h.itlb.fetch[(pc >> 12) & (TLB_SIZE - 1)]
    cdef Insn *ip
    if fe.tag != (pc & ~<uint64_t>0xfff) or (fe.tag != tag and left == 0):
        return leave_at(h, left, pc)
    ip = &fe.code[(pc & 0xfff) >> 1]
    if ip.blen > left:
        return leave_at(h, left, pc)
    h.run_fe = fe
    return dispatch(h, ip, left - ip.blen, fe.tag, dtlb)

cdef int spin_leave(Hart *h, Insn *b, uint64_t left, uint64_t tag) noexcept nogil:
    """Taken branch or jal b closes a loop in its page that the hart spins in."""
    h.run_left = left
    h.run_pc = tag + b.off + <uint64_t><int64_t>b.imm
    return RX_SPIN

cdef inline int taken(Hart *h, Insn *b, uint64_t left, uint64_t tag, void *dtlb) noexcept nogil:
    """Branch or jal b is taken: its target in the page is entered here (IF_INLINE), or
    taken_far decides."""
    if b.flags & IF_INLINE:
        return enter_run(h, <Insn*>(<char*>b + b.tgt), left, tag, dtlb)
    return taken_far(h, b, left, tag, dtlb)

cdef int taken_far(Hart *h, Insn *b, uint64_t left, uint64_t tag, void *dtlb) noexcept nogil:
    """Taken branch or jal b without IF_INLINE: a target in another page through jump_to; in the
    page, back to run_hart if the hart spins in the loop b closes (leaves_run), else entered
    here.  (A function of its own: the call to leaves_run would make every branch handler save
    registers.)"""
    if not (b.flags & IF_NEAR):
        return jump_to(h, tag + b.off + <uint64_t><int64_t>b.imm, left, tag, dtlb)
    if leaves_run(h, b, left):
        return spin_leave(h, b, left, tag)
    return enter_run(h, <Insn*>(<char*>b + b.tgt), left, tag, dtlb)

cdef int op_slow(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Len2 *dtlb) noexcept nogil:
    """Every operation without a handler of its own (system instructions, LR/SC, and the AMOs
    and CSR instructions the fast path does not do, and the loop's sentinels): run_hart's slow
    half, status 0."""
    h.cur = ip[0]
    h.run_ip = ip
    h.run_left = left
    return 0

cdef int mem_then(Hart *h, Insn *ip, uint64_t left, uint64_t tag, void *dtlb,
                  uint64_t va) noexcept nogil:
    """Slot ip's load or store at va missed the inline path: do it in mem_slow (as the slot's own
    instruction: the first of a fused pair), then go on at the next slot, which for a fused pair
    is the second's own and runs alone.  Any status but ST_OK goes back to run_hart."""
    cdef int op = unfused(ip.op)
    cdef int st = mem_slow(h, ip, va, op if op else ip.op)
    if st:
        h.run_ip = ip
        h.run_left = left
        return st
    return next_any(h, ip, left, tag, dtlb)


# ---- integer register-immediate ----------------------------------------------------------------

cdef int op_addi(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_lui(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = <uint64_t><int64_t>ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_auipc(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    h.x[ip.rd] = tag + ip.off + <uint64_t><int64_t>ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_slti(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = <int64_t>h.x[ip.rs1] < <int64_t>ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sltiu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] < <uint64_t><int64_t>ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_xori(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] ^ <uint64_t><int64_t>ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_ori(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] | <uint64_t><int64_t>ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_andi(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] & <uint64_t><int64_t>ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_slli(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] << ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_srli(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] >> ip.imm
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_srai(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = <uint64_t>(<int64_t>h.x[ip.rs1] >> ip.imm)
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_addiw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(h.x[ip.rs1] + <uint64_t><int64_t>ip.imm)
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_slliw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(<uint32_t>h.x[ip.rs1] << ip.imm)
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_srliw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(<uint32_t>h.x[ip.rs1] >> ip.imm)
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sraiw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(<uint32_t>(<int32_t>h.x[ip.rs1] >> ip.imm))
    return next_slot(h, ip, left, tag, dtlb)


# ---- integer register-register -----------------------------------------------------------------

cdef int op_add(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sub(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] - h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sll(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] << (h.x[ip.rs2] & 63)
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_slt(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = <int64_t>h.x[ip.rs1] < <int64_t>h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sltu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] < h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_xor(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] ^ h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_srl(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] >> (h.x[ip.rs2] & 63)
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sra(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = <uint64_t>(<int64_t>h.x[ip.rs1] >> (h.x[ip.rs2] & 63))
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_or(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
               Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] | h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_and(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] & h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_addw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(h.x[ip.rs1] + h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_subw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(h.x[ip.rs1] - h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sllw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(<uint32_t>h.x[ip.rs1] << (h.x[ip.rs2] & 31))
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_srlw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(<uint32_t>h.x[ip.rs1] >> (h.x[ip.rs2] & 31))
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sraw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(<uint32_t>(<int32_t>h.x[ip.rs1] >> (h.x[ip.rs2] & 31)))
    return next_slot(h, ip, left, tag, dtlb)


# ---- M -----------------------------------------------------------------------------------------

cdef int op_mul(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] * h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_mulh(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = rv_mulh(<int64_t>h.x[ip.rs1], <int64_t>h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_mulhsu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                   Width *dtlb) noexcept nogil:
    h.x[ip.rd] = rv_mulhsu(<int64_t>h.x[ip.rs1], h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_mulhu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    h.x[ip.rd] = rv_mulhu(h.x[ip.rs1], h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_div(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = div64(h.x[ip.rs1], h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_divu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = (h.x[ip.rs1] / h.x[ip.rs2]) if h.x[ip.rs2] else <uint64_t>-1
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_rem(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = rem64(h.x[ip.rs1], h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_remu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = (h.x[ip.rs1] % h.x[ip.rs2]) if h.x[ip.rs2] else h.x[ip.rs1]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_mulw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = sext32(h.x[ip.rs1] * h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_divw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = divw(h.x[ip.rs1], h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_divuw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    h.x[ip.rd] = divuw(h.x[ip.rs1], h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_remw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    h.x[ip.rd] = remw(h.x[ip.rs1], h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_remuw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    h.x[ip.rd] = remuw(h.x[ip.rs1], h.x[ip.rs2])
    return next_slot(h, ip, left, tag, dtlb)


# ---- loads and stores: a TLB hit inline (the tag test includes alignment: the entry's tag has
# the low bits clear, so a misaligned va never matches); anything else in mem_then, for a store
# through store_beside (which lets it go to memory beside decoded code).

cdef int op_ld(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
               Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xff8):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = (<uint64_t*>(e.addend + va))[0]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_lw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
               Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xffc):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = sext32((<uint32_t*>(e.addend + va))[0])
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_lwu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xffc):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = (<uint32_t*>(e.addend + va))[0]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_lh(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
               Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xffe):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = <uint64_t><int64_t>(<int16_t*>(e.addend + va))[0]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_lhu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xffe):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = (<uint16_t*>(e.addend + va))[0]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_lb(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
               Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xfff):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = <uint64_t><int64_t>(<int8_t*>(e.addend + va))[0]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_lbu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xfff):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = (<uint8_t*>(e.addend + va))[0]
    return next_slot(h, ip, left, tag, dtlb)

cdef inline int store_beside(Hart *h, Insn *ip, uint64_t left, uint64_t tag, TlbEntry *e,
                             uint64_t va, int size) noexcept nogil:
    """Slot ip's store of size bytes at va missed e, its store-TLB entry: straight to memory if
    it is aligned and only beside decoded code (store_beside_code), else mem_then.  Either way,
    on at the next slot (for a fused pair: the second's own).  The chain's data TLB set is the
    hart's (h.dtlb: run_hart's dtlb, which a block never changes)."""
    cdef char *p = <char*>(e.addend + va)
    if (va & <uint64_t>(size - 1)) or not store_beside_code(h.m, e, va):
        return mem_then(h, ip, left, tag, h.dtlb, va)
    if size == 8:
        (<uint64_t*>p)[0] = h.x[ip.rs2]
    elif size == 4:
        (<uint32_t*>p)[0] = <uint32_t>h.x[ip.rs2]
    elif size == 2:
        (<uint16_t*>p)[0] = <uint16_t>h.x[ip.rs2]
    else:
        (<uint8_t*>p)[0] = <uint8_t>h.x[ip.rs2]
    return next_any(h, ip, left, tag, h.dtlb)

# store_beside for each size, as functions of their own, which the store handlers reach through
# the table STORE_BESIDE (by log2 of the size): called directly, gcc would inline them, and their
# registers would cost every store.
ctypedef int (*store_beside_t)(Hart *h, Insn *ip, uint64_t left, uint64_t tag, TlbEntry *e,
                               uint64_t va) noexcept nogil
cdef store_beside_t STORE_BESIDE[4]

cdef int store_then_d(Hart *h, Insn *ip, uint64_t left, uint64_t tag, TlbEntry *e,
                      uint64_t va) noexcept nogil:
    return store_beside(h, ip, left, tag, e, va, 8)

cdef int store_then_w(Hart *h, Insn *ip, uint64_t left, uint64_t tag, TlbEntry *e,
                      uint64_t va) noexcept nogil:
    return store_beside(h, ip, left, tag, e, va, 4)

cdef int store_then_h(Hart *h, Insn *ip, uint64_t left, uint64_t tag, TlbEntry *e,
                      uint64_t va) noexcept nogil:
    return store_beside(h, ip, left, tag, e, va, 2)

cdef int store_then_b(Hart *h, Insn *ip, uint64_t left, uint64_t tag, TlbEntry *e,
                      uint64_t va) noexcept nogil:
    return store_beside(h, ip, left, tag, e, va, 1)

cdef int op_sd(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
               Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).store, va)
    if e.tag != (va & ~<uint64_t>0xff8):
        return STORE_BESIDE[3](h, ip, left, tag, e, va)
    (<uint64_t*>(e.addend + va))[0] = h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
               Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).store, va)
    if e.tag != (va & ~<uint64_t>0xffc):
        return STORE_BESIDE[2](h, ip, left, tag, e, va)
    (<uint32_t*>(e.addend + va))[0] = <uint32_t>h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sh(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
               Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).store, va)
    if e.tag != (va & ~<uint64_t>0xffe):
        return STORE_BESIDE[1](h, ip, left, tag, e, va)
    (<uint16_t*>(e.addend + va))[0] = <uint16_t>h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_sb(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
               Width *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).store, va)
    if e.tag != (va & ~<uint64_t>0xfff):
        return STORE_BESIDE[0](h, ip, left, tag, e, va)
    (<uint8_t*>(e.addend + va))[0] = <uint8_t>h.x[ip.rs2]
    return next_slot(h, ip, left, tag, dtlb)


# ---- a load or store, then the addi in the next slot (fuse_pairs: a pointer's or a counter's
# step).  When the access takes the slow half, the addi runs on its own slot after it.

cdef inline int then_addi_slot(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                               Widths *dtlb) noexcept nogil:
    """The addi in the slot after ip (the pair's second), then on."""
    ip = second(ip, dtlb)
    h.x[ip.rd] = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    return after_second(h, ip, left, tag, dtlb)

cdef int op_lw_addi(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                    Widths *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xffc):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = sext32((<uint32_t*>(e.addend + va))[0])
    return then_addi_slot(h, ip, left, tag, dtlb)

cdef int op_ld_addi(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                    Widths *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xff8):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = (<uint64_t*>(e.addend + va))[0]
    return then_addi_slot(h, ip, left, tag, dtlb)

cdef int op_lbu_addi(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                     Widths *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xfff):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = (<uint8_t*>(e.addend + va))[0]
    return then_addi_slot(h, ip, left, tag, dtlb)

cdef int op_sb_addi(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                    Widths *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).store, va)
    if e.tag != (va & ~<uint64_t>0xfff):
        return STORE_BESIDE[0](h, ip, left, tag, e, va)
    (<uint8_t*>(e.addend + va))[0] = <uint8_t>h.x[ip.rs2]
    return then_addi_slot(h, ip, left, tag, dtlb)

cdef int op_sw_addi(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                    Widths *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).store, va)
    if e.tag != (va & ~<uint64_t>0xffc):
        return STORE_BESIDE[2](h, ip, left, tag, e, va)
    (<uint32_t*>(e.addend + va))[0] = <uint32_t>h.x[ip.rs2]
    return then_addi_slot(h, ip, left, tag, dtlb)

cdef int op_sd_addi(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                    Widths *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).store, va)
    if e.tag != (va & ~<uint64_t>0xff8):
        return STORE_BESIDE[3](h, ip, left, tag, e, va)
    (<uint64_t*>(e.addend + va))[0] = h.x[ip.rs2]
    return then_addi_slot(h, ip, left, tag, dtlb)


# ---- an add, then the load in the next slot (fuse_pairs: an indexed load).  ip moves to the
# load's own slot before the access, so its slow half is the plain load's.

cdef int op_add_lw(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                   Widths *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + h.x[ip.rs2]
    if Widths is Len24 or Widths is Len44:
        return op_lw(h, second(ip, dtlb), left, tag, <Len4*>dtlb)
    else:
        return op_lw(h, second(ip, dtlb), left, tag, <Len2*>dtlb)

cdef int op_add_ld(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                   Widths *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + h.x[ip.rs2]
    if Widths is Len24 or Widths is Len44:
        return op_ld(h, second(ip, dtlb), left, tag, <Len4*>dtlb)
    else:
        return op_ld(h, second(ip, dtlb), left, tag, <Len2*>dtlb)

cdef int op_add_lbu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                    Widths *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + h.x[ip.rs2]
    if Widths is Len24 or Widths is Len44:
        return op_lbu(h, second(ip, dtlb), left, tag, <Len4*>dtlb)
    else:
        return op_lbu(h, second(ip, dtlb), left, tag, <Len2*>dtlb)


# ---- two ld or two sd in a row (fuse_pairs: registers restored or saved).  The second reuses
# the first's TLB entry when it is in the same page; ip moves to the second's own slot before its
# access, so its slow half is the plain one's.

cdef int op_ld_ld(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Widths *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).load, va)
    if e.tag != (va & ~<uint64_t>0xff8):
        return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = (<uint64_t*>(e.addend + va))[0]
    ip = second(ip, dtlb)
    va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    if e.tag != (va & ~<uint64_t>0xff8):
        e = tlb_entry(data_tlb(dtlb).load, va)
        if e.tag != (va & ~<uint64_t>0xff8):
            return mem_then(h, ip, left, tag, dtlb, va)
    h.x[ip.rd] = (<uint64_t*>(e.addend + va))[0]
    return after_second(h, ip, left, tag, dtlb)

cdef int op_sd_sd(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Widths *dtlb) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).store, va)
    if e.tag != (va & ~<uint64_t>0xff8):
        return STORE_BESIDE[3](h, ip, left, tag, e, va)
    (<uint64_t*>(e.addend + va))[0] = h.x[ip.rs2]
    ip = second(ip, dtlb)
    va = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    if e.tag != (va & ~<uint64_t>0xff8):
        e = tlb_entry(data_tlb(dtlb).store, va)
        if e.tag != (va & ~<uint64_t>0xff8):
            return STORE_BESIDE[3](h, ip, left, tag, e, va)
    (<uint64_t*>(e.addend + va))[0] = h.x[ip.rs2]
    return after_second(h, ip, left, tag, dtlb)


# ---- AMOs (not LR/SC): inline when the store-TLB entry maps the aligned word or doubleword
# (plain RAM: no decoded code, no page table, no device) and the AMO would not spin; anything
# else (a miss, misaligned, a taken lock) in the slow half, exec_atomic, with nothing done here.

cdef inline int amo_inline(Hart *h, Insn *ip, uint64_t left, uint64_t tag, Width *dtlb,
                           int word) noexcept nogil:
    cdef uint64_t va = h.x[ip.rs1], old, new
    cdef TlbEntry *e = tlb_entry(data_tlb(dtlb).store, va)
    cdef uint8_t *p = <uint8_t*>(e.addend + va)
    if e.tag != (va & ~(<uint64_t>0xfff ^ (3 if word else 7))):
        return op_slow(h, ip, left, tag, <Len2*>dtlb)
    old = (<uint32_t*>p)[0] if word else (<uint64_t*>p)[0]
    new = amo_alu(ip.op, old, h.x[ip.rs2], word)
    if amo_spins(ip.op, old, new):
        return op_slow(h, ip, left, tag, <Len2*>dtlb)
    amo_commit(h, ip, p, word, old, new)
    return next_slot(h, ip, left, tag, dtlb)

cdef int op_amo_w(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    return amo_inline(h, ip, left, tag, dtlb, 1)

cdef int op_amo_d(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    return amo_inline(h, ip, left, tag, dtlb, 0)


# ---- CSRs: csrr of a trap-handling CSR (IF_CSRR: no side effect) and csrs/csrc of sstatus's SIE
# alone (IF_SIE: spinlocks) inline when csr_read / sie_set / sie_clear allow; anything else in
# the slow half (exec_system).  Fences: stores keep decoded code coherent, so fence.i has nothing
# to do.

cdef int op_csrrs(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    if (ip.flags & IF_CSRR) and csr_read(h, ip.imm & 0xfff, &h.run_v) == CSR_OK:
        h.x[ip.rd] = h.run_v
        return next_slot(h, ip, left, tag, dtlb)
    if (ip.flags & IF_SIE) and sie_set(h, csr_source(ip, h.x)):
        return next_slot(h, ip, left, tag, dtlb)
    return op_slow(h, ip, left, tag, <Len2*>dtlb)

cdef int op_csrrsi(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                   Width *dtlb) noexcept nogil:
    if (ip.flags & IF_SIE) and sie_set(h, csr_source(ip, h.x)):
        return next_slot(h, ip, left, tag, dtlb)
    return op_slow(h, ip, left, tag, <Len2*>dtlb)

cdef int op_csrrc(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    if (ip.flags & IF_SIE) and sie_clear(h, csr_source(ip, h.x)):
        return next_slot(h, ip, left, tag, dtlb)
    return op_slow(h, ip, left, tag, <Len2*>dtlb)

cdef int op_fence(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Width *dtlb) noexcept nogil:
    return next_slot(h, ip, left, tag, dtlb)


# ---- control transfer.  A branch ends its run: the target in the page (IF_NEAR) and the
# fall-through are entered here as new runs; anything else goes back to run_hart.

cdef int op_beq(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    if h.x[ip.rs1] == h.x[ip.rs2]:
        return taken(h, ip, left, tag, dtlb)
    return enter_run(h, after(ip, dtlb), left, tag, dtlb)

cdef int op_bne(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    if h.x[ip.rs1] != h.x[ip.rs2]:
        return taken(h, ip, left, tag, dtlb)
    return enter_run(h, after(ip, dtlb), left, tag, dtlb)

cdef int op_blt(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    if <int64_t>h.x[ip.rs1] < <int64_t>h.x[ip.rs2]:
        return taken(h, ip, left, tag, dtlb)
    return enter_run(h, after(ip, dtlb), left, tag, dtlb)

cdef int op_bge(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    if <int64_t>h.x[ip.rs1] >= <int64_t>h.x[ip.rs2]:
        return taken(h, ip, left, tag, dtlb)
    return enter_run(h, after(ip, dtlb), left, tag, dtlb)

cdef int op_bltu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    if h.x[ip.rs1] < h.x[ip.rs2]:
        return taken(h, ip, left, tag, dtlb)
    return enter_run(h, after(ip, dtlb), left, tag, dtlb)

cdef int op_bgeu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    if h.x[ip.rs1] >= h.x[ip.rs2]:
        return taken(h, ip, left, tag, dtlb)
    return enter_run(h, after(ip, dtlb), left, tag, dtlb)

# addi then a branch (fuse_pairs: a loop's step and test): ip moves to the branch's own slot,
# which stays decoded as itself

cdef int op_addi_beq(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                     Widths *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    if Widths is Len24 or Widths is Len44:
        return op_beq(h, second(ip, dtlb), left, tag, <Len4*>dtlb)
    else:
        return op_beq(h, second(ip, dtlb), left, tag, <Len2*>dtlb)

cdef int op_addi_bne(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                     Widths *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    if Widths is Len24 or Widths is Len44:
        return op_bne(h, second(ip, dtlb), left, tag, <Len4*>dtlb)
    else:
        return op_bne(h, second(ip, dtlb), left, tag, <Len2*>dtlb)

cdef int op_addi_blt(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                     Widths *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    if Widths is Len24 or Widths is Len44:
        return op_blt(h, second(ip, dtlb), left, tag, <Len4*>dtlb)
    else:
        return op_blt(h, second(ip, dtlb), left, tag, <Len2*>dtlb)

cdef int op_addi_bge(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                     Widths *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    if Widths is Len24 or Widths is Len44:
        return op_bge(h, second(ip, dtlb), left, tag, <Len4*>dtlb)
    else:
        return op_bge(h, second(ip, dtlb), left, tag, <Len2*>dtlb)

cdef int op_addi_bltu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                      Widths *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    if Widths is Len24 or Widths is Len44:
        return op_bltu(h, second(ip, dtlb), left, tag, <Len4*>dtlb)
    else:
        return op_bltu(h, second(ip, dtlb), left, tag, <Len2*>dtlb)

cdef int op_addi_bgeu(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                      Widths *dtlb) noexcept nogil:
    h.x[ip.rd] = h.x[ip.rs1] + <uint64_t><int64_t>ip.imm
    if Widths is Len24 or Widths is Len44:
        return op_bgeu(h, second(ip, dtlb), left, tag, <Len4*>dtlb)
    else:
        return op_bgeu(h, second(ip, dtlb), left, tag, <Len2*>dtlb)

cdef int op_jal(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                Width *dtlb) noexcept nogil:
    h.x[ip.rd] = tag + ip.off + (4 if Width is Len4 else 2)
    return taken(h, ip, left, tag, dtlb)

cdef int op_jalr(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                 Width *dtlb) noexcept nogil:
    cdef uint64_t target = (h.x[ip.rs1] + <uint64_t><int64_t>ip.imm) & ~<uint64_t>1
    h.x[ip.rd] = tag + ip.off + (4 if Width is Len4 else 2)
    return jump_to(h, target, left, tag, dtlb)

cdef int op_page_end(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                     Len2 *dtlb) noexcept nogil:
    return jump_to(h, tag + ip.off, left, tag, dtlb)


# ---- the table, and a check that its calls are jumps -------------------------------------------

cdef extern from *:
    """
    #define rv_stack_here() ((uint64_t)(uintptr_t)__builtin_frame_address(0))
    """
    uint64_t rv_stack_here() nogil

cdef int op_probe(Hart *h, Insn *ip, uint64_t left, uint64_t tag,
                  Len2 *dtlb) noexcept nogil:
    """The end of check_tail_calls' chains: where the host stack is."""
    h.run_v = rv_stack_here()
    return 0

cdef void check_tail_calls() except *:
    """ImportError unless the compiler made the handlers' tail calls jumps: a chain of 4,096 addi
    must end as high on the host stack as a chain of none.  (Built otherwise, every guest
    instruction would take host stack, and a long guest loop would overflow it.)"""
    cdef int n = 4096, i
    cdef Hart *h = <Hart*>calloc(1, sizeof(Hart))
    cdef Insn *code = <Insn*>calloc(n + 1, sizeof(Insn))
    cdef uint64_t shallow, deep
    if h == NULL or code == NULL:
        free(h)
        free(code)
        raise MemoryError()
    for i in range(n):
        slot_set_op(&code[i], OP_ADDI)
        code[i].rd = 32
        code[i].step = sizeof(Insn)
    code[n].fn = <void*>op_probe
    dispatch(h, &code[n], 0, 0, NULL)
    shallow = h.run_v
    dispatch(h, &code[0], 0, 0, NULL)
    deep = h.run_v
    free(code)
    free(h)
    if shallow - deep > 4096:
        raise ImportError("rvemu._core was compiled without tail calls (a chain of 4,096 guest "
                          f"instructions took {shallow - deep} bytes of host stack): build it "
                          "with gcc or clang at -O2, or -O1 -foptimize-sibling-calls")


cdef void single(int op, handler_t len2, handler_t len4) noexcept nogil:
    """op's handlers for an instruction of 2 bytes and of 4."""
    HANDLERS[0][op] = HANDLERS[1][op] = len2
    HANDLERS[2][op] = HANDLERS[3][op] = len4

cdef void pair(int op, handler_t len22, handler_t len24, handler_t len42,
               handler_t len44) noexcept nogil:
    """Fused op's handlers for each length of its first instruction and its second."""
    HANDLERS[0][op] = len22
    HANDLERS[1][op] = len24
    HANDLERS[2][op] = len42
    HANDLERS[3][op] = len44

cdef void handlers_init() noexcept nogil:
    cdef int i
    for i in range(256):
        single(i, op_slow, op_slow)
    single(OP_ADDI, op_addi[Len2], <handler_t>op_addi[Len4])
    single(OP_LUI, op_lui[Len2], <handler_t>op_lui[Len4])
    single(OP_AUIPC, op_auipc[Len2], <handler_t>op_auipc[Len4])
    single(OP_SLTI, op_slti[Len2], <handler_t>op_slti[Len4])
    single(OP_SLTIU, op_sltiu[Len2], <handler_t>op_sltiu[Len4])
    single(OP_XORI, op_xori[Len2], <handler_t>op_xori[Len4])
    single(OP_ORI, op_ori[Len2], <handler_t>op_ori[Len4])
    single(OP_ANDI, op_andi[Len2], <handler_t>op_andi[Len4])
    single(OP_SLLI, op_slli[Len2], <handler_t>op_slli[Len4])
    single(OP_SRLI, op_srli[Len2], <handler_t>op_srli[Len4])
    single(OP_SRAI, op_srai[Len2], <handler_t>op_srai[Len4])
    single(OP_ADDIW, op_addiw[Len2], <handler_t>op_addiw[Len4])
    single(OP_SLLIW, op_slliw[Len2], <handler_t>op_slliw[Len4])
    single(OP_SRLIW, op_srliw[Len2], <handler_t>op_srliw[Len4])
    single(OP_SRAIW, op_sraiw[Len2], <handler_t>op_sraiw[Len4])
    single(OP_ADD, op_add[Len2], <handler_t>op_add[Len4])
    single(OP_SUB, op_sub[Len2], <handler_t>op_sub[Len4])
    single(OP_SLL, op_sll[Len2], <handler_t>op_sll[Len4])
    single(OP_SLT, op_slt[Len2], <handler_t>op_slt[Len4])
    single(OP_SLTU, op_sltu[Len2], <handler_t>op_sltu[Len4])
    single(OP_XOR, op_xor[Len2], <handler_t>op_xor[Len4])
    single(OP_SRL, op_srl[Len2], <handler_t>op_srl[Len4])
    single(OP_SRA, op_sra[Len2], <handler_t>op_sra[Len4])
    single(OP_OR, op_or[Len2], <handler_t>op_or[Len4])
    single(OP_AND, op_and[Len2], <handler_t>op_and[Len4])
    single(OP_ADDW, op_addw[Len2], <handler_t>op_addw[Len4])
    single(OP_SUBW, op_subw[Len2], <handler_t>op_subw[Len4])
    single(OP_SLLW, op_sllw[Len2], <handler_t>op_sllw[Len4])
    single(OP_SRLW, op_srlw[Len2], <handler_t>op_srlw[Len4])
    single(OP_SRAW, op_sraw[Len2], <handler_t>op_sraw[Len4])
    single(OP_MUL, op_mul[Len2], <handler_t>op_mul[Len4])
    single(OP_MULH, op_mulh[Len2], <handler_t>op_mulh[Len4])
    single(OP_MULHSU, op_mulhsu[Len2], <handler_t>op_mulhsu[Len4])
    single(OP_MULHU, op_mulhu[Len2], <handler_t>op_mulhu[Len4])
    single(OP_DIV, op_div[Len2], <handler_t>op_div[Len4])
    single(OP_DIVU, op_divu[Len2], <handler_t>op_divu[Len4])
    single(OP_REM, op_rem[Len2], <handler_t>op_rem[Len4])
    single(OP_REMU, op_remu[Len2], <handler_t>op_remu[Len4])
    single(OP_MULW, op_mulw[Len2], <handler_t>op_mulw[Len4])
    single(OP_DIVW, op_divw[Len2], <handler_t>op_divw[Len4])
    single(OP_DIVUW, op_divuw[Len2], <handler_t>op_divuw[Len4])
    single(OP_REMW, op_remw[Len2], <handler_t>op_remw[Len4])
    single(OP_REMUW, op_remuw[Len2], <handler_t>op_remuw[Len4])
    single(OP_LD, op_ld[Len2], <handler_t>op_ld[Len4])
    single(OP_LW, op_lw[Len2], <handler_t>op_lw[Len4])
    single(OP_LWU, op_lwu[Len2], <handler_t>op_lwu[Len4])
    single(OP_LH, op_lh[Len2], <handler_t>op_lh[Len4])
    single(OP_LHU, op_lhu[Len2], <handler_t>op_lhu[Len4])
    single(OP_LB, op_lb[Len2], <handler_t>op_lb[Len4])
    single(OP_LBU, op_lbu[Len2], <handler_t>op_lbu[Len4])
    single(OP_SD, op_sd[Len2], <handler_t>op_sd[Len4])
    single(OP_SW, op_sw[Len2], <handler_t>op_sw[Len4])
    single(OP_SH, op_sh[Len2], <handler_t>op_sh[Len4])
    single(OP_SB, op_sb[Len2], <handler_t>op_sb[Len4])
    pair(OP_LW_ADDI, <handler_t>op_lw_addi[Len22], <handler_t>op_lw_addi[Len24],
         <handler_t>op_lw_addi[Len42], <handler_t>op_lw_addi[Len44])
    pair(OP_LD_ADDI, <handler_t>op_ld_addi[Len22], <handler_t>op_ld_addi[Len24],
         <handler_t>op_ld_addi[Len42], <handler_t>op_ld_addi[Len44])
    pair(OP_LBU_ADDI, <handler_t>op_lbu_addi[Len22], <handler_t>op_lbu_addi[Len24],
         <handler_t>op_lbu_addi[Len42], <handler_t>op_lbu_addi[Len44])
    pair(OP_SB_ADDI, <handler_t>op_sb_addi[Len22], <handler_t>op_sb_addi[Len24],
         <handler_t>op_sb_addi[Len42], <handler_t>op_sb_addi[Len44])
    pair(OP_SW_ADDI, <handler_t>op_sw_addi[Len22], <handler_t>op_sw_addi[Len24],
         <handler_t>op_sw_addi[Len42], <handler_t>op_sw_addi[Len44])
    pair(OP_SD_ADDI, <handler_t>op_sd_addi[Len22], <handler_t>op_sd_addi[Len24],
         <handler_t>op_sd_addi[Len42], <handler_t>op_sd_addi[Len44])
    pair(OP_ADD_LW, <handler_t>op_add_lw[Len22], <handler_t>op_add_lw[Len24],
         <handler_t>op_add_lw[Len42], <handler_t>op_add_lw[Len44])
    pair(OP_ADD_LD, <handler_t>op_add_ld[Len22], <handler_t>op_add_ld[Len24],
         <handler_t>op_add_ld[Len42], <handler_t>op_add_ld[Len44])
    pair(OP_ADD_LBU, <handler_t>op_add_lbu[Len22], <handler_t>op_add_lbu[Len24],
         <handler_t>op_add_lbu[Len42], <handler_t>op_add_lbu[Len44])
    pair(OP_LD_LD, <handler_t>op_ld_ld[Len22], <handler_t>op_ld_ld[Len24],
         <handler_t>op_ld_ld[Len42], <handler_t>op_ld_ld[Len44])
    pair(OP_SD_SD, <handler_t>op_sd_sd[Len22], <handler_t>op_sd_sd[Len24],
         <handler_t>op_sd_sd[Len42], <handler_t>op_sd_sd[Len44])
    for i in range(256):
        if is_atomic(i) and i != OP_LR_W and i != OP_LR_D and i != OP_SC_W and i != OP_SC_D:
            if atomic_word(i):
                single(i, op_amo_w[Len2], <handler_t>op_amo_w[Len4])
            else:
                single(i, op_amo_d[Len2], <handler_t>op_amo_d[Len4])
    single(OP_CSRRS, op_csrrs[Len2], <handler_t>op_csrrs[Len4])
    single(OP_CSRRSI, op_csrrsi[Len2], <handler_t>op_csrrsi[Len4])
    single(OP_CSRRC, op_csrrc[Len2], <handler_t>op_csrrc[Len4])
    single(OP_CSRRCI, op_csrrc[Len2], <handler_t>op_csrrc[Len4])
    single(OP_FENCE, op_fence[Len2], <handler_t>op_fence[Len4])
    single(OP_FENCE_I, op_fence[Len2], <handler_t>op_fence[Len4])
    single(OP_BEQ, op_beq[Len2], <handler_t>op_beq[Len4])
    single(OP_BNE, op_bne[Len2], <handler_t>op_bne[Len4])
    single(OP_BLT, op_blt[Len2], <handler_t>op_blt[Len4])
    single(OP_BGE, op_bge[Len2], <handler_t>op_bge[Len4])
    single(OP_BLTU, op_bltu[Len2], <handler_t>op_bltu[Len4])
    single(OP_BGEU, op_bgeu[Len2], <handler_t>op_bgeu[Len4])
    pair(OP_ADDI_BEQ, <handler_t>op_addi_beq[Len22], <handler_t>op_addi_beq[Len24],
         <handler_t>op_addi_beq[Len42], <handler_t>op_addi_beq[Len44])
    pair(OP_ADDI_BNE, <handler_t>op_addi_bne[Len22], <handler_t>op_addi_bne[Len24],
         <handler_t>op_addi_bne[Len42], <handler_t>op_addi_bne[Len44])
    pair(OP_ADDI_BLT, <handler_t>op_addi_blt[Len22], <handler_t>op_addi_blt[Len24],
         <handler_t>op_addi_blt[Len42], <handler_t>op_addi_blt[Len44])
    pair(OP_ADDI_BGE, <handler_t>op_addi_bge[Len22], <handler_t>op_addi_bge[Len24],
         <handler_t>op_addi_bge[Len42], <handler_t>op_addi_bge[Len44])
    pair(OP_ADDI_BLTU, <handler_t>op_addi_bltu[Len22], <handler_t>op_addi_bltu[Len24],
         <handler_t>op_addi_bltu[Len42], <handler_t>op_addi_bltu[Len44])
    pair(OP_ADDI_BGEU, <handler_t>op_addi_bgeu[Len22], <handler_t>op_addi_bgeu[Len24],
         <handler_t>op_addi_bgeu[Len42], <handler_t>op_addi_bgeu[Len44])
    single(OP_JAL, op_jal[Len2], <handler_t>op_jal[Len4])
    single(OP_JALR, op_jalr[Len2], <handler_t>op_jalr[Len4])
    single(OP_PAGE_END, op_page_end, op_page_end)
    STORE_BESIDE[0] = store_then_b
    STORE_BESIDE[1] = store_then_h
    STORE_BESIDE[2] = store_then_w
    STORE_BESIDE[3] = store_then_d

handlers_init()
check_tail_calls()

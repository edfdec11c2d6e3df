/* Shared definitions for the bare-metal test programs (assembly and C).
 *
 * Conventions (see runtime.S for the code behind them):
 *
 *   gp (x3)   holds the number of the test case being run.  `fail` reports it as the exit code
 *             (HTIF tohost = (gp << 1) | 1), `pass` reports 0.  Test numbers are 1..254 (QEMU's
 *             exit status is only 8 bits wide) and unique within a program (each case defines
 *             the label test_<num>, so a duplicate number is an assembly error).
 *   t4,t5,t6  are scratch registers of the checking macros; test code uses a0-a7, s0-s11,
 *             t0-t3 and ra.  The trap handlers preserve every register.
 *   numeric labels 90..99 are used inside the macros; test code uses 1..89.
 *
 * Traps: mtvec = rt_mtrap (direct mode) and stvec = rt_strap at start-up.  Both handlers
 * record the trap in the shared block `trap_frame` (cause, epc, tval, status, the mode that
 * took it, a counter, a log of the first 8 causes) and then:
 *   - for an exception: if TF_RESUME is set, continue there (clearing it) in the privilege the
 *     trap came from -- or in the handler's own privilege, with its interrupts disabled
 *     (MIE = 0 / SIE = 0), when TF_RESUME_UP is set; otherwise the trap was unexpected:
 *     print it on the console and `fail`.
 *   - for an interrupt: clear its enable bit (mie / sie) so that it is not taken again, then
 *     continue at TF_RESUME if set, else at the interrupted pc.
 * mscratch and sscratch must keep pointing at trap_frame (RESTORE_SCRATCH puts them back).
 */
#ifndef BAREMETAL_TEST_MACROS_H
#define BAREMETAL_TEST_MACROS_H

/* ---------------------------------------------------------------- constants ---------------- */

#define PRV_U 0
#define PRV_S 1
#define PRV_M 3

#define MSTATUS_SIE   (1 << 1)
#define MSTATUS_MIE   (1 << 3)
#define MSTATUS_SPIE  (1 << 5)
#define MSTATUS_MPIE  (1 << 7)
#define MSTATUS_SPP   (1 << 8)
#define MSTATUS_MPP   (3 << 11)
#define MSTATUS_MPP_S (1 << 11)
#define MSTATUS_MPRV  (1 << 17)
#define MSTATUS_SUM   (1 << 18)
#define MSTATUS_MXR   (1 << 19)
#define MSTATUS_TVM   (1 << 20)
#define MSTATUS_TW    (1 << 21)
#define MSTATUS_TSR   (1 << 22)

#define IRQ_SSI 1
#define IRQ_MSI 3
#define IRQ_STI 5
#define IRQ_MTI 7
#define IRQ_SEI 9
#define IRQ_MEI 11
#define MIP_SSIP (1 << IRQ_SSI)
#define MIP_MSIP (1 << IRQ_MSI)
#define MIP_STIP (1 << IRQ_STI)
#define MIP_MTIP (1 << IRQ_MTI)
#define MIP_SEIP (1 << IRQ_SEI)
#define MIP_MEIP (1 << IRQ_MEI)
#define CAUSE_INTERRUPT (1 << 63)

#define CAUSE_MISALIGNED_FETCH 0
#define CAUSE_FETCH_ACCESS     1
#define CAUSE_ILLEGAL          2
#define CAUSE_BREAKPOINT       3
#define CAUSE_MISALIGNED_LOAD  4
#define CAUSE_LOAD_ACCESS      5
#define CAUSE_MISALIGNED_STORE 6
#define CAUSE_STORE_ACCESS     7
#define CAUSE_ECALL_U          8
#define CAUSE_ECALL_S          9
#define CAUSE_ECALL_M          11
#define CAUSE_FETCH_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT  13
#define CAUSE_STORE_PAGE_FAULT 15

#define SATP_SV39 (8 << 60)
#define PTE_V (1 << 0)
#define PTE_R (1 << 1)
#define PTE_W (1 << 2)
#define PTE_X (1 << 3)
#define PTE_U (1 << 4)
#define PTE_G (1 << 5)
#define PTE_A (1 << 6)
#define PTE_D (1 << 7)

#define MENVCFG_STCE (1 << 63)

/* trap_frame layout (bytes).  The first part is the record of the last trap. */
#define TF_CAUSE      0    /* mcause / scause */
#define TF_EPC        8
#define TF_TVAL       16
#define TF_COUNT      24   /* traps taken since the last EXPECT_TRAP / CLEAR_TRAPS */
#define TF_RESUME     32   /* where to continue after an exception (0 = unexpected) */
#define TF_RESUME_UP  40   /* non-zero: continue in the handler's privilege, not the trapped one */
#define TF_MODE       48   /* 3 = taken by the M handler, 1 = by the S handler */
#define TF_STATUS     56   /* mstatus / sstatus as seen by the handler */
#define TF_USER       64   /* 64..127: free for the programs (vector stubs and such) */
#define TF_LOG        128  /* causes of the first 8 traps since the count was cleared */
#define TF_LOGMODE    192  /* ...and the mode (3 / 1) of the handler that took each */
#define TF_MSAVE      256  /* register save area of the M handler */
#define TF_SSAVE      384  /* register save area of the S handler */
#define TF_SIZE       512

/* ------------------------------------------------------------- assembly macros ------------ */
#ifdef __ASSEMBLER__

/* Program skeleton: runtime.S calls main (in M-mode, after setting up traps and PMP). */
#define TEST_BEGIN  .text; .globl main; .balign 4; main:
#define TEST_END    j pass

/* Start test case `num`. */
#define TEST_NUM(num) \
    .if ((num) < 1) || ((num) > 254); .error "test number must be 1..254"; .endif; \
    test_##num: li gp, num

/* Compare register `reg` with the constant `val`; jump to fail when different. */
#define CHECK(reg, val) \
    li t6, val; beq reg, t6, 99f; j fail; 99:

/* Compare register `reg` with the address of `sym`. */
#define CHECK_ADDR(reg, sym) \
    la t6, sym; beq reg, t6, 99f; j fail; 99:

/* Compare two registers. */
#define CHECK_REG(reg, reg2) \
    beq reg, reg2, 99f; j fail; 99:

/* Generic case: run `code...`, then `reg` must equal `expected`. */
#define TEST_CASE(num, reg, expected, code...) \
    TEST_NUM(num); code; CHECK(reg, expected)

/* rd = insn(rs1=a, rs2=b), three distinct registers. */
#define TEST_RR(num, insn, expected, a, b) \
    TEST_NUM(num); li a0, a; li a1, b; insn a2, a0, a1; CHECK(a2, expected); \
    CHECK(a0, a); CHECK(a1, b)

/* rd == rs1. */
#define TEST_RR_DEST1(num, insn, expected, a, b) \
    TEST_NUM(num); li a0, a; li a1, b; insn a0, a0, a1; CHECK(a0, expected)

/* rd == rs2. */
#define TEST_RR_DEST2(num, insn, expected, a, b) \
    TEST_NUM(num); li a0, a; li a1, b; insn a1, a0, a1; CHECK(a1, expected)

/* rd == rs1 == rs2. */
#define TEST_RR_SAME(num, insn, expected, a) \
    TEST_NUM(num); li a0, a; insn a0, a0, a0; CHECK(a0, expected)

/* x0 as rs1 / rs2 / rd. */
#define TEST_RR_ZERO1(num, insn, expected, b) \
    TEST_NUM(num); li a1, b; insn a2, x0, a1; CHECK(a2, expected)
#define TEST_RR_ZERO2(num, insn, expected, a) \
    TEST_NUM(num); li a0, a; insn a2, a0, x0; CHECK(a2, expected)
#define TEST_RR_ZERODEST(num, insn, a, b) \
    TEST_NUM(num); li a0, a; li a1, b; insn x0, a0, a1; CHECK(x0, 0)

/* rd = insn(rs1=a, imm). */
#define TEST_IMM(num, insn, expected, a, imm) \
    TEST_NUM(num); li a0, a; insn a2, a0, imm; CHECK(a2, expected); CHECK(a0, a)
#define TEST_IMM_DEST1(num, insn, expected, a, imm) \
    TEST_NUM(num); li a0, a; insn a0, a0, imm; CHECK(a0, expected)
#define TEST_IMM_ZERO1(num, insn, expected, imm) \
    TEST_NUM(num); insn a2, x0, imm; CHECK(a2, expected)
#define TEST_IMM_ZERODEST(num, insn, a, imm) \
    TEST_NUM(num); li a0, a; insn x0, a0, imm; CHECK(x0, 0)

/* Load from sym+off and compare. */
#define TEST_LOAD(num, insn, expected, sym, off) \
    TEST_NUM(num); la a0, sym; insn a2, off(a0); CHECK(a2, expected)

/* Store `value` to sym+off with `st`, read it back with `ld`, compare with `expected`. */
#define TEST_STORE(num, st, ld, expected, value, sym, off) \
    TEST_NUM(num); la a0, sym; li a1, value; st a1, off(a0); ld a2, off(a0); CHECK(a2, expected)

/* Branch taken / not taken with rs1=a, rs2=b. */
#define TEST_BR_TAKEN(num, insn, a, b) \
    TEST_NUM(num); li a0, a; li a1, b; insn a0, a1, 98f; j fail; 98:
#define TEST_BR_NOTTAKEN(num, insn, a, b) \
    TEST_NUM(num); li a0, a; li a1, b; insn a0, a1, 97f; j 98f; 97: j fail; 98:

/* ---- traps ---- */

/* Arm the handlers: the next exception continues at `resume`. Clears the trap record. */
#define EXPECT_TRAP(resume) \
    la t6, trap_frame; la t5, resume; sd t5, TF_RESUME(t6); \
    sd zero, TF_COUNT(t6); li t5, -1; sd t5, TF_CAUSE(t6); sd zero, TF_RESUME_UP(t6)

/* Disarm (use after code that was expected to trap but might not have). */
#define CLEAR_TRAPS \
    la t6, trap_frame; sd zero, TF_RESUME(t6); sd zero, TF_COUNT(t6); \
    li t5, -1; sd t5, TF_CAUSE(t6); sd zero, TF_RESUME_UP(t6)

/* Exactly `n` traps were taken since EXPECT_TRAP / CLEAR_TRAPS. */
#define CHECK_TRAP_COUNT(n) \
    la t5, trap_frame; ld t4, TF_COUNT(t5); CHECK(t4, n)

/* The recorded trap had this cause / tval / epc / handler mode. */
#define CHECK_CAUSE(cause) \
    la t5, trap_frame; ld t4, TF_CAUSE(t5); CHECK(t4, cause)
#define CHECK_TVAL(val) \
    la t5, trap_frame; ld t4, TF_TVAL(t5); CHECK(t4, val)
#define CHECK_TVAL_ADDR(sym) \
    la t5, trap_frame; ld t4, TF_TVAL(t5); CHECK_ADDR(t4, sym)
#define CHECK_TVAL_REG(reg) \
    la t5, trap_frame; ld t4, TF_TVAL(t5); CHECK_REG(t4, reg)
/* mtval holds the bits of the 32-bit instruction at `sym` (the spec also allows 0; rvemu
 * and QEMU write the instruction). */
#define CHECK_TVAL_INSN(sym) \
    la t4, sym; lwu t4, 0(t4); la t5, trap_frame; ld t5, TF_TVAL(t5); CHECK_REG(t4, t5)
#define CHECK_EPC_ADDR(sym) \
    la t5, trap_frame; ld t4, TF_EPC(t5); CHECK_ADDR(t4, sym)
#define CHECK_MODE(mode) \
    la t5, trap_frame; ld t4, TF_MODE(t5); CHECK(t4, mode)
/* Trap number i (0-based, < 8) since the count was cleared had this cause / handler mode. */
#define CHECK_LOG(i, cause, mode) \
    la t5, trap_frame; ld t4, (TF_LOG + 8 * (i))(t5); CHECK(t4, cause); \
    ld t4, (TF_LOGMODE + 8 * (i))(t5); CHECK(t4, mode)

/* Test case: `code...` must raise exactly one exception with `cause` at its first
 * instruction (label 96b afterwards).  Execution continues after the case. */
#define TEST_TRAP(num, cause, code...) \
    TEST_NUM(num); EXPECT_TRAP(98f); 96: code; j fail; 98: \
    CHECK_TRAP_COUNT(1); CHECK_CAUSE(cause); CHECK_EPC_ADDR(96b)

/* Same, and the exception's tval must be `tval` / the address of `sym`. */
#define TEST_TRAP_TVAL(num, cause, tval, code...) \
    TEST_TRAP(num, cause, code); CHECK_TVAL(tval)

/* Test case: the 32-bit instruction `code` is illegal here (cause 2, mtval = its bits). */
#define TEST_ILLEGAL(num, code...) \
    TEST_TRAP(num, CAUSE_ILLEGAL, code); CHECK_TVAL_INSN(96b)

/* Switch privilege from M: continue at `target` in mode `priv` (clobbers t5/t6). */
#define GOTO_PRIV(priv, target) \
    li t6, MSTATUS_MPP; csrc mstatus, t6; li t6, ((priv) << 11); csrs mstatus, t6; \
    la t6, target; csrw mepc, t6; mret
#define GOTO_S(target) GOTO_PRIV(PRV_S, target)
#define GOTO_U(target) GOTO_PRIV(PRV_U, target)

/* Switch from S to U with sret. */
#define SGOTO_U(target) \
    li t6, MSTATUS_SPP; csrc sstatus, t6; la t6, target; csrw sepc, t6; sret

/* From S or U, go back to M-mode (an ecall that the M handler turns into a return in M, with
 * mstatus.MIE = 0).  ecall must not be delegated. */
#define GOTO_M \
    la t6, trap_frame; la t5, 95f; sd t5, TF_RESUME(t6); li t5, 1; sd t5, TF_RESUME_UP(t6); \
    ecall; 95:

/* From U, go back to S-mode with sstatus.SIE = 0 (ecall from U must be delegated to S). */
#define GOTO_S_FROM_U GOTO_M

/* Put mscratch / sscratch back after a test used them. */
#define RESTORE_SCRATCH \
    la t6, trap_frame; csrw mscratch, t6; csrw sscratch, t6

#endif /* __ASSEMBLER__ */

/* ------------------------------------------------------------- C declarations ------------- */
#ifndef __ASSEMBLER__
void rt_putchar(int ch);
void rt_puts(const char *s);
void rt_puthex(unsigned long v);
void rt_exit(long code) __attribute__((noreturn));
#endif

#endif /* BAREMETAL_TEST_MACROS_H */

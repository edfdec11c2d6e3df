// Sv39 address translation.  M-mode builds the page tables, turns on satp and runs short
// probe routines in S or U mode (a load, a store, an AMO or a jump at a virtual address,
// then ecall back to M); the M handler reports how each probe ended.
//
// Covered: permissions R / W / X, the reserved W-without-R encodings, invalid PTEs, a pointer
// PTE at level 0, reserved PTE bits (54..63), U pages (S cannot fetch them; S loads / stores
// need sstatus.SUM; U cannot touch non-U pages), MXR, 2 MiB and 1 GiB superpages and their
// alignment rule, non-canonical addresses, hardware-updated A and D bits (never set by a
// faulting access), sfence.vma after PTE changes (from M and from S), MPRV with MPP = S / U,
// page faults 12 / 13 / 15 with the faulting address in mtval, and instruction fetches and
// misaligned loads that straddle a page boundary (mtval = the address of the faulting part).
// @isa: rv64imac
#include "test_macros.h"

#define VA(i) (0x40000000 + (i) * 0x1000)       /* 4 KiB test pages, table l0v */
#define MEGA_VA      0x00200000                 /* 2 MiB page -> PA 0x80200000 */
#define MEGA_PA      0x80200000
#define MEGA_BAD_VA  0x00400000                 /* 2 MiB leaf with a misaligned PPN */
#define MEGA_NOAD_VA 0x00600000                 /* 2 MiB page without A / D -> PA 0x80400000 */
#define GIGA_VA      0xc0000000                 /* 1 GiB alias of 0x80000000 */
#define GIGA_BAD_VA  0x100000000                /* 1 GiB leaf with a misaligned PPN */

#define LEAF_RWAD (PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
#define LEAF_ALL  (PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)

/* page indices in l0v */
#define P_RW      0
#define P_RO      1
#define P_XO      2
#define P_RX      3
#define P_WO      4     /* W without R: reserved */
#define P_WX      5     /* W+X without R: reserved */
#define P_URW     6
#define P_URX     7     /* the U probe page */
#define P_NOA     8
#define P_NOD     9
#define P_INV     10
#define P_PTR     11    /* pointer (non-leaf) PTE at level 0 */
#define P_RES54   12
#define P_XNOA    13
#define P_REMAP   14
#define P_CROSS   15    /* executable, followed by the invalid page 16 */
#define P_URO     17
#define P_UXO     18
#define P_PBMT    19
#define P_NAPOT   20
#define P_RONOA   21
#define P_CROSS2  22    /* executable, followed by the executable page 23 */
#define P_GLOBAL  24
#define P_CEND    26    /* executable, ends with a 16-bit instruction; page 27 invalid */

/* table[index] = leaf / pointer for physical address `pa` (a register) with `flags` */
#define SET_PTE_REG(table, index, pa, flags) \
    srli t0, pa, 12; slli t0, t0, 10; li t1, flags; or t0, t0, t1; la t1, table; \
    li t2, (index) * 8; add t1, t1, t2; sd t0, 0(t1)
#define SET_PTE(table, index, sym, flags) la t3, sym; SET_PTE_REG(table, index, t3, flags)
#define SET_PTE_PA(table, index, pa, flags) li t3, pa; SET_PTE_REG(table, index, t3, flags)
/* reg = table[index] */
#define GET_PTE(reg, table, index) la reg, table; li t2, (index) * 8; add reg, reg, t2; ld reg, 0(reg)

/* Run the routine at address `entry` (a register) in mode `priv`; it ends with an ecall or
 * a trap, after which execution continues here in M-mode (MIE = 0). */
#define RUN(priv, entry) \
    la t6, trap_frame; la t5, 90f; sd t5, TF_RESUME(t6); li t5, 1; sd t5, TF_RESUME_UP(t6); \
    sd zero, TF_COUNT(t6); li t5, -1; sd t5, TF_CAUSE(t6); \
    li t5, MSTATUS_MPP; csrc mstatus, t5; li t5, (priv) << 11; csrs mstatus, t5; \
    csrw mepc, entry; mret; 90: CHECK_TRAP_COUNT(1)

/* probes in S-mode (identity-mapped code, not U) */
#define S_LOAD(addr)      li a0, addr; li a1, 0; la a3, probe_ld; RUN(PRV_S, a3)
#define S_STORE(addr, v)  li a0, addr; li a2, v; la a3, probe_sd; RUN(PRV_S, a3)
#define S_AMO(addr)       li a0, addr; li a2, 1; la a3, probe_amo; RUN(PRV_S, a3)
#define S_JUMP(addr)      li a0, addr; li a1, 0; la a3, probe_jalr; RUN(PRV_S, a3)
/* probes in U-mode: run from the U page VA(P_URX) */
#define U_PROBE(fn)       li a3, VA(P_URX); la t3, fn; la t4, upage; sub t3, t3, t4; add a3, a3, t3
#define U_LOAD(addr)      li a0, addr; li a1, 0; U_PROBE(uprobe_ld); RUN(PRV_U, a3)
#define U_STORE(addr, v)  li a0, addr; li a2, v; U_PROBE(uprobe_sd); RUN(PRV_U, a3)
#define U_JUMP(addr)      li a0, addr; li a1, 0; U_PROBE(uprobe_jalr); RUN(PRV_U, a3)

/* the probe succeeded: it reached its ecall (from S: cause 9, from U: cause 8) */
#define OK_S CHECK_CAUSE(CAUSE_ECALL_S)
#define OK_U CHECK_CAUSE(CAUSE_ECALL_U)
/* the probe faulted with `cause` at address `addr` (mtval) */
#define FAULT(cause, addr) CHECK_CAUSE(cause); CHECK_TVAL(addr)

#define CHECK_EPC_ADDR_VAL(val) la t5, trap_frame; ld t4, TF_EPC(t5); CHECK(t4, val)
#define CHECK_BITS(reg, mask, val) li t4, mask; and t4, reg, t4; CHECK(t4, val)
#define SET_MSTATUS(bits) li t4, bits; csrs mstatus, t4
#define CLR_MSTATUS(bits) li t4, bits; csrc mstatus, t4

#define D0_VAL 0x1111111111111111
#define D1_VAL 0x2222222222222222
#define D2_VAL 0x3333333333333333
#define D3_VAL 0x4444444444444444
#define MEGA_VAL 0x5555555555555555

TEST_BEGIN
    /* ---- data pages ---- */
    la a0, dpage0
    li a1, D0_VAL
    sd a1, 0(a0)
    la a0, dpage1
    li a1, D1_VAL
    sd a1, 0(a0)
    la a0, dpage2
    li a1, D2_VAL
    sd a1, 0(a0)
    la a0, dpage3
    li a1, D3_VAL
    sd a1, 0(a0)
    li a0, MEGA_PA + 0x100
    li a1, MEGA_VAL
    sd a1, 0(a0)

    /* instructions that straddle a page: cpage0 ends with the first half of
     * "addi a1, zero, 0x42" (0x04200593), cpage1 starts with the second half, then ecall */
    la a0, cpage0
    li a1, 0x0593
    li t0, 4094
    add t0, a0, t0
    sh a1, 0(t0)
    la a0, cpage1
    li a1, 0x0420
    sh a1, 0(a0)
    li a1, 0x00000073
    sh a1, 2(a0)
    srli a1, a1, 16
    sh a1, 4(a0)
    /* cpage2 ends with the 16-bit "c.li a1, 9" (0x45a5) */
    la a0, cpage2
    li a1, 0x45a5
    li t0, 4094
    add t0, a0, t0
    sh a1, 0(t0)
    fence.i

    /* ---- page tables ---- */
    SET_PTE_PA(root, 2, 0x80000000, LEAF_ALL)   /* identity 1 GiB: code and data, S only */
    SET_PTE_PA(root, 3, 0x80000000, LEAF_ALL)   /* 1 GiB alias at 0xc0000000 */
    SET_PTE_PA(root, 4, MEGA_PA, LEAF_RWAD)     /* misaligned 1 GiB leaf */
    SET_PTE(root, 1, l1v, PTE_V)
    SET_PTE(l1v, 0, l0v, PTE_V)
    SET_PTE(root, 0, l1s, PTE_V)
    SET_PTE_PA(l1s, 1, MEGA_PA, LEAF_RWAD)      /* 2 MiB at 0x200000 */
    SET_PTE_PA(l1s, 2, MEGA_PA + 0x1000, LEAF_RWAD)
    SET_PTE_PA(l1s, 3, 0x80400000, PTE_V | PTE_R | PTE_W)

    SET_PTE(l0v, P_RW, dpage0, LEAF_RWAD)
    SET_PTE(l0v, P_RO, dpage0, PTE_V | PTE_R | PTE_A)
    SET_PTE(l0v, P_XO, xpage, PTE_V | PTE_X | PTE_A)
    SET_PTE(l0v, P_RX, xpage, PTE_V | PTE_R | PTE_X | PTE_A)
    SET_PTE(l0v, P_WO, dpage0, PTE_V | PTE_W | PTE_A | PTE_D)
    SET_PTE(l0v, P_WX, xpage, PTE_V | PTE_W | PTE_X | PTE_A | PTE_D)
    SET_PTE(l0v, P_URW, dpage1, LEAF_RWAD | PTE_U)
    SET_PTE(l0v, P_URX, upage, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)
    SET_PTE(l0v, P_NOA, dpage2, PTE_V | PTE_R | PTE_W)
    SET_PTE(l0v, P_NOD, dpage3, PTE_V | PTE_R | PTE_W | PTE_A)
    SET_PTE(l0v, P_PTR, l1v, PTE_V)
    SET_PTE(l0v, P_RES54, dpage0, LEAF_RWAD | (1 << 54))
    SET_PTE(l0v, P_XNOA, xpage, PTE_V | PTE_R | PTE_X)
    SET_PTE(l0v, P_REMAP, dpage0, LEAF_RWAD)
    SET_PTE(l0v, P_CROSS, cpage0, PTE_V | PTE_R | PTE_X | PTE_A)
    SET_PTE(l0v, P_URO, dpage1, PTE_V | PTE_R | PTE_U | PTE_A)
    SET_PTE(l0v, P_UXO, upage, PTE_V | PTE_X | PTE_U | PTE_A)
    SET_PTE(l0v, P_PBMT, dpage0, LEAF_RWAD | (1 << 61))
    SET_PTE(l0v, P_NAPOT, dpage0, LEAF_RWAD | (1 << 63))
    SET_PTE(l0v, P_RONOA, dpage0, PTE_V | PTE_R)
    SET_PTE(l0v, P_CROSS2, cpage0, PTE_V | PTE_R | PTE_X | PTE_A)
    SET_PTE(l0v, P_CROSS2 + 1, cpage1, PTE_V | PTE_R | PTE_X | PTE_A)
    SET_PTE(l0v, P_GLOBAL, dpage3, LEAF_RWAD | PTE_G)
    SET_PTE(l0v, P_CEND, cpage2, PTE_V | PTE_R | PTE_X | PTE_A)

    la a0, root
    srli a0, a0, 12
    li a1, SATP_SV39
    or a0, a0, a1
    csrw satp, a0
    sfence.vma

    /* ---- basic permissions (S-mode) ---- */
    TEST_NUM(1)
    S_LOAD(VA(P_RW))
    OK_S
    CHECK(a1, D0_VAL)
    TEST_NUM(2)
    S_STORE(VA(P_RW) + 8, 0xabcdef)
    OK_S
    la a0, dpage0
    ld a1, 8(a0)
    CHECK(a1, 0xabcdef)
    TEST_NUM(3)
    S_LOAD(VA(P_RO))
    OK_S
    CHECK(a1, D0_VAL)
    TEST_NUM(4)
    S_STORE(VA(P_RO) + 16, 1)
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_RO) + 16)
    la a0, dpage0
    ld a1, 16(a0)
    CHECK(a1, 0)                                /* not written */
    TEST_NUM(5)
    S_AMO(VA(P_RO))                             /* AMOs need W: store page fault */
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_RO))
    TEST_NUM(6)
    S_LOAD(VA(P_XO) + 8)
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_XO) + 8)
    TEST_NUM(7)
    S_JUMP(VA(P_XO))                            /* execute-only code runs */
    OK_S
    CHECK(a1, 0x42)
    TEST_NUM(8)
    S_JUMP(VA(P_RX))
    OK_S
    CHECK(a1, 0x42)
    TEST_NUM(9)                                 /* no X: fetch page fault at the target */
    S_JUMP(VA(P_RW))
    FAULT(CAUSE_FETCH_PAGE_FAULT, VA(P_RW))
    CHECK_EPC_ADDR_VAL(VA(P_RW))
    TEST_NUM(10)
    S_AMO(VA(P_RW))
    OK_S
    CHECK(a1, D0_VAL)
    la a0, dpage0
    ld a1, 0(a0)
    CHECK(a1, D0_VAL + 1)
    TEST_NUM(11)                                /* global pages translate like any other */
    S_LOAD(VA(P_GLOBAL))
    OK_S
    CHECK(a1, D3_VAL)

    /* ---- reserved and invalid PTEs ---- */
    TEST_NUM(12)
    S_LOAD(VA(P_WO))
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_WO))
    TEST_NUM(13)
    S_STORE(VA(P_WO), 1)
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_WO))
    TEST_NUM(14)
    S_JUMP(VA(P_WX))
    FAULT(CAUSE_FETCH_PAGE_FAULT, VA(P_WX))
    TEST_NUM(15)
    S_LOAD(VA(P_INV) + 0x7f8)
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_INV) + 0x7f8)
    TEST_NUM(16)
    S_STORE(VA(P_INV), 1)
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_INV))
    TEST_NUM(17)
    S_JUMP(VA(P_INV))
    FAULT(CAUSE_FETCH_PAGE_FAULT, VA(P_INV))
    TEST_NUM(18)
    S_LOAD(VA(P_PTR))                           /* a pointer PTE at level 0 */
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_PTR))
    TEST_NUM(19)                                /* reserved bit 54 */
    S_LOAD(VA(P_RES54))
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_RES54))
    TEST_NUM(20)                                /* PBMT bits without Svpbmt */
    S_LOAD(VA(P_PBMT))
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_PBMT))
    TEST_NUM(21)                                /* N bit without Svnapot */
    S_LOAD(VA(P_NAPOT))
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_NAPOT))
    TEST_NUM(22)                                /* an unmapped 1 GiB region */
    S_LOAD(0x140000000)
    FAULT(CAUSE_LOAD_PAGE_FAULT, 0x140000000)

    /* ---- U pages, SUM ---- */
    TEST_NUM(23)
    S_LOAD(VA(P_URW))                           /* SUM = 0 */
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_URW))
    TEST_NUM(24)
    S_STORE(VA(P_URW), 5)
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_URW))
    TEST_NUM(25)
    SET_MSTATUS(MSTATUS_SUM)
    S_LOAD(VA(P_URW))
    OK_S
    CHECK(a1, D1_VAL)
    TEST_NUM(26)
    S_STORE(VA(P_URW) + 8, 0x77)
    OK_S
    la a0, dpage1
    ld a1, 8(a0)
    CHECK(a1, 0x77)
    TEST_NUM(27)                                /* S never executes U pages, SUM or not */
    S_JUMP(VA(P_URX))
    FAULT(CAUSE_FETCH_PAGE_FAULT, VA(P_URX))
    CLR_MSTATUS(MSTATUS_SUM)
    TEST_NUM(28)
    S_JUMP(VA(P_URX))
    FAULT(CAUSE_FETCH_PAGE_FAULT, VA(P_URX))

    /* ---- U-mode ---- */
    TEST_NUM(29)
    U_LOAD(VA(P_URW))
    OK_U
    CHECK(a1, D1_VAL)
    TEST_NUM(30)
    U_STORE(VA(P_URW) + 16, 0x99)
    OK_U
    la a0, dpage1
    ld a1, 16(a0)
    CHECK(a1, 0x99)
    TEST_NUM(31)
    U_LOAD(VA(P_RW))                            /* not a U page */
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_RW))
    TEST_NUM(32)
    U_STORE(VA(P_RW), 1)
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_RW))
    TEST_NUM(33)
    U_JUMP(VA(P_RX))
    FAULT(CAUSE_FETCH_PAGE_FAULT, VA(P_RX))
    TEST_NUM(34)
    U_STORE(VA(P_URO), 1)
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_URO))
    TEST_NUM(35)
    U_LOAD(VA(P_URO))
    OK_U
    CHECK(a1, D1_VAL)
    TEST_NUM(36)
    SET_MSTATUS(MSTATUS_SUM)                    /* SUM does not open S pages to U */
    U_LOAD(VA(P_RW))
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_RW))
    CLR_MSTATUS(MSTATUS_SUM)
    TEST_NUM(37)                                /* U code in an execute-only U page */
    li a0, VA(P_URW)
    li a3, VA(P_UXO)
    la t3, uprobe_ld
    la t4, upage
    sub t3, t3, t4
    add a3, a3, t3
    RUN(PRV_U, a3)
    OK_U
    CHECK(a1, D1_VAL)
    TEST_NUM(38)                                /* U running from a non-U page */
    la a3, probe_ld
    li a0, VA(P_URW)
    RUN(PRV_U, a3)
    CHECK_CAUSE(CAUSE_FETCH_PAGE_FAULT)
    CHECK_TVAL_REG(a3)

    /* ---- MXR ---- */
    TEST_NUM(39)
    SET_MSTATUS(MSTATUS_MXR)
    S_LOAD(VA(P_XO))
    OK_S
    la a0, xpage
    ld a2, 0(a0)
    CHECK_REG(a1, a2)                           /* the instruction bytes */
    TEST_NUM(40)
    S_STORE(VA(P_XO), 1)                        /* MXR does not make it writable */
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_XO))
    TEST_NUM(41)
    U_LOAD(VA(P_UXO))
    OK_U
    la a0, upage
    ld a2, 0(a0)
    CHECK_REG(a1, a2)
    CLR_MSTATUS(MSTATUS_MXR)
    TEST_NUM(42)
    U_LOAD(VA(P_UXO))
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_UXO))

    /* ---- superpages ---- */
    TEST_NUM(43)
    S_LOAD(MEGA_VA + 0x100)
    OK_S
    CHECK(a1, MEGA_VAL)
    TEST_NUM(44)
    S_STORE(MEGA_VA + 0x1ffff8, 0x1234)         /* last doubleword of the 2 MiB page */
    OK_S
    li a0, MEGA_PA + 0x1ffff8
    ld a1, 0(a0)
    CHECK(a1, 0x1234)
    TEST_NUM(45)
    S_LOAD(MEGA_BAD_VA + 0x10)                  /* misaligned 2 MiB leaf */
    FAULT(CAUSE_LOAD_PAGE_FAULT, MEGA_BAD_VA + 0x10)
    TEST_NUM(46)
    la a2, dpage0
    li a3, 0x80000000
    sub a2, a2, a3
    li a0, GIGA_VA
    add a0, a0, a2
    li a1, 0
    la a3, probe_ld
    RUN(PRV_S, a3)
    OK_S
    la a0, dpage0
    ld a2, 0(a0)
    CHECK_REG(a1, a2)
    TEST_NUM(47)                                /* execute through the 1 GiB alias */
    la a0, xpage
    li a3, 0x80000000
    sub a0, a0, a3
    li a3, GIGA_VA
    add a0, a0, a3
    li a1, 0
    la a3, probe_jalr
    RUN(PRV_S, a3)
    OK_S
    CHECK(a1, 0x42)
    TEST_NUM(48)
    S_LOAD(GIGA_BAD_VA + 8)
    FAULT(CAUSE_LOAD_PAGE_FAULT, GIGA_BAD_VA + 8)
    TEST_NUM(49)
    S_JUMP(GIGA_BAD_VA)
    FAULT(CAUSE_FETCH_PAGE_FAULT, GIGA_BAD_VA)

    /* ---- non-canonical addresses (bits 63..39 must equal bit 38) ---- */
    TEST_NUM(50)
    S_LOAD(0x0000008000000000)
    CHECK_CAUSE(CAUSE_LOAD_PAGE_FAULT)          /* mtval may be any invalid address */
    TEST_NUM(51)
    S_STORE(0xffff000000000000, 1)
    CHECK_CAUSE(CAUSE_STORE_PAGE_FAULT)
    TEST_NUM(52)
    S_JUMP(0x0000004000000000)
    CHECK_CAUSE(CAUSE_FETCH_PAGE_FAULT)
    TEST_NUM(53)
    S_LOAD(0x8000000080000000)                  /* identity-mapped low bits, bad high bits */
    CHECK_CAUSE(CAUSE_LOAD_PAGE_FAULT)
    TEST_NUM(54)                                /* canonical upper half, nothing mapped */
    S_LOAD(0xffffffc000000000)
    FAULT(CAUSE_LOAD_PAGE_FAULT, 0xffffffc000000000)

    /* ---- A and D bits set by the hardware ---- */
    TEST_NUM(55)
    S_LOAD(VA(P_NOA))
    OK_S
    CHECK(a1, D2_VAL)
    GET_PTE(a0, l0v, P_NOA)
    CHECK_BITS(a0, PTE_A | PTE_D, PTE_A)        /* load: A only */
    TEST_NUM(56)
    S_STORE(VA(P_NOA) + 8, 3)
    OK_S
    GET_PTE(a0, l0v, P_NOA)
    CHECK_BITS(a0, PTE_A | PTE_D, PTE_A | PTE_D)
    TEST_NUM(57)
    S_LOAD(VA(P_NOD))
    OK_S
    GET_PTE(a0, l0v, P_NOD)
    CHECK_BITS(a0, PTE_A | PTE_D, PTE_A)
    TEST_NUM(58)
    S_AMO(VA(P_NOD))                            /* an AMO is a store */
    OK_S
    GET_PTE(a0, l0v, P_NOD)
    CHECK_BITS(a0, PTE_A | PTE_D, PTE_A | PTE_D)
    TEST_NUM(59)                                /* a faulting access sets nothing */
    S_STORE(VA(P_RONOA), 1)
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_RONOA))
    GET_PTE(a0, l0v, P_RONOA)
    CHECK_BITS(a0, PTE_A | PTE_D, 0)
    TEST_NUM(60)
    S_LOAD(VA(P_RONOA))
    OK_S
    GET_PTE(a0, l0v, P_RONOA)
    CHECK_BITS(a0, PTE_A | PTE_D, PTE_A)
    TEST_NUM(61)                                /* fetch sets A */
    S_JUMP(VA(P_XNOA))
    OK_S
    GET_PTE(a0, l0v, P_XNOA)
    CHECK_BITS(a0, PTE_A | PTE_D, PTE_A)
    TEST_NUM(62)                                /* on a 2 MiB leaf */
    S_STORE(MEGA_NOAD_VA + 0x40, 7)
    OK_S
    GET_PTE(a0, l1s, 3)
    CHECK_BITS(a0, PTE_A | PTE_D, PTE_A | PTE_D)
    TEST_NUM(63)                                /* pointer PTEs are not touched */
    GET_PTE(a0, l1v, 0)
    CHECK_BITS(a0, PTE_A | PTE_D, 0)
    GET_PTE(a0, root, 1)
    CHECK_BITS(a0, PTE_A | PTE_D, 0)

    /* ---- sfence.vma after changing a PTE ---- */
    TEST_NUM(64)
    S_LOAD(VA(P_REMAP))
    OK_S
    CHECK(a1, D0_VAL + 1)
    TEST_NUM(65)
    SET_PTE(l0v, P_REMAP, dpage1, LEAF_RWAD)
    sfence.vma
    S_LOAD(VA(P_REMAP))
    OK_S
    CHECK(a1, D1_VAL)
    TEST_NUM(66)
    SET_PTE(l0v, P_REMAP, dpage1, 0)            /* now invalid */
    li a0, VA(P_REMAP)
    sfence.vma a0, zero
    S_LOAD(VA(P_REMAP))
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_REMAP))
    TEST_NUM(67)                                /* sfence.vma executed in S */
    SET_PTE(l0v, P_REMAP, dpage2, LEAF_RWAD)
    li a0, VA(P_REMAP)
    li a1, 0
    la a3, probe_sfence_ld
    RUN(PRV_S, a3)
    OK_S
    CHECK(a1, D2_VAL)
    TEST_NUM(68)                                /* a new mapping for a faulting page */
    SET_PTE(l0v, P_INV, dpage3, LEAF_RWAD)
    sfence.vma
    S_LOAD(VA(P_INV))
    OK_S
    CHECK(a1, D3_VAL + 1)                       /* (test 58 added 1) */
    SET_PTE(l0v, P_INV, dpage3, 0)
    sfence.vma

    /* ---- MPRV: M-mode loads and stores translated as MPP ---- */
    TEST_NUM(69)
    li a0, VA(P_RW)
    SET_MSTATUS(MSTATUS_MPRV)
    CLR_MSTATUS(MSTATUS_MPP)
    SET_MSTATUS(MSTATUS_MPP_S)
    ld a1, 0(a0)
    CLR_MSTATUS(MSTATUS_MPRV)
    CHECK(a1, D0_VAL + 1)
    TEST_NUM(70)
    li a0, VA(P_RW) + 24
    li a2, 0x5151
    SET_MSTATUS(MSTATUS_MPRV)
    sd a2, 0(a0)
    CLR_MSTATUS(MSTATUS_MPRV)
    la a0, dpage0
    ld a1, 24(a0)
    CHECK(a1, 0x5151)
    TEST_NUM(71)                                /* a page fault under MPRV is taken in M */
    EXPECT_TRAP(2f)
    li a0, VA(P_INV)
    SET_MSTATUS(MSTATUS_MPRV)
1:  ld a1, 0(a0)
    CLR_MSTATUS(MSTATUS_MPRV)
    j fail
2:  CLR_MSTATUS(MSTATUS_MPRV)                   /* first: the checks below use memory */
    CHECK_TRAP_COUNT(1)
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_INV))
    CHECK_EPC_ADDR(1b)
    CHECK_MODE(PRV_M)
    TEST_NUM(72)                                /* MPP = S and SUM = 0: U page faults */
    EXPECT_TRAP(2f)
    li a0, VA(P_URW)
    CLR_MSTATUS(MSTATUS_MPP)
    SET_MSTATUS(MSTATUS_MPRV | MSTATUS_MPP_S)
    ld a1, 0(a0)
    CLR_MSTATUS(MSTATUS_MPRV)
    j fail
2:  CLR_MSTATUS(MSTATUS_MPRV)
    CHECK_CAUSE(CAUSE_LOAD_PAGE_FAULT)
    TEST_NUM(73)                                /* MPP = U: U pages only */
    li a0, VA(P_URW)
    CLR_MSTATUS(MSTATUS_MPP)
    SET_MSTATUS(MSTATUS_MPRV)
    ld a1, 0(a0)
    CLR_MSTATUS(MSTATUS_MPRV)
    CHECK(a1, D1_VAL)
    TEST_NUM(74)
    EXPECT_TRAP(2f)
    li a0, VA(P_RW)
    CLR_MSTATUS(MSTATUS_MPP)
    SET_MSTATUS(MSTATUS_MPRV)
    sd a0, 0(a0)
    CLR_MSTATUS(MSTATUS_MPRV)
    j fail
2:  CLR_MSTATUS(MSTATUS_MPRV)
    FAULT(CAUSE_STORE_PAGE_FAULT, VA(P_RW))
    TEST_NUM(75)                                /* MPP = M: no translation */
    la a0, dpage3
    SET_MSTATUS(MSTATUS_MPP | MSTATUS_MPRV)
    ld a1, 0(a0)
    CLR_MSTATUS(MSTATUS_MPRV | MSTATUS_MPP)
    CHECK(a1, D3_VAL + 1)

    /* ---- accesses that straddle a page boundary ---- */
    TEST_NUM(76)                                /* a 32-bit instruction across two pages */
    S_JUMP(VA(P_CROSS2) + 4094)
    OK_S
    CHECK(a1, 0x42)
    TEST_NUM(77)                                /* second half unmapped: the fault names it */
    S_JUMP(VA(P_CROSS) + 4094)
    FAULT(CAUSE_FETCH_PAGE_FAULT, VA(P_CROSS + 1))
    CHECK_EPC_ADDR_VAL(VA(P_CROSS) + 4094)
    TEST_NUM(78)                                /* misaligned load across into an invalid page */
    S_LOAD(VA(P_CROSS) + 4092)
    FAULT(CAUSE_LOAD_PAGE_FAULT, VA(P_CROSS + 1))
    TEST_NUM(79)                                /* misaligned load across two mapped pages */
    S_LOAD(VA(P_CROSS2) + 4094)
    OK_S
    li a2, 0x0000007304200593
    CHECK_REG(a1, a2)
    TEST_NUM(80)                                /* a 16-bit instruction ending a page runs; the
                                                   fetch after it faults at the next page */
    S_JUMP(VA(P_CEND) + 4094)
    FAULT(CAUSE_FETCH_PAGE_FAULT, VA(P_CEND + 1))
    CHECK_EPC_ADDR_VAL(VA(P_CEND + 1))
    CHECK(a1, 9)

    csrw satp, zero
    sfence.vma
TEST_END

/* ---------------------------------------------------------------- probes ------------------ */
probe_ld:
    ld a1, 0(a0)
    ecall
probe_sd:
    sd a2, 0(a0)
    ecall
probe_amo:
    amoadd.d a1, a2, (a0)
    ecall
probe_jalr:
    jalr ra, 0(a0)
    ecall
probe_sfence_ld:
    sfence.vma a0, zero
    ld a1, 0(a0)
    ecall

    /* code reached through the X test pages */
    .balign 4096
xpage:
    li a1, 0x42
    ecall

    /* U-mode probes, mapped at VA(P_URX) */
    .balign 4096
upage:
uprobe_ld:
    ld a1, 0(a0)
    ecall
uprobe_sd:
    sd a2, 0(a0)
    ecall
uprobe_jalr:
    jalr ra, 0(a0)
    ecall
    .balign 4096

    .data
    .balign 4096
dpage0: .zero 4096
dpage1: .zero 4096
dpage2: .zero 4096
dpage3: .zero 4096
cpage0: .zero 4096
cpage1: .zero 4096
cpage2: .zero 4096

    .bss
    .balign 4096
root:   .zero 4096
l1v:    .zero 4096
l0v:    .zero 4096
l1s:    .zero 4096

// RV64C: every compressed instruction, spelled with its c. mnemonic so the assembler emits
// the 16-bit encoding (immediate ranges at both ends, x8-x15 register forms, links of pc + 2),
// 32-bit instructions at 2-byte-aligned addresses (also straddling a page boundary), HINT
// encodings executing as no-ops, and reserved encodings raising illegal instruction with
// mtval = the 16 instruction bits.
// @isa: rv64imac
#include "test_macros.h"

/* The encoding `bits` (a 16-bit instruction) must raise illegal instruction, mtval = bits
 * (the spec allows mtval = 0 instead; rvemu and QEMU write the bits). */
#define TEST_ILLEGAL16(num, bits) \
    TEST_TRAP(num, CAUSE_ILLEGAL, .half bits); CHECK_TVAL(bits)

/* The 16-bit encoding `bits` is a HINT: it must execute as a no-op. */
#define TEST_HINT16(num, bits) \
    TEST_NUM(num); CLEAR_TRAPS; li a0, 0x1234; li a1, 0x5678; li a5, 0x9abc; mv s10, sp; \
    .half bits; CHECK_TRAP_COUNT(0); CHECK(a0, 0x1234); CHECK(a1, 0x5678); CHECK(a5, 0x9abc); \
    CHECK_REG(sp, s10)

TEST_BEGIN
    mv s11, sp                                  /* sp is borrowed by the sp-relative tests */

    /* ---- c.addi4spn: rd' = sp + nzuimm (multiple of 4, 4..1020) ---- */
    la sp, cbuf
    TEST_NUM(1)
    c.addi4spn a0, sp, 4
    addi a1, sp, 4
    CHECK_REG(a0, a1)
    TEST_NUM(2)
    c.addi4spn s1, sp, 1020
    addi a1, sp, 1020
    CHECK_REG(s1, a1)

    /* ---- c.lw / c.ld: sign extension, offsets 0..124 / 0..248 ---- */
    la a1, cdata
    TEST_CASE(3, a0, 0xffffffff80000000, c.lw a0, 0(a1))
    TEST_CASE(4, a0, 0x7fffffff, c.lw a0, 4(a1))
    TEST_CASE(5, a2, 0x0000000012345678, c.lw a2, 124(a1))
    TEST_CASE(6, a0, 0x7fffffff80000000, c.ld a0, 0(a1))
    TEST_CASE(7, a3, 0x0123456789abcdef, c.ld a3, 248(a1))
    TEST_CASE(8, a1, 0x7fffffff80000000, c.ld a1, 0(a1))        /* rd == rs1 */

    /* ---- c.sw / c.sd ---- */
    la a1, cbuf
    li a0, 0x1111111111111111
    sd a0, 0(a1)
    sd a0, 248(a1)
    TEST_NUM(9)
    li a0, 0xaaaaaaaabbbbbbbb
    c.sw a0, 4(a1)                              /* low word only */
    ld a2, 0(a1)
    CHECK(a2, 0xbbbbbbbb11111111)
    TEST_NUM(10)
    li a4, 0x5555
    c.sw a4, 124(a1)
    lw a2, 124(a1)
    CHECK(a2, 0x5555)
    TEST_NUM(11)
    li a5, 0xfedcba9876543210
    c.sd a5, 248(a1)
    ld a2, 248(a1)
    CHECK(a2, 0xfedcba9876543210)
    TEST_NUM(12)
    c.sd a1, 8(a1)                              /* store the base register itself */
    ld a2, 8(a1)
    CHECK_REG(a2, a1)

    /* ---- c.addi / c.nop: imm -32..31 ---- */
    TEST_CASE(13, a0, 0, li a0, 32; c.addi a0, -32)
    TEST_CASE(14, t0, 31, li t0, 0; c.addi t0, 31)
    TEST_CASE(15, s9, 0x8000000000000000, li s9, 0x7fffffffffffffff; c.addi s9, 1)
    TEST_CASE(16, a0, 7, li a0, 7; c.nop)

    /* ---- c.addiw: 32-bit add, sign-extended ---- */
    TEST_CASE(17, a0, 0xffffffff80000000, li a0, 0x7fffffff; c.addiw a0, 1)
    TEST_CASE(18, t1, 0xffffffffffffffff, li t1, 0x1234567800000000; c.addiw t1, -1)
    TEST_CASE(19, a0, 0x0000000012345678, li a0, 0xabcdef0012345678; c.addiw a0, 0) /* sext.w */
    TEST_CASE(20, s3, 0x000000007fffffe0, li s3, 0x80000000; c.addiw s3, -32)

    /* ---- c.li ---- */
    TEST_CASE(21, a0, -32, li a0, 99; c.li a0, -32)
    TEST_CASE(22, ra, 31, c.li ra, 31; nop)
    TEST_CASE(23, s4, 0, li s4, 5; c.li s4, 0)

    /* ---- c.addi16sp: sp += nzimm (multiple of 16, -512..496) ---- */
    TEST_NUM(24)
    la sp, cbuf + 512
    c.addi16sp sp, -512
    la a0, cbuf
    CHECK_REG(sp, a0)
    TEST_NUM(25)
    c.addi16sp sp, 496
    la a0, cbuf + 496
    CHECK_REG(sp, a0)
    TEST_NUM(26)
    c.addi16sp sp, 16
    la a0, cbuf + 512
    CHECK_REG(sp, a0)

    /* ---- c.lui: nzimm[17:12], sign-extended from bit 17 ---- */
    TEST_CASE(27, a0, 0x1000, c.lui a0, 1)
    TEST_CASE(28, a0, 0x1f000, c.lui a0, 0x1f)
    TEST_CASE(29, s0, 0xfffffffffffe0000, c.lui s0, 0xfffe0)
    TEST_CASE(30, t2, 0xfffffffffffff000, c.lui t2, 0xfffff)

    /* ---- c.srli / c.srai / c.andi (x8-x15) ---- */
    TEST_CASE(31, a0, 0x7fffffffffffffff, li a0, -1; c.srli a0, 1)
    TEST_CASE(32, a0, 1, li a0, 0x8000000000000000; c.srli a0, 63)
    TEST_CASE(33, a5, 0xffffffff, li a5, -1; c.srli a5, 32)
    TEST_CASE(34, a0, -1, li a0, 0x8000000000000000; c.srai a0, 63)
    TEST_CASE(35, s1, 0xffffffff80000000, li s1, 0x8000000000000000; c.srai s1, 32)
    TEST_CASE(36, a0, 0x2000000000000000, li a0, 0x4000000000000000; c.srai a0, 1)
    TEST_CASE(37, a0, 0x123456789abcdef0, li a0, 0x123456789abcdef0; c.andi a0, -1)
    TEST_CASE(38, a0, 0x10, li a0, 0x123456789abcdef0; c.andi a0, 0x1f)
    TEST_CASE(39, a4, 0x123456789abcdee0, li a4, 0x123456789abcdef0; c.andi a4, -32)
    TEST_CASE(40, a0, 0, li a0, 0x123456789abcdef0; c.andi a0, 0)

    /* ---- c.sub / c.xor / c.or / c.and / c.subw / c.addw ---- */
    TEST_CASE(41, a0, -1, li a0, 0; li a1, 1; c.sub a0, a1)
    TEST_CASE(42, s0, 0x0ff00ff00ff00ff0, li s0, 0xff00ff00ff00ff00; li s1, 0xf0f0f0f0f0f0f0f0; c.xor s0, s1)
    TEST_CASE(43, a2, 0xfff0fff0fff0fff0, li a2, 0xff00ff00ff00ff00; li a3, 0xf0f0f0f0f0f0f0f0; c.or a2, a3)
    TEST_CASE(44, a4, 0xf000f000f000f000, li a4, 0xff00ff00ff00ff00; li a5, 0xf0f0f0f0f0f0f0f0; c.and a4, a5)
    TEST_CASE(45, a0, 0x7fffffff, li a0, 0x80000000; li a1, 1; c.subw a0, a1)
    TEST_CASE(46, a0, 0xffffffff80000000, li a0, 0x7fffffff; li a1, 1; c.addw a0, a1)
    TEST_CASE(47, a0, 0, li a0, 0x1234567800000001; li a1, 0xffffffff; c.addw a0, a1)
    TEST_CASE(48, a0, 0, li a0, 0x55; c.sub a0, a0)
    TEST_CASE(49, a0, 0x0000000000000002, li a0, 0xffffffff00000001; li a1, 0x00000000ffffffff; c.subw a0, a1)

    /* ---- c.j / c.beqz / c.bnez ---- */
    TEST_NUM(50)
    c.j 1f
    j fail
1:  TEST_NUM(51)
    li a0, 0
    c.j 2f
1:  addi a0, a0, 1                              /* reached backwards */
    c.j 3f
2:  c.j 1b
3:  CHECK(a0, 1)
    TEST_NUM(52)
    li a0, 0
    c.beqz a0, 1f
    j fail
1:  TEST_NUM(53)
    li a0, 0x100000000                          /* all 64 bits are compared */
    c.beqz a0, fail_near
    c.bnez a0, 1f
    j fail
1:  TEST_NUM(54)
    li s1, 0
    c.bnez s1, fail_near
    TEST_NUM(55)                                /* backward c.bnez loop */
    li a0, 5
    li a1, 0
1:  addi a1, a1, 3
    c.addi a0, -1
    c.bnez a0, 1b
    CHECK(a1, 15)
    TEST_NUM(56)
    li a0, -1
    c.beqz a0, fail_near
    c.bnez a0, 1f
    j fail
fail_near:
    j fail
1:

    /* ---- c.slli (any rd) ---- */
    TEST_CASE(57, t0, 2, li t0, 1; c.slli t0, 1)
    TEST_CASE(58, a0, 0x8000000000000000, li a0, 1; c.slli a0, 63)
    TEST_CASE(59, s8, 0x0000000100000000, li s8, 1; c.slli s8, 32)
    TEST_CASE(60, ra, 0xfffffffffffffff0, li ra, -1; c.slli ra, 4)

    /* ---- c.lwsp / c.ldsp / c.swsp / c.sdsp ---- */
    la sp, cdata
    TEST_CASE(61, a0, 0xffffffff80000000, c.lwsp a0, 0(sp))
    TEST_CASE(62, s3, 0x0000000012345678, c.lwsp s3, 124(sp))
    TEST_CASE(63, s2, 0x0000000001234567, c.lwsp s2, 252(sp))
    TEST_CASE(64, a0, 0x7fffffff80000000, c.ldsp a0, 0(sp))
    TEST_CASE(65, ra, 0x0123456789abcdef, c.ldsp ra, 248(sp))
    TEST_CASE(66, t1, 0x5566778899aabbcc, c.ldsp t1, 504(sp))
    la sp, cbuf
    TEST_NUM(67)
    li a0, 0xffffffffcafef00d
    c.swsp a0, 252(sp)
    lw a1, 252(sp)
    CHECK(a1, 0xffffffffcafef00d)
    TEST_NUM(68)
    li t0, 0x0123456789abcdef
    c.sdsp t0, 504(sp)
    ld a1, 504(sp)
    CHECK(a1, 0x0123456789abcdef)
    TEST_NUM(69)
    li a0, 0x1111111111111111
    sd a0, 0(sp)
    li t0, 0x22222222
    c.swsp t0, 0(sp)
    ld a1, 0(sp)
    CHECK(a1, 0x1111111122222222)
    TEST_NUM(70)
    c.sdsp sp, 8(sp)
    ld a1, 8(sp)
    CHECK_REG(a1, sp)

    /* ---- c.jr / c.jalr (link = pc + 2) / c.mv / c.add ---- */
    TEST_NUM(71)
    la a0, 1f
    c.jr a0
    j fail
1:  TEST_NUM(72)
    la a0, 2f
    c.jalr a0
1:  j fail
2:  CHECK_ADDR(ra, 1b)
    TEST_NUM(73)
    la t0, 2f
    addi t0, t0, 1                              /* bit 0 of the target is cleared */
    c.jalr t0
1:  j fail
2:  CHECK_ADDR(ra, 1b)
    TEST_NUM(74)
    la ra, 2f
    c.jalr ra                                   /* target read before the link is written */
1:  j fail
2:  CHECK_ADDR(ra, 1b)
    TEST_NUM(75)
    la a0, 1f
    addi a0, a0, 1
    c.jr a0
    j fail
1:  TEST_CASE(76, a0, 0x123456789abcdef0, li a1, 0x123456789abcdef0; c.mv a0, a1)
    TEST_CASE(77, t3, 0x8000000000000000, li t3, 0; li s0, 0x8000000000000000; c.mv t3, s0)
    TEST_CASE(78, a0, 0, li a0, 1; c.add a0, a0; li a1, -2; c.add a0, a1)
    TEST_CASE(79, s5, 0x0000000100000000, li s5, 0xffffffff; li s6, 1; c.add s5, s6)
    TEST_NUM(80)                                /* call / return with compressed jumps */
    li a0, 21
    la a1, double_it
    c.jalr a1
    CHECK(a0, 42)

    /* ---- c.ebreak ---- */
    TEST_TRAP(81, CAUSE_BREAKPOINT, c.ebreak)

    /* ---- 32-bit instructions at 2-byte-aligned addresses ---- */
    TEST_NUM(82)
    .balign 4
    c.nop
    li a0, 0
    .option push
    .option norvc
    addi a0, a0, 0x123                          /* at pc % 4 == 2 */
    .option pop
    CHECK(a0, 0x123)
    TEST_NUM(83)
    .balign 4
    c.nop
    .option push
    .option norvc
    jal ra, 2f                                  /* 4-byte jal at pc % 4 == 2 */
1:  j fail
    .option pop
2:  CHECK_ADDR(ra, 1b)
    TEST_NUM(84)
    call cross_page_func                        /* a 32-bit instruction across two pages */
    CHECK(a0, 0x124)

    /* ---- HINTs execute as no-ops ---- */
    TEST_HINT16(85, 0x0005)                     /* c.addi x0, 1 */
    TEST_HINT16(86, 0x0501)                     /* c.addi a0, 0 */
    TEST_HINT16(87, 0x4015)                     /* c.li x0, 5 */
    TEST_HINT16(88, 0x6005)                     /* c.lui x0, 1 */
    TEST_HINT16(89, 0x802e)                     /* c.mv x0, a1 */
    TEST_HINT16(90, 0x902e)                     /* c.add x0, a1 */
    TEST_HINT16(91, 0x0006)                     /* c.slli x0, 1 */
    TEST_HINT16(92, 0x8101)                     /* c.srli a0, 0 */
    TEST_HINT16(93, 0x8501)                     /* c.srai a0, 0 */

    /* ---- reserved encodings: illegal instruction, mtval = the 16 bits ---- */
    TEST_ILLEGAL16(94, 0x0000)                  /* all zeros */
    TEST_ILLEGAL16(95, 0x0008)                  /* c.addi4spn a0, sp, 0 */
    TEST_ILLEGAL16(96, 0x4002)                  /* c.lwsp x0 */
    TEST_ILLEGAL16(97, 0x6002)                  /* c.ldsp x0 */
    TEST_ILLEGAL16(98, 0x6101)                  /* c.addi16sp sp, 0 */
    TEST_ILLEGAL16(99, 0x6501)                  /* c.lui a0, 0 */
    TEST_ILLEGAL16(100, 0x8002)                 /* c.jr x0 */
    TEST_ILLEGAL16(101, 0x2001)                 /* c.addiw x0, 0 */
    TEST_ILLEGAL16(102, 0x2005)                 /* c.addiw x0, 1 */
    TEST_ILLEGAL16(103, 0x9c41)                 /* reserved slot after c.subw / c.addw */
    TEST_ILLEGAL16(104, 0x9c61)                 /* the other reserved slot */
    TEST_ILLEGAL16(105, 0x2004)                 /* c.fld (no F/D, or FS = Off) */
    TEST_ILLEGAL16(106, 0xa004)                 /* c.fsd */
    TEST_ILLEGAL16(107, 0x2002)                 /* c.fldsp */

    mv sp, s11
TEST_END

double_it:
    c.add a0, a0
    c.jr ra

    /* cross_page_func: c.li at the last 4 bytes of a page, then a 32-bit addi whose two
     * halves sit in different pages. */
    .balign 4096
    .skip 4092
cross_page_func:
    c.li a0, 1
    .option push
    .option norvc
    addi a0, a0, 0x123
    .option pop
    c.jr ra

    .data
    .balign 8
cdata:
    .word 0x80000000, 0x7fffffff
    .fill 29, 4, 0
    .word 0x12345678                            /* offset 124 */
    .fill 30, 4, 0
    .dword 0x0123456789abcdef                   /* offset 248 */
    .fill 62, 4, 0
    .dword 0x5566778899aabbcc                   /* offset 504 */

    .balign 1024
cbuf:
    .zero 1024

// RV64I control transfer: conditional branches (taken / not taken, signed / unsigned
// comparisons, forward / backward), jal and jalr (link value = pc + 4, rd = x0, jalr clears
// bit 0 of the target, rd == rs1).
// Built without the C extension: every instruction is 4 bytes, so links are pc + 4.
// @isa: rv64ima
#include "test_macros.h"

TEST_BEGIN
    /* ---- beq / bne ---- */
    TEST_BR_TAKEN(1, beq, 0, 0)
    TEST_BR_TAKEN(2, beq, -1, -1)
    TEST_BR_TAKEN(3, beq, 0x8000000000000000, 0x8000000000000000)
    TEST_BR_NOTTAKEN(4, beq, 0, 1)
    TEST_BR_NOTTAKEN(5, beq, 0x100000000, 0)             /* differ only above bit 31 */
    TEST_BR_NOTTAKEN(6, beq, -1, 0x7fffffffffffffff)
    TEST_BR_TAKEN(7, bne, 0, 1)
    TEST_BR_TAKEN(8, bne, 0x8000000000000000, 0)
    TEST_BR_TAKEN(9, bne, 0x100000000, 0)
    TEST_BR_NOTTAKEN(10, bne, 5, 5)
    TEST_BR_NOTTAKEN(11, bne, -1, -1)

    /* ---- blt / bge (signed) ---- */
    TEST_BR_TAKEN(12, blt, 0, 1)
    TEST_BR_TAKEN(13, blt, -1, 0)
    TEST_BR_TAKEN(14, blt, -2, -1)
    TEST_BR_TAKEN(15, blt, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_BR_NOTTAKEN(16, blt, 1, 0)
    TEST_BR_NOTTAKEN(17, blt, 0, -1)
    TEST_BR_NOTTAKEN(18, blt, 7, 7)
    TEST_BR_NOTTAKEN(19, blt, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_BR_TAKEN(20, bge, 0, 0)
    TEST_BR_TAKEN(21, bge, 1, 0)
    TEST_BR_TAKEN(22, bge, 0, -1)
    TEST_BR_TAKEN(23, bge, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_BR_TAKEN(24, bge, -1, -1)
    TEST_BR_NOTTAKEN(25, bge, -1, 0)
    TEST_BR_NOTTAKEN(26, bge, 0x8000000000000000, -1)
    TEST_BR_NOTTAKEN(27, bge, 0x00000000ffffffff, 0x0000000100000000)

    /* ---- bltu / bgeu (unsigned) ---- */
    TEST_BR_TAKEN(28, bltu, 0, 1)
    TEST_BR_TAKEN(29, bltu, 0, -1)
    TEST_BR_TAKEN(30, bltu, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_BR_TAKEN(31, bltu, 0xfffffffffffffffe, 0xffffffffffffffff)
    TEST_BR_NOTTAKEN(32, bltu, -1, 0)
    TEST_BR_NOTTAKEN(33, bltu, 3, 3)
    TEST_BR_NOTTAKEN(34, bltu, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_BR_TAKEN(35, bgeu, 0, 0)
    TEST_BR_TAKEN(36, bgeu, -1, 0)
    TEST_BR_TAKEN(37, bgeu, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_BR_TAKEN(38, bgeu, 0x0000000100000000, 0x00000000ffffffff)
    TEST_BR_NOTTAKEN(39, bgeu, 0, 1)
    TEST_BR_NOTTAKEN(40, bgeu, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_BR_NOTTAKEN(41, bgeu, 0, -1)

    /* ---- x0 operands ---- */
    TEST_NUM(42)
    beq x0, x0, 1f
    j fail
1:  TEST_NUM(43)
    li a0, -5
    blt a0, x0, 1f                              /* bltz */
    j fail
1:  TEST_NUM(44)
    bltu a0, x0, fail                           /* nothing is unsigned-below 0 */
    bgeu x0, a0, fail
    TEST_NUM(45)
    li a0, 5
    blt x0, a0, 1f                              /* bgtz */
    j fail
1:

    /* ---- backward branch: loop counts ---- */
    TEST_NUM(46)
    li a0, 0
    li a1, 10
1:  addi a0, a0, 1
    bne a0, a1, 1b
    CHECK(a0, 10)
    TEST_NUM(47)
    li a0, -3
    li a1, 0
1:  addi a1, a1, 2
    addi a0, a0, 1
    blt a0, x0, 1b
    CHECK(a1, 6)

    /* ---- a not-taken branch does not change registers and falls through ---- */
    TEST_NUM(48)
    li a0, 1
    li a1, 2
    beq a0, a1, fail
    CHECK(a0, 1)
    CHECK(a1, 2)

    /* ---- jal: rd = pc + 4 ---- */
    TEST_NUM(49)
    jal ra, 2f
1:  j fail
2:  CHECK_ADDR(ra, 1b)
    TEST_NUM(50)
    jal a5, 2f
1:  j fail
2:  CHECK_ADDR(a5, 1b)
    TEST_NUM(51)
    li a0, 0
    jal x0, 2f                                  /* j: no link */
    li a0, 1
2:  CHECK(a0, 0)
    CHECK(x0, 0)
    /* backward jal */
    TEST_NUM(52)
    li a0, 0
    j 3f
2:  addi a0, a0, 1
    jal a1, 4f
3:  jal a2, 2b
4:  CHECK(a0, 1)
    CHECK_ADDR(a1, 3b)
    la a3, 3b
    addi a3, a3, 4
    CHECK_REG(a2, a3)

    /* ---- jalr ---- */
    TEST_NUM(53)
    la a0, 2f
    jalr ra, 0(a0)
1:  j fail
2:  CHECK_ADDR(ra, 1b)
    TEST_NUM(54)
    la a0, 2f
    addi a0, a0, -100
    jalr t0, 100(a0)                            /* positive offset */
1:  j fail
2:  CHECK_ADDR(t0, 1b)
    TEST_NUM(55)
    la a0, 2f
    addi a0, a0, 2000
    jalr t0, -2000(a0)                          /* negative offset */
    j fail
2:
    TEST_NUM(56)
    la a0, 2f
    addi a0, a0, 1                              /* odd target: bit 0 is cleared */
    jalr t1, 0(a0)
1:  j fail
2:  CHECK_ADDR(t1, 1b)
    TEST_NUM(57)
    la a0, 2f
    jalr t1, 1(a0)                              /* odd only after adding the offset */
    j fail
2:
    TEST_NUM(58)
    la a0, 2f
    addi a0, a0, 2
    jalr t1, -1(a0)                             /* (2f + 2 - 1) & ~1 = 2f + 0 */
    j fail
2:
    TEST_NUM(59)
    la a0, 2f
    jalr a0, 0(a0)                              /* rd == rs1: target read before link */
1:  j fail
2:  CHECK_ADDR(a0, 1b)
    TEST_NUM(60)
    la a0, 2f
    jalr x0, 0(a0)                              /* jr: no link */
    j fail
2:  CHECK(x0, 0)

    /* ---- call / return through a function ---- */
    TEST_NUM(61)
    li a0, 20
    call double_it
    CHECK(a0, 40)
    TEST_NUM(62)
    li a0, 5
    call double_it
    call double_it
    CHECK(a0, 20)

    /* ---- a jump into the middle of a straight line of code ---- */
    TEST_NUM(63)
    li a0, 0
    la a1, 1f
    addi a1, a1, 8
    jr a1
1:  addi a0, a0, 1
    addi a0, a0, 2
    addi a0, a0, 4                              /* the jump lands here */
    addi a0, a0, 8
    CHECK(a0, 12)
TEST_END

double_it:
    add a0, a0, a0
    ret

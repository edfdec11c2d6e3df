// RV64I loads and stores of every width (sign / zero extension, little-endian byte order,
// positive and negative offsets, neighbours left untouched), fence, and fence.i after
// modifying code (the hart must then fetch the new instructions).
// @isa: rv64ima
#include "test_macros.h"

/* Fill the 32-byte store buffer with 0x11 bytes. */
#define RESET_SBUF \
    la t0, sbuf; li t1, 0x1111111111111111; sd t1, 0(t0); sd t1, 8(t0); sd t1, 16(t0); \
    sd t1, 24(t0)

TEST_BEGIN
    /* ---- lb / lbu ---- */
    TEST_LOAD(1, lb, -1, bytes, 0)
    TEST_LOAD(2, lb, 0, bytes, 1)
    TEST_LOAD(3, lb, 0xfffffffffffffff0, bytes, 2)
    TEST_LOAD(4, lb, 0x0f, bytes, 3)
    TEST_LOAD(5, lb, 0x7f, bytes, 4)
    TEST_LOAD(6, lb, -128, bytes, 5)
    TEST_LOAD(7, lbu, 0xff, bytes, 0)
    TEST_LOAD(8, lbu, 0x80, bytes, 5)
    TEST_LOAD(9, lbu, 0xfe, bytes, 7)
    TEST_LOAD(10, lb, -2, bytes + 8, -1)       /* negative offset */
    TEST_LOAD(11, lbu, 0x01, bytes + 7, -1)

    /* ---- lh / lhu ---- */
    TEST_LOAD(12, lh, 0x00ff, halves, 0)
    TEST_LOAD(13, lh, 0xffffffffffffff00, halves, 2)
    TEST_LOAD(14, lh, 0x0ff0, halves, 4)
    TEST_LOAD(15, lh, 0xfffffffffffff00f, halves, 6)
    TEST_LOAD(16, lhu, 0xff00, halves, 2)
    TEST_LOAD(17, lhu, 0xf00f, halves, 6)
    TEST_LOAD(18, lh, 0xffffffffffffff00, halves + 4, -2)
    TEST_LOAD(19, lh, 0xffffffffffff807f, bytes, 4)     /* byte order: 0x7f, 0x80 */

    /* ---- lw / lwu ---- */
    TEST_LOAD(20, lw, 0x00ff00ff, words, 0)
    TEST_LOAD(21, lw, 0xffffffffff00ff00, words, 4)
    TEST_LOAD(22, lw, 0x0ff00ff0, words, 8)
    TEST_LOAD(23, lw, 0xfffffffff00ff00f, words, 12)
    TEST_LOAD(24, lwu, 0x00000000ff00ff00, words, 4)
    TEST_LOAD(25, lwu, 0x00000000f00ff00f, words, 12)
    TEST_LOAD(26, lw, 0x0ff00ff0, words + 12, -4)
    TEST_LOAD(27, lw, 0xfffffffffe01807f, bytes, 4)

    /* ---- ld ---- */
    TEST_LOAD(28, ld, 0x00ff00ff00ff00ff, dwords, 0)
    TEST_LOAD(29, ld, 0xff00ff00ff00ff00, dwords, 8)
    TEST_LOAD(30, ld, 0x0ff00ff00ff00ff0, dwords, 16)
    TEST_LOAD(31, ld, 0xf00ff00ff00ff00f, dwords, 24)
    TEST_LOAD(32, ld, 0x0ff00ff00ff00ff0, dwords + 24, -8)
    TEST_LOAD(33, ld, 0xfe01807f0ff000ff, bytes, 0)
    TEST_LOAD(34, ld, 0xff00ff0000ff00ff, words, 0)

    /* ---- large offsets ---- */
    TEST_LOAD(35, ld, 0x00ff00ff00ff00ff, dwords - 2047, 2047)
    TEST_LOAD(36, lbu, 0xfe, bytes + 2055, -2048)

    /* ---- destination x0, destination == base ---- */
    TEST_NUM(37)
    la a0, dwords
    ld x0, 8(a0)
    CHECK(x0, 0)
    TEST_NUM(38)
    la a0, dwords
    ld a0, 0(a0)
    CHECK(a0, 0x00ff00ff00ff00ff)
    TEST_NUM(39)
    la a0, bytes
    lbu a0, 5(a0)
    CHECK(a0, 0x80)

    /* ---- sb: one byte, neighbours untouched ---- */
    RESET_SBUF
    TEST_STORE(40, sb, lbu, 0xaa, 0xaa, sbuf, 1)
    TEST_CASE(41, a2, 0x111111111111aa11, la a0, sbuf; ld a2, 0(a0))
    TEST_STORE(42, sb, lb, 0xfffffffffffffff0, 0x123456789abcdef0, sbuf, 0)  /* low byte only */
    TEST_CASE(43, a2, 0x111111111111aaf0, la a0, sbuf; ld a2, 0(a0))
    TEST_STORE(44, sb, lbu, 0x80, 0x80, sbuf + 8, -1)
    TEST_CASE(45, a2, 0x801111111111aaf0, la a0, sbuf; ld a2, 0(a0))
    TEST_CASE(46, a2, 0x1111111111111111, la a0, sbuf; ld a2, 8(a0))

    /* ---- sh ---- */
    RESET_SBUF
    TEST_STORE(47, sh, lhu, 0xbeef, 0xbeef, sbuf, 2)
    TEST_CASE(48, a2, 0x11111111beef1111, la a0, sbuf; ld a2, 0(a0))
    TEST_STORE(49, sh, lh, 0xffffffffffff8765, 0x1234567887658765, sbuf, 6)
    TEST_CASE(50, a2, 0x87651111beef1111, la a0, sbuf; ld a2, 0(a0))
    TEST_CASE(51, a2, 0x1111111111111111, la a0, sbuf; ld a2, 8(a0))
    TEST_STORE(52, sh, lhu, 0x7ffe, 0x7ffe, sbuf + 16, -6)
    TEST_CASE(53, a2, 0x111111117ffe1111, la a0, sbuf; ld a2, 8(a0))

    /* ---- sw ---- */
    RESET_SBUF
    TEST_STORE(54, sw, lw, 0xffffffffdeadbeef, 0xdeadbeef, sbuf, 4)
    TEST_CASE(55, a2, 0xdeadbeef11111111, la a0, sbuf; ld a2, 0(a0))
    TEST_STORE(56, sw, lwu, 0x00000000cafef00d, 0x12345678cafef00d, sbuf, 8)
    TEST_CASE(57, a2, 0x11111111cafef00d, la a0, sbuf; ld a2, 8(a0))
    TEST_STORE(58, sw, lw, 0x7fffffff, 0x7fffffff, sbuf + 32, -4)
    TEST_CASE(59, a2, 0x7fffffff11111111, la a0, sbuf; ld a2, 24(a0))
    TEST_CASE(60, a2, 0x1111111111111111, la a0, sbuf; ld a2, 16(a0))

    /* ---- sd and reading the pieces back ---- */
    RESET_SBUF
    TEST_STORE(61, sd, ld, 0x0123456789abcdef, 0x0123456789abcdef, sbuf, 8)
    TEST_CASE(62, a2, 0xffffffffffffffef, la a0, sbuf; lb a2, 8(a0))
    TEST_CASE(63, a2, 0x01, la a0, sbuf; lbu a2, 15(a0))
    TEST_CASE(64, a2, 0xffffffffffffcdef, la a0, sbuf; lh a2, 8(a0))
    TEST_CASE(65, a2, 0x4567, la a0, sbuf; lhu a2, 12(a0))
    TEST_CASE(66, a2, 0xffffffff89abcdef, la a0, sbuf; lw a2, 8(a0))
    TEST_CASE(67, a2, 0x01234567, la a0, sbuf; lwu a2, 12(a0))
    TEST_CASE(68, a2, 0x1111111111111111, la a0, sbuf; ld a2, 0(a0))
    TEST_CASE(69, a2, 0x1111111111111111, la a0, sbuf; ld a2, 16(a0))
    TEST_STORE(70, sd, ld, -1, -1, sbuf + 2047, -2047)
    TEST_STORE(71, sd, ld, 0x8000000000000000, 0x8000000000000000, sbuf - 2040, 2040)

    /* ---- storing x0, storing the base register ---- */
    TEST_NUM(72)
    la a0, sbuf
    sd x0, 16(a0)
    ld a2, 16(a0)
    CHECK(a2, 0)
    TEST_NUM(73)
    la a0, sbuf
    sd a0, 24(a0)
    ld a2, 24(a0)
    CHECK_REG(a2, a0)

    /* ---- fences execute and change nothing ---- */
    TEST_NUM(74)
    li a0, 42
    fence
    fence rw, rw
    fence r, w
    fence iorw, iorw
    fence.tso
    .word 0x0100000f                            /* pause (fence w, 0) */
    fence.i
    CHECK(a0, 42)

    /* ---- fence.i: modified code is fetched afterwards ---- */
    TEST_NUM(75)
    call smc_func                               /* first run: li a0, 1 */
    CHECK(a0, 1)
    TEST_NUM(76)
    la a1, smc_func
    li a2, 0x00200513                           /* addi a0, zero, 2 */
    sw a2, 0(a1)
    fence.i
    call smc_func
    CHECK(a0, 2)
    TEST_NUM(77)
    la a1, smc_func
    li a2, 0x07b00513                           /* addi a0, zero, 123 */
    sw a2, 0(a1)
    fence.i
    call smc_func
    CHECK(a0, 123)

    /* patch the instruction that comes right after the fence.i */
    TEST_NUM(78)
    la a1, 1f
    li a2, 0x00300513                           /* addi a0, zero, 3 */
    sw a2, 0(a1)
    fence.i
1:  addi a0, zero, 9
    CHECK(a0, 3)

    /* a loop that rewrites the immediate of an instruction it then runs */
    TEST_NUM(79)
    li s0, 0                                    /* sum */
    li s1, 1                                    /* i = 1..5 */
    la s2, 2f
2:  addi a0, zero, 0                            /* becomes addi a0, zero, i */
    add s0, s0, a0
    slli a2, s1, 20
    li a3, 0x00000513
    or a2, a2, a3
    sw a2, 0(s2)
    fence.i
    addi s1, s1, 1
    li a3, 7
    bne s1, a3, 2b
    CHECK(s0, 15)                               /* 0 + 1 + 2 + 3 + 4 + 5 */
TEST_END

    .data
    .balign 8
bytes:  .byte 0xff, 0x00, 0xf0, 0x0f, 0x7f, 0x80, 0x01, 0xfe
halves: .half 0x00ff, 0xff00, 0x0ff0, 0xf00f
words:  .word 0x00ff00ff, 0xff00ff00, 0x0ff00ff0, 0xf00ff00f
dwords: .dword 0x00ff00ff00ff00ff, 0xff00ff00ff00ff00, 0x0ff00ff00ff00ff0, 0xf00ff00ff00ff00f
sbuf:   .zero 32

    /* code in a data page, rewritten by the fence.i tests */
    .balign 4
smc_func:
    addi a0, zero, 1
    ret

// Misaligned loads and stores (lh/lhu/lw/lwu/ld, sh/sw/sd at every misaligned offset, and
// across a 4 KiB page boundary).  The emulated hart performs them (the spec lets an
// implementation either perform misaligned accesses or trap; QEMU and rvemu perform
// them), so any trap here is a failure.
// @isa: rv64imac
#include "test_macros.h"

/* 32 bytes 0xf0..0xff, 0x10..0x1f */
#define RESET_BUF \
    la t0, buf; li t1, 0xf7f6f5f4f3f2f1f0; sd t1, 0(t0); li t1, 0xfffefdfcfbfaf9f8; \
    sd t1, 8(t0); li t1, 0x1716151413121110; sd t1, 16(t0); li t1, 0x1f1e1d1c1b1a1918; \
    sd t1, 24(t0)

TEST_BEGIN
    RESET_BUF
    /* ---- halfword loads ---- */
    TEST_LOAD(1, lh, 0xfffffffffffff2f1, buf, 1)
    TEST_LOAD(2, lhu, 0xf2f1, buf, 1)
    TEST_LOAD(3, lh, 0x10ff, buf, 15)
    TEST_LOAD(4, lhu, 0x10ff, buf, 15)
    TEST_LOAD(5, lh, 0x1211, buf, 17)

    /* ---- word loads at offsets 1, 2, 3 ---- */
    TEST_LOAD(6, lw, 0xfffffffff4f3f2f1, buf, 1)
    TEST_LOAD(7, lw, 0xfffffffff5f4f3f2, buf, 2)
    TEST_LOAD(8, lw, 0xfffffffff6f5f4f3, buf, 3)
    TEST_LOAD(9, lwu, 0x00000000f4f3f2f1, buf, 1)
    TEST_LOAD(10, lwu, 0x00000000f6f5f4f3, buf, 3)
    TEST_LOAD(11, lw, 0x1110fffe, buf, 14)
    TEST_LOAD(12, lw, 0x10fffefd, buf, 13)
    TEST_LOAD(13, lw, 0x14131211, buf, 17)

    /* ---- doubleword loads at offsets 1..7 ---- */
    TEST_LOAD(14, ld, 0xf8f7f6f5f4f3f2f1, buf, 1)
    TEST_LOAD(15, ld, 0xf9f8f7f6f5f4f3f2, buf, 2)
    TEST_LOAD(16, ld, 0xfaf9f8f7f6f5f4f3, buf, 3)
    TEST_LOAD(17, ld, 0xfbfaf9f8f7f6f5f4, buf, 4)
    TEST_LOAD(18, ld, 0xfcfbfaf9f8f7f6f5, buf, 5)
    TEST_LOAD(19, ld, 0xfdfcfbfaf9f8f7f6, buf, 6)
    TEST_LOAD(20, ld, 0xfefdfcfbfaf9f8f7, buf, 7)
    TEST_LOAD(21, ld, 0x13121110fffefdfc, buf, 12)
    TEST_LOAD(22, ld, 0x1a19181716151413, buf, 19)

    /* ---- halfword stores ---- */
    TEST_STORE(23, sh, lhu, 0xa55a, 0xa55a, buf, 1)
    TEST_CASE(24, a2, 0xf7f6f5f4f3a55af0, la a0, buf; ld a2, 0(a0))
    TEST_STORE(25, sh, lh, 0xffffffffffffbeef, 0xbeef, buf, 7)
    TEST_CASE(26, a2, 0xeff6f5f4f3a55af0, la a0, buf; ld a2, 0(a0))
    TEST_CASE(27, a2, 0xfffefdfcfbfaf9be, la a0, buf; ld a2, 8(a0))

    /* ---- word stores ---- */
    RESET_BUF
    TEST_STORE(28, sw, lwu, 0x12345678, 0x12345678, buf, 1)
    TEST_CASE(29, a2, 0xf7f6f512345678f0, la a0, buf; ld a2, 0(a0))
    RESET_BUF
    TEST_STORE(30, sw, lw, 0xffffffff89abcdef, 0x89abcdef, buf, 2)
    TEST_CASE(31, a2, 0xf7f689abcdeff1f0, la a0, buf; ld a2, 0(a0))
    RESET_BUF
    TEST_STORE(32, sw, lw, 0x01020304, 0x01020304, buf, 6)
    TEST_CASE(33, a2, 0x0304f5f4f3f2f1f0, la a0, buf; ld a2, 0(a0))
    TEST_CASE(34, a2, 0xfffefdfcfbfa0102, la a0, buf; ld a2, 8(a0))

    /* ---- doubleword stores at offsets 1..7 ---- */
    RESET_BUF
    TEST_STORE(35, sd, ld, 0x0807060504030201, 0x0807060504030201, buf, 1)
    TEST_CASE(36, a2, 0x07060504030201f0, la a0, buf; ld a2, 0(a0))
    TEST_CASE(37, a2, 0xfffefdfcfbfaf908, la a0, buf; ld a2, 8(a0))
    RESET_BUF
    TEST_STORE(38, sd, ld, 0x8877665544332211, 0x8877665544332211, buf, 3)
    TEST_CASE(39, a2, 0x5544332211f2f1f0, la a0, buf; ld a2, 0(a0))
    TEST_CASE(40, a2, 0xfffefdfcfb887766, la a0, buf; ld a2, 8(a0))
    RESET_BUF
    TEST_STORE(41, sd, ld, 0xdeadbeefcafef00d, 0xdeadbeefcafef00d, buf, 5)
    TEST_STORE(42, sd, ld, 0x0123456789abcdef, 0x0123456789abcdef, buf, 14)
    TEST_CASE(43, a2, 0xfef00df4f3f2f1f0, la a0, buf; ld a2, 0(a0))
    TEST_CASE(44, a2, 0xcdeffddeadbeefca, la a0, buf; ld a2, 8(a0))
    TEST_CASE(45, a2, 0x17160123456789ab, la a0, buf; ld a2, 16(a0))
    TEST_CASE(46, a2, 0x1f1e1d1c1b1a1918, la a0, buf; ld a2, 24(a0))
    RESET_BUF
    TEST_STORE(47, sd, ld, 0x7766554433221100, 0x7766554433221100, buf, 7)
    TEST_CASE(48, a2, 0x00f6f5f4f3f2f1f0, la a0, buf; ld a2, 0(a0))
    TEST_CASE(49, a2, 0xff77665544332211, la a0, buf; ld a2, 8(a0))

    /* ---- across a 4 KiB page boundary ---- */
    TEST_NUM(50)
    la a0, page2
    li a1, 0x1122334455667788
    sd a1, -8(a0)
    li a1, 0x99aabbccddeeff00
    sd a1, 0(a0)
    ld a2, -3(a0)
    CHECK(a2, 0xccddeeff00112233)
    TEST_NUM(51)
    lw a2, -2(a0)
    CHECK(a2, 0xffffffffff001122)
    TEST_NUM(52)
    lhu a2, -1(a0)
    CHECK(a2, 0x0011)
    TEST_NUM(53)
    li a1, 0x0102030405060708
    sd a1, -5(a0)
    ld a2, -8(a0)
    CHECK(a2, 0x0405060708667788)
    TEST_NUM(54)
    ld a2, 0(a0)
    CHECK(a2, 0x99aabbccdd010203)
    TEST_NUM(55)
    li a1, 0xabcd
    sh a1, -1(a0)
    lbu a2, -1(a0)
    CHECK(a2, 0xcd)
    lbu a2, 0(a0)
    CHECK(a2, 0xab)
TEST_END

    .data
    .balign 8
buf:    .zero 32

    .balign 4096
    .zero 4096
page2:  .zero 64

// RV64M: mul/mulh/mulhsu/mulhu, div/divu/rem/remu, the W forms, division by zero
// (quotient all ones, remainder = dividend) and signed overflow (MIN / -1 = MIN, rem 0),
// none of which trap.
// @isa: rv64ima
#include "test_macros.h"

#define MIN64 0x8000000000000000
#define MAX64 0x7fffffffffffffff

TEST_BEGIN
    /* ---- mul (low 64 bits) ---- */
    TEST_RR(1, mul, 0, 0, 0)
    TEST_RR(2, mul, 21, 3, 7)
    TEST_RR(3, mul, 1, -1, -1)
    TEST_RR(4, mul, -1, -1, 1)
    TEST_RR(5, mul, -21, 3, -7)
    TEST_RR(6, mul, 0xfffffffffffffffe, MAX64, 2)
    TEST_RR(7, mul, MIN64, MIN64, -1)
    TEST_RR(8, mul, 0, 0x100000000, 0x100000000)
    TEST_RR(9, mul, 0xfffffffe00000001, 0xffffffff, 0xffffffff)
    TEST_RR(10, mul, 0x236d88fe5618cf00, 0x123456789abcdef0, 0xfedcba9876543210)
    TEST_RR_SAME(11, mul, 0x0000000100000000, 0x10000)
    TEST_RR_ZERODEST(12, mul, 3, 4)

    /* ---- mulh (signed x signed, high 64 bits) ---- */
    TEST_RR(13, mulh, 0, 3, 7)
    TEST_RR(14, mulh, 0, -1, -1)
    TEST_RR(15, mulh, -1, -1, 1)
    TEST_RR(16, mulh, 0x4000000000000000, MIN64, MIN64)
    TEST_RR(17, mulh, 0xc000000000000000, MIN64, MAX64)
    TEST_RR(18, mulh, 1, 0x100000000, 0x100000000)
    TEST_RR(19, mulh, 0xffeb49923cc09532, 0x123456789abcdef0, 0xfedcba9876543210)
    TEST_RR(20, mulh, 0, MIN64, 0)

    /* ---- mulhu (unsigned x unsigned) ---- */
    TEST_RR(21, mulhu, 0, 3, 7)
    TEST_RR(22, mulhu, 0xfffffffffffffffe, -1, -1)
    TEST_RR(23, mulhu, 0, -1, 1)
    TEST_RR(24, mulhu, 1, MIN64, 2)
    TEST_RR(25, mulhu, 0x4000000000000000, MIN64, MIN64)
    TEST_RR(26, mulhu, 0x121fa00ad77d7422, 0x123456789abcdef0, 0xfedcba9876543210)

    /* ---- mulhsu (signed rs1 x unsigned rs2) ---- */
    TEST_RR(27, mulhsu, 0, 3, 7)
    TEST_RR(28, mulhsu, -1, -1, 1)
    TEST_RR(29, mulhsu, -1, -1, -1)             /* -1 * (2^64 - 1) */
    TEST_RR(30, mulhsu, 1, 2, -1)               /* 2 * (2^64 - 1) */
    TEST_RR(31, mulhsu, MIN64, MIN64, -1)
    TEST_RR(32, mulhsu, 0xfede05ff528828bc, 0xfedcba9876543210, 0xfedcba9876543210)
    TEST_RR(33, mulhsu, 0, 0, -1)

    /* ---- mulw (low 32 bits of the product, sign-extended) ---- */
    TEST_RR(34, mulw, 21, 3, 7)
    TEST_RR(35, mulw, -2, 0x7fffffff, 2)
    TEST_RR(36, mulw, 15, 0xffffffff00000003, 0x0000000100000005)    /* upper bits ignored */
    TEST_RR(37, mulw, 1, -1, -1)
    TEST_RR(38, mulw, 0xffffffff80000000, 0x80000000, -1)
    TEST_RR(39, mulw, 0x70b88d78, 0x12345678, 0x87654321)
    TEST_RR(40, mulw, 0, 0x10000, 0x10000)

    /* ---- div (signed, rounds towards zero) ---- */
    TEST_RR(41, div, 3, 20, 6)
    TEST_RR(42, div, -3, -20, 6)
    TEST_RR(43, div, -3, 20, -6)
    TEST_RR(44, div, 3, -20, -6)
    TEST_RR(45, div, 0, 0, 5)
    TEST_RR(46, div, 0, 5, 6)
    TEST_RR(47, div, -1, 20, 0)                 /* by zero: all ones */
    TEST_RR(48, div, -1, 0, 0)
    TEST_RR(49, div, -1, MIN64, 0)
    TEST_RR(50, div, MIN64, MIN64, -1)          /* overflow: MIN64 */
    TEST_RR(51, div, 0xc000000000000000, MIN64, 2)
    TEST_RR(52, div, -MAX64, MAX64, -1)

    /* ---- divu ---- */
    TEST_RR(53, divu, 3, 20, 6)
    TEST_RR(54, divu, 0x2aaaaaaaaaaaaaa7, -20, 6)
    TEST_RR(55, divu, 0, 20, -6)
    TEST_RR(56, divu, 0xffffffffffffffff, 20, 0)
    TEST_RR(57, divu, 0xffffffffffffffff, 0, 0)
    TEST_RR(58, divu, 0, MIN64, -1)
    TEST_RR(59, divu, 1, -1, -1)
    TEST_RR(60, divu, 0x4000000000000000, MIN64, 2)

    /* ---- rem (sign of the dividend) ---- */
    TEST_RR(61, rem, 2, 20, 6)
    TEST_RR(62, rem, -2, -20, 6)
    TEST_RR(63, rem, 2, 20, -6)
    TEST_RR(64, rem, -2, -20, -6)
    TEST_RR(65, rem, 20, 20, 0)                 /* by zero: the dividend */
    TEST_RR(66, rem, -20, -20, 0)
    TEST_RR(67, rem, MIN64, MIN64, 0)
    TEST_RR(68, rem, 0, MIN64, -1)              /* overflow: 0 */
    TEST_RR(69, rem, 0, 0, 3)
    TEST_RR(70, rem, -1, MIN64 + 1, 2)

    /* ---- remu ---- */
    TEST_RR(71, remu, 2, 20, 6)
    TEST_RR(72, remu, 2, -20, 6)
    TEST_RR(73, remu, 20, 20, -6)
    TEST_RR(74, remu, 20, 20, 0)
    TEST_RR(75, remu, -1, -1, 0)
    TEST_RR(76, remu, MIN64, MIN64, -1)
    TEST_RR(77, remu, 0, -1, -1)

    /* ---- divw / divuw ---- */
    TEST_RR(78, divw, 3, 20, 6)
    TEST_RR(79, divw, -3, -20, 6)
    TEST_RR(80, divw, 3, 0x1234567800000014, 0xffffffff00000006)    /* upper bits ignored */
    TEST_RR(81, divw, -1, 20, 0)
    TEST_RR(82, divw, -1, 20, 0x100000000)      /* low word of the divisor is 0 */
    TEST_RR(83, divw, 0xffffffff80000000, 0x80000000, -1)           /* overflow */
    TEST_RR(84, divw, 0xffffffffc0000000, 0x80000000, 2)
    TEST_RR(85, divw, -3, 0xffffffec, 6)
    TEST_RR(86, divuw, 3, 20, 6)
    TEST_RR(87, divuw, 0x2aaaaaa7, 0xffffffec, 6)
    TEST_RR(88, divuw, 0x2aaaaaa7, -20, 6)
    TEST_RR(89, divuw, -1, 20, 0)               /* 2^32 - 1, sign-extended */
    TEST_RR(90, divuw, 0xffffffff80000000, 0x80000000, 1)           /* result sign-extended */
    TEST_RR(91, divuw, 0, 0x80000000, -1)
    TEST_RR(92, divuw, 1, -1, 0xffffffff)

    /* ---- remw / remuw ---- */
    TEST_RR(93, remw, 2, 20, 6)
    TEST_RR(94, remw, -2, -20, 6)
    TEST_RR(95, remw, 2, 20, -6)
    TEST_RR(96, remw, 0, 0x80000000, -1)        /* overflow */
    TEST_RR(97, remw, 0xffffffff80000001, 0x80000001, 0)            /* by zero: dividend */
    TEST_RR(98, remw, 20, 0xaaaaaaaa00000014, 0)
    TEST_RR(99, remw, 2, 0x1234567800000014, 0xffffffff00000006)
    TEST_RR(100, remuw, 2, 20, 6)
    TEST_RR(101, remuw, 2, 0xffffffec, 6)
    TEST_RR(102, remuw, 0xffffffff80000000, 0x80000000, 0)          /* dividend, sign-ext */
    TEST_RR(103, remuw, 2, 0x0000000100000005, 3)
    TEST_RR(104, remuw, 0xffffffff80000000, 0x80000000, -1)
    TEST_RR(105, remuw, 0, -1, -1)

    /* ---- register aliasing ---- */
    TEST_RR_DEST1(106, div, 7, 49, 7)
    TEST_RR_DEST2(107, rem, 1, 50, 7)
    TEST_RR_SAME(108, divu, 1, 0x123456789)
    TEST_RR_SAME(109, remw, 0, -7)
    TEST_RR_ZERO1(110, div, 0, 5)
    TEST_RR_ZERO2(111, div, -1, 5)               /* x0 divisor */
    TEST_RR_ZERO2(112, remu, 5, 5)
TEST_END

// RV64I integer computation: register-register, register-immediate, shifts, the 32-bit
// W forms (operate on the low 32 bits, sign-extend the 32-bit result), lui and auipc.
// Built without the C extension so that every instruction is the 32-bit encoding.
// @isa: rv64ima
#include "test_macros.h"

TEST_BEGIN

    /* ---- add / sub ---- */
    TEST_RR(1, add, 0, 0, 0)
    TEST_RR(2, add, 3, 1, 2)
    TEST_RR(3, add, 0, -1, 1)
    TEST_RR(4, add, 0x8000000000000000, 0x7fffffffffffffff, 1)      /* wraps, no trap */
    TEST_RR(5, add, 0xfffffffffffffffe, 0xffffffffffffffff, 0xffffffffffffffff)
    TEST_RR(6, add, 0x0000000100000000, 0x00000000ffffffff, 1)      /* carries into bit 32 */
    TEST_RR(7, sub, 0, 5, 5)
    TEST_RR(8, sub, -1, 0, 1)
    TEST_RR(9, sub, 0x7fffffffffffffff, 0x8000000000000000, 1)
    TEST_RR(10, sub, 0x8000000000000001, 0, 0x7fffffffffffffff)
    TEST_RR(11, sub, 0x00000000ffffffff, 0x0000000100000000, 1)
    TEST_RR_DEST1(12, add, 24, 11, 13)
    TEST_RR_DEST2(13, sub, 2, 13, 11)
    TEST_RR_SAME(14, add, 26, 13)
    TEST_RR_SAME(15, sub, 0, 0x123456789)
    TEST_RR_ZERO1(16, sub, -7, 7)
    TEST_RR_ZERO2(17, add, 0x55, 0x55)
    TEST_RR_ZERODEST(18, add, 1, 2)

    /* ---- addi (12-bit signed immediate) ---- */
    TEST_IMM(19, addi, 0, 0, 0)
    TEST_IMM(20, addi, 2047, 0, 2047)
    TEST_IMM(21, addi, -2048, 0, -2048)
    TEST_IMM(22, addi, 0x7fffffffffffffff, 0x8000000000000000, -1)
    TEST_IMM(23, addi, 0x8000000000000000, 0x7fffffffffffffff, 1)
    TEST_IMM(24, addi, 0x00000000800007fe, 0x000000007fffffff, 2047)
    TEST_IMM_DEST1(25, addi, 0x100, 0xff, 1)
    TEST_IMM_ZERO1(26, addi, -1, -1)
    TEST_IMM_ZERODEST(27, addi, 5, 5)

    /* ---- slt / sltu / slti / sltiu ---- */
    TEST_RR(28, slt, 0, 0, 0)
    TEST_RR(29, slt, 1, -1, 0)
    TEST_RR(30, slt, 0, 0, -1)
    TEST_RR(31, slt, 1, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(32, slt, 0, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_RR(33, sltu, 0, -1, 0)
    TEST_RR(34, sltu, 1, 0, -1)
    TEST_RR(35, sltu, 0, 0x8000000000000000, 0x7fffffffffffffff)
    TEST_RR(36, sltu, 1, 0x7fffffffffffffff, 0x8000000000000000)
    TEST_RR_ZERO1(37, sltu, 1, 5)               /* snez */
    TEST_RR_ZERO1(38, sltu, 0, 0)
    TEST_RR_SAME(39, slt, 0, -3)
    TEST_IMM(40, slti, 1, -1, 0)
    TEST_IMM(41, slti, 0, 0, -1)
    TEST_IMM(42, slti, 1, 0x8000000000000000, -2048)
    TEST_IMM(43, slti, 0, 2047, 2047)
    TEST_IMM(44, slti, 1, 2046, 2047)
    TEST_IMM(45, sltiu, 1, 0, -1)               /* immediate sign-extended, then unsigned */
    TEST_IMM(46, sltiu, 0, -1, -1)
    TEST_IMM(47, sltiu, 1, 0xfffffffffffffffe, -1)
    TEST_IMM(48, sltiu, 1, 0, 1)                /* seqz */
    TEST_IMM(49, sltiu, 0, 1, 1)
    TEST_IMM(50, sltiu, 0, 0x8000000000000000, 2047)

    /* ---- and / or / xor and immediates ---- */
    TEST_RR(51, and, 0x0f000f00, 0xff00ff00, 0x0f0f0f0f)
    TEST_RR(52, and, 0xf000f00000000000, 0xff00ff0000000000, 0xf0f0f0f0f0f0f0f0)
    TEST_RR(53, or, 0xff0fff0f, 0xff00ff00, 0x0f0f0f0f)
    TEST_RR(54, or, 0xfff0fff0f0f0f0f0, 0xff00ff0000000000, 0xf0f0f0f0f0f0f0f0)
    TEST_RR(55, xor, 0xf00ff00f, 0xff00ff00, 0x0f0f0f0f)
    TEST_RR(56, xor, 0x0ff00ff0f0f0f0f0, 0xff00ff0000000000, 0xf0f0f0f0f0f0f0f0)
    TEST_RR_SAME(57, xor, 0, 0x123456789abcdef0)
    TEST_IMM(58, andi, 0x0000000000000700, 0xff00ff00, 0x70f)
    TEST_IMM(59, andi, 0xff00ff0000000800, 0xff00ff0000000f00, -2048)  /* imm = ...fffff800 */
    TEST_IMM(60, andi, 0x00ff00ff, 0x00ff00ff, -1)
    TEST_IMM(61, ori, 0xffffffffffffff0f, 0x0000000000000005, -241)
    TEST_IMM(62, ori, 0x00ff07ff, 0x00ff00ff, 0x7ff)
    TEST_IMM(63, xori, 0xffffffffff00f00f, 0x0000000000ff0ff0, -1)   /* not */
    TEST_IMM(64, xori, 0x00ff0f0f, 0x00ff08f0, 0x7ff)
    TEST_IMM(65, xori, 0x00000000ff00f000, 0xffffffff00ff0800, -2048)

    /* ---- 64-bit shifts: the shift amount is rs2[5:0] ---- */
    TEST_RR(66, sll, 1, 1, 0)
    TEST_RR(67, sll, 0x8000000000000000, 1, 63)
    TEST_RR(68, sll, 1, 1, 64)                  /* shamt masked to 0 */
    TEST_RR(69, sll, 2, 1, 65)
    TEST_RR(70, sll, 0x0000000100000000, 1, 32)
    TEST_RR(71, sll, 0x2468acf13579bde0, 0x123456789abcdef0, 1)
    TEST_RR(72, srl, 0x7fffffffffffffff, -1, 1)
    TEST_RR(73, srl, 1, 0x8000000000000000, 63)
    TEST_RR(74, srl, 0x00000000ffffffff, -1, 32)
    TEST_RR(75, srl, 0x8000000000000000, 0x8000000000000000, 0xffffffffffffffc0) /* 0 */
    TEST_RR(76, sra, -1, 0x8000000000000000, 63)
    TEST_RR(77, sra, 0xc000000000000000, 0x8000000000000000, 1)
    TEST_RR(78, sra, 0x3fffffffffffffff, 0x7fffffffffffffff, 1)
    TEST_RR(79, sra, 0xffffffff80000000, 0x8000000000000000, 32)
    TEST_RR(80, sra, 0x8000000000000000, 0x8000000000000000, 0xffffffffffffffc0)
    TEST_IMM(81, slli, 0x8000000000000000, 1, 63)
    TEST_IMM(82, slli, 0xfffffffe00000000, 0xffffffff, 33)
    TEST_IMM(83, slli, 0x123456789abcdef0, 0x123456789abcdef0, 0)
    TEST_IMM(84, srli, 1, 0x8000000000000000, 63)
    TEST_IMM(85, srli, 0x0000000080000000, 0x8000000000000000, 32)
    TEST_IMM(86, srli, 0x7fffffffffffffff, -1, 1)
    TEST_IMM(87, srai, -1, 0x8000000000000000, 63)
    TEST_IMM(88, srai, 0xfffffffff8000000, 0x8000000000000000, 36)
    TEST_IMM(89, srai, 0x0000000000000001, 0x4000000000000000, 62)
    TEST_IMM_DEST1(90, srai, -2, -3, 1)         /* rounds towards -infinity */

    /* ---- W forms: 32-bit operation, result sign-extended from bit 31 ---- */
    TEST_RR(91, addw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RR(92, addw, 0, 0xffffffff, 1)
    TEST_RR(93, addw, 2, 0xffffffff00000001, 0x1234567800000001)   /* upper bits ignored */
    TEST_RR(94, addw, 0x000000007ffffffe, 0xffffffffffffffff, 0x7fffffff)
    TEST_RR(95, subw, 0x000000007fffffff, 0x80000000, 1)
    TEST_RR(96, subw, -1, 0, 1)
    TEST_RR(97, subw, 0, 0x1234567800000005, 0x8765432100000005)
    TEST_IMM(98, addiw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_IMM(99, addiw, 0x000000007fffffff, 0x80000000, -1)
    TEST_IMM(100, addiw, -1, 0x00000000ffffffff, 0)   /* sext.w */
    TEST_IMM(101, addiw, 0x0000000012345678, 0xabcdef0012345678, 0)
    TEST_IMM(102, addiw, 0x00000000000007ff, 0xffffffff00000000, 2047)
    TEST_IMM_ZERO1(103, addiw, -2048, -2048)

    TEST_RR(104, sllw, 0xffffffff80000000, 1, 31)
    TEST_RR(105, sllw, 1, 1, 32)                /* shamt is rs2[4:0]: 32 -> 0 */
    TEST_RR(106, sllw, 2, 1, 33)
    TEST_RR(107, sllw, 0, 0x100000000, 0)       /* only the low word is shifted */
    TEST_RR(108, sllw, 0xffffffff87654321, 0xffffffff87654321, 0xffffffffffffffe0)
    TEST_RR(109, sllw, 0x0000000076543210, 0x0000000087654321, 4)
    TEST_RR(110, srlw, 0x0000000040000000, 0x80000000, 1)
    TEST_RR(111, srlw, 1, 0x80000000, 31)
    TEST_RR(112, srlw, 0xffffffff80000000, 0x80000000, 32)  /* shift 0: sign-extends bit 31 */
    TEST_RR(113, srlw, 0x0000000040000000, 0x80000000, 33)
    TEST_RR(114, srlw, 0x000000007fffffff, -1, 1)           /* upper word not shifted in */
    TEST_RR(115, srlw, 0x0000000008000000, 0xffffffff80000000, 4)
    TEST_RR(116, sraw, 0xffffffffc0000000, 0x80000000, 1)
    TEST_RR(117, sraw, -1, 0x80000000, 31)
    TEST_RR(118, sraw, 0x0000000000000001, 0x000000007fffffff, 30)
    TEST_RR(119, sraw, 0xffffffffc0000000, 0x80000000, 33)
    TEST_RR(120, sraw, 0x0000000001234567, 0xffffffff12345678, 36)
    TEST_RR(121, sraw, 0xfffffffff8765432, 0x0000000087654321, 4)
    TEST_IMM(122, slliw, 0xffffffff80000000, 1, 31)
    TEST_IMM(123, slliw, 0, 0x100000000, 1)
    TEST_IMM(124, slliw, 0x0000000012345678, 0x1234567812345678, 0)
    TEST_IMM(125, slliw, 0xffffffff9abcdef0, 0x123456789abcdef, 4)
    TEST_IMM(126, srliw, 0x0000000000000001, 0x80000000, 31)
    TEST_IMM(127, srliw, 0xffffffff80000000, 0x80000000, 0)
    TEST_IMM(128, srliw, 0x00000000000fffff, -1, 12)
    TEST_IMM(129, srliw, 0x0000000008000000, 0xffffffff80000000, 4)
    TEST_IMM(130, sraiw, -1, 0x80000000, 31)
    TEST_IMM(131, sraiw, 0xfffffffff8000000, 0x80000000, 4)
    TEST_IMM(132, sraiw, 0x0000000007ffffff, 0xffffffff7fffffff, 4)
    TEST_IMM(133, sraiw, 0x0000000012345678, 0xff00000012345678, 0)
    TEST_RR_ZERODEST(134, sllw, 1, 1)
    TEST_RR_SAME(135, addw, 0xfffffffffffffffe, 0x7fffffffffffffff)
    TEST_RR_DEST1(136, subw, 0xffffffff80000000, 0x7fffffff, -1)

    /* ---- lui: imm << 12, sign-extended from bit 31 ---- */
    TEST_CASE(137, a0, 0, lui a0, 0)
    TEST_CASE(138, a0, 0x000000007ffff000, lui a0, 0x7ffff)
    TEST_CASE(139, a0, 0xffffffff80000000, lui a0, 0x80000)
    TEST_CASE(140, a0, 0xfffffffffffff000, lui a0, 0xfffff)
    TEST_CASE(141, a0, 0x0000000000001000, lui a0, 1)
    TEST_CASE(142, a0, 0xffffffff80000800, lui a0, 0x80000; addi a0, a0, 2047; addi a0, a0, 1)
    TEST_CASE(143, x0, 0, lui x0, 0x12345)

    /* ---- auipc: pc + (imm << 12), sign-extended offset ---- */
    TEST_NUM(144)
1:  auipc a0, 0
    la a1, 1b
    CHECK_REG(a0, a1)
    TEST_NUM(145)
1:  auipc a0, 1
    la a1, 1b
    li a2, 0x1000
    add a1, a1, a2
    CHECK_REG(a0, a1)
    TEST_NUM(146)
1:  auipc a0, 0xfffff
    la a1, 1b
    addi a1, a1, -2048
    addi a1, a1, -2048
    CHECK_REG(a0, a1)
    TEST_NUM(147)
1:  auipc a0, 0x80000                           /* pc - 2 GiB */
    la a1, 1b
    li a2, 0xffffffff80000000
    add a1, a1, a2
    CHECK_REG(a0, a1)
TEST_END

// Self-check of the harness: test cases 1..6 pass, test case 7 fails on purpose.  The program
// must end with exit code 7 and print "FAIL: test 7", which shows that a failure is reported
// as such (an emulator that lost the exit code would otherwise look like it passed everything).
// @isa: rv64imac
// @expect-exit: 7
// @expect-console: FAIL: test 7
#include "test_macros.h"

TEST_BEGIN
    TEST_RR(1, add, 3, 1, 2)
    TEST_IMM(2, addi, 1, 0, 1)
    TEST_TRAP(3, CAUSE_ECALL_M, ecall)
    TEST_CASE(4, a0, 4, li a0, 4)
    TEST_RR(5, sub, -1, 1, 2)
    TEST_CASE(6, a0, 6, li a0, 6)
    TEST_CASE(7, a0, 8, li a0, 7)               /* wrong on purpose */
    TEST_CASE(8, a0, 8, li a0, 8)
TEST_END

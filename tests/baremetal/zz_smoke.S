#include "test_macros.h"
TEST_BEGIN
  TEST_RR(1, add, 3, 1, 2)
  TEST_IMM(2, addi, -1, 0, -1)
  TEST_TRAP(3, CAUSE_ECALL_M, ecall)
  TEST_TRAP_TVAL(4, CAUSE_ILLEGAL, 0, .word 0)
  li gp, 5
  ebreak
TEST_END

// Debug triggers (Sdtrig, debug spec 5.7), probed the way riscv-tests' breakpoint test and
// debuggers do it: the trigger registers exist in M-mode (no illegal instruction); a written
// tselect that does not read back, or a tdata1.type of 0, means "no trigger there", and the
// program then ends; a trigger that is there reports its type in tdata1 bits 63:60, keeps
// tselect, and the tdata registers read back without trapping.  rvemu has no triggers (it
// ends after case 2); QEMU has mcontrol/mcontrol6 triggers (cases 3-4).
// @isa: rv64imac
#include "test_macros.h"

TEST_BEGIN
    TEST_NUM(1)                                 /* the registers exist in M-mode */
    CLEAR_TRAPS
    csrw tselect, zero
    csrr a1, tselect
    csrr a0, tdata1
    csrr a2, tdata2
    CHECK_TRAP_COUNT(0)
    TEST_NUM(2)                                 /* no trigger 0: nothing more to probe */
    bnez a1, pass
    srli a0, a0, 60
    beqz a0, pass
    TEST_NUM(3)                                 /* a trigger: a known type (2, 6, 15) */
    li a3, 2
    beq a0, a3, 1f
    li a3, 6
    beq a0, a3, 1f
    li a3, 15
    beq a0, a3, 1f
    j fail
1:  TEST_NUM(4)                                 /* tselect keeps its valid index */
    csrr a1, tselect
    CHECK(a1, 0)
TEST_END

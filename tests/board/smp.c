/* SMP: three harts contend on one counter with LR/SC and on another with amoadd, then hart 0
 * sends each other hart an inter-processor interrupt through the CLINT; they take it as an
 * M-mode software interrupt and report.  Exit code 0 = every count and IPI arrived. */
#include "board.h"

#define N 20000
#define HARTS 3

volatile uint64_t lrsc_count, amo_count, done, ipi_seen[HARTS], ready;

static void lrsc_add(volatile uint64_t *p)
{
    uint64_t tmp, fail;
    do {
        asm volatile("lr.d %0, (%2)\n addi %0, %0, 1\n sc.d %1, %0, (%2)"
                     : "=&r"(tmp), "=&r"(fail) : "r"(p) : "memory");
    } while (fail);
}

static void __attribute__((aligned(4), interrupt("machine"))) on_trap(void)
{
    uint64_t hart = csrr(mhartid);
    if (csrr(mcause) == ((1UL << 63) | 3)) {
        REG32(CLINT + 4 * hart) = 0;            /* clear our msip */
        ipi_seen[hart] = 1;
    } else {
        poweroff(50 + (int)csrr(mcause));
    }
}

int main(uint64_t hart)
{
    if (hart >= HARTS)
        for (;;)
            asm volatile("wfi");
    csrw(mtvec, (uint64_t)on_trap);
    for (int i = 0; i < N; i++) {
        lrsc_add(&lrsc_count);
        __atomic_fetch_add(&amo_count, 1, __ATOMIC_SEQ_CST);
    }
    __atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
    if (hart != 0) {
        csrs(mie, 1 << 3);                      /* MSIE */
        __atomic_fetch_add(&ready, 1, __ATOMIC_SEQ_CST);
        csrs(mstatus, 1 << 3);                  /* MIE */
        for (;;)
            asm volatile("wfi");
    }
    while (done != HARTS || ready != HARTS - 1)
        ;
    if (lrsc_count != (uint64_t)N * HARTS)
        poweroff(1);
    if (amo_count != (uint64_t)N * HARTS)
        poweroff(2);
    for (int h = 1; h < HARTS; h++)
        REG32(CLINT + 4 * h) = 1;
    for (long spin = 0; spin < 10000000; spin++)
        if (ipi_seen[1] && ipi_seen[2]) {
            puts_("smp ok\n");
            poweroff(0);
        }
    poweroff(3);
    return 0;
}

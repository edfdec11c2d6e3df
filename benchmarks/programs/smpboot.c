/* SMP boot workload, in the shape of xv6's main(): hart 0 initialises memory, filling `rounds`
 * MiB of RAM past the program byte by byte (as xv6's kinit fills every free page through its
 * byte-wise memset), while the other harts spin on the `started` flag with plain loads
 * (`while (started == 0) ;`).  Then hart 0 sets the flag, every hart does a little work of its
 * own, and hart 0 waits until all have counted themselves done before it exits (exit code 0).
 * M-mode, no paging.  `harts` is how many harts take part: the benchmark patches it to the
 * machine's hart count, like `rounds` (harts past it, or past MAX_HARTS, wait for interrupts). */
#include <stdint.h>

#define MAX_HARTS 8                  /* stacks in smpboot.S */
#define WORK 20000                   /* loop iterations of each hart's little work */

volatile uint64_t rounds = 64;       /* MiB that hart 0 fills */
volatile uint64_t harts = 1;
volatile uint32_t started;
uint64_t done;                       /* harts finished their work (atomic adds) */
uint64_t work[MAX_HARTS];
uint64_t result;
extern uint8_t _end[];               /* the first free page past the program (link.ld) */

/* A plain byte-store loop: the pointer is volatile so that the compiler keeps one sb per byte
 * (no wider stores, no call to memset). */
static void fill(volatile uint8_t *p, uint64_t n, uint8_t c)
{
#pragma clang loop unroll(disable)
    for (uint64_t i = 0; i < n; i++)
        p[i] = c;
}

static uint64_t little_work(uint64_t hart)
{
    uint64_t x = hart + 1, sum = 0;
    for (uint64_t i = 0; i < WORK; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        sum += x >> 40;
    }
    return sum;
}

int boot_main(uint64_t hart)
{
    uint64_t n = harts;
    if (hart == 0) {
        if (n < 1 || n > MAX_HARTS)
            return 3;
        fill(_end, rounds << 20, 1);
        __sync_synchronize();
        started = 1;
    } else {
        while (started == 0)
            ;
        __sync_synchronize();
    }
    if (hart < n) {
        work[hart] = little_work(hart);
        __atomic_fetch_add(&done, 1, __ATOMIC_SEQ_CST);
    }
    if (hart != 0)
        for (;;)
            asm volatile("wfi");
    while (__atomic_load_n(&done, __ATOMIC_SEQ_CST) != n)
        ;
    uint64_t sum = 0;
    for (uint64_t h = 0; h < n; h++)
        sum += work[h];
    if (rounds)
        sum += _end[(rounds << 20) - 1];
    result = sum;
    return 0;
}

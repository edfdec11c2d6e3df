/* TLB-miss workload: touch one word in each of 4,096 pages (16 MiB), far more pages than any TLB
 * here holds, in an order that defeats direct-mapped sets, so most accesses walk the tables. */
#include <stdint.h>

#define PAGES 4096
volatile uint64_t rounds = 300;
static uint64_t area[PAGES * 512] __attribute__((aligned(4096)));

uint64_t user_main(void)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        uint64_t p = r;
        for (uint64_t i = 0; i < PAGES; i++) {
            p = (p * 1021 + 7) & (PAGES - 1);       /* a full-period walk of the pages */
            uint64_t *w = &area[p * 512 + (i & 511)];
            sum += *w + p;                         /* a non-zero checksum */
            *w = sum;
        }
    }
    return sum;
}

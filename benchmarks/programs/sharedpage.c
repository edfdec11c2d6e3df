/* Shared-page workload: a hot loop that stores into a small table on every few instructions.
 * The same objects are linked twice: with link-shared.ld the table (.data) follows the code in
 * the same 4 KiB page, as a small program linked with `. = 0x80000000; .text .rodata .data .bss`
 * has it; with link.ld the data starts on a page of its own.  Only the layout differs: the
 * instructions executed are the same. */
#include <stdint.h>

volatile uint64_t rounds = 25;
uint64_t table[16] = {1};            /* initialised: .data, right after the code when shared */

uint64_t user_main(void)
{
    uint64_t x = 1, sum = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        for (uint64_t i = 0; i < 50000; i++) {
            x = x * 6364136223846793005UL + 1442695040888963407UL;
            table[x >> 60] += i;                       /* a store into the table's page */
            sum += table[i & 15] ^ (x >> 33);
        }
    }
    return sum;
}

/* Sv39 page tables for the benchmarks: RAM identity-mapped with 4 KiB pages, user-accessible,
 * so every user access goes through the TLB and page walks are three levels deep.  Leaves are
 * created accessed and dirty: harts without hardware A/D updates (Spike's default) would fault. */
#include <stdint.h>

#define RAM_BASE   0x80000000UL
#define MAPPED     (64UL << 20)              /* 64 MiB of RAM mapped */
#define PTE_V 1
#define PTE_R 2
#define PTE_W 4
#define PTE_X 8
#define PTE_U 16
#define PTE_A 64
#define PTE_D 128

static uint64_t root[512] __attribute__((aligned(4096)));
static uint64_t mid[512] __attribute__((aligned(4096)));
static uint64_t leaf[MAPPED >> 21][512] __attribute__((aligned(4096)));

static uint64_t table(void *p) { return (((uint64_t)p >> 12) << 10) | PTE_V; }

uint64_t setup(void)
{
    root[(RAM_BASE >> 30) & 511] = table(mid);
    for (uint64_t i = 0; i < (MAPPED >> 21); i++) {
        mid[((RAM_BASE >> 21) + i) & 511] = table(leaf[i]);
        for (uint64_t j = 0; j < 512; j++) {
            uint64_t pa = RAM_BASE + (i << 21) + (j << 12);
            leaf[i][j] = ((pa >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D;
        }
    }
    return (8UL << 60) | ((uint64_t)root >> 12);
}

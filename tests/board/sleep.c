/* Sleep half a second of guest time in WFI, woken by the CLINT timer (mtimecmp), then power
 * off.  Deterministic time skips the wait; --realtime waits on the host clock. */
#include "board.h"

#define MTIMECMP(h) (CLINT + 0x4000 + 8 * (h))
#define MTIME       (CLINT + 0xBFF8)

int main(uint64_t hart)
{
    if (hart != 0)
        for (;;)
            asm volatile("wfi");
    uint64_t until = REG64(MTIME) + 5000000;         /* 0.5 s at 10 MHz */
    REG64(MTIMECMP(0)) = until;
    csrs(mie, 1 << 7);                               /* MTIE; MIE stays off: wfi just wakes */
    while (REG64(MTIME) < until)
        asm volatile("wfi");
    puts_("slept\n");
    poweroff(0);
    return 0;
}

/* Device-window probe: loads of every width (1, 2, 4, 8) at implemented, reserved and misaligned
 * offsets of each device on the virt board, and stores of 0 where a store has no side effect
 * beyond the register probed.  One line per access on UART0:
 *
 *   L<w> <address> =<value>          a load that completed (value zero-extended, 16 hex digits)
 *   L<w> <address> !<cause> <tval>   a load that trapped (mcause, mtval)
 *   S<w> <address> ok | !<cause> <tval>
 *
 * then "done" and poweroff.  tests/board/test_mmio_windows.py runs it on rvemu and on QEMU virt
 * (-bios none, 1 hart, a virtio-blk disk on slot 0) and compares the lines. */
#include "board.h"

extern uint64_t probe_load(uint64_t addr, int width);
extern void probe_store(uint64_t addr, int width, uint64_t value);
extern void probe_trap(void);
extern volatile int64_t probe_cause;
extern volatile uint64_t probe_tval;

/* Offsets probed with loads of every width, per device (terminated by -1). */
static const int64_t uart_off[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0x40, 0xf8, 0xff, -1};
static const int64_t clint_off[] = {0, 1, 2, 4, 8, 0x3ffc, 0x4000, 0x4004, 0x4002, 0x4008,
                                    0x4010, 0x4ffc, 0x4ffe, 0xbff0, 0xbffc, 0xc000, 0xfff8, 0xffff, -1};
static const int64_t plic_off[] = {0, 2, 4, 0x28, 0x29, 0x2a, 0xffc, 0x1000, 0x1002, 0x1004,
                                   0x1080, 0x1ffc, 0x1ffe, 0x2000, 0x2001, 0x2004, 0x207c, 0x2080,
                                   0x2100, 0x1ffffc, 0x200000, 0x200002, 0x200008, 0x200ffc,
                                   0x201000, 0x201008, 0x202000, 0x5ffffc, 0x600000, 0x3fffffc,
                                   -1};
static const int64_t virtio_off[] = {0, 1, 2, 4, 8, 0xc, 0x10, 0x6, 0x34, 0x60, 0x70, 0x74,
                                     0xfc, 0x100, 0x101, 0x104, 0x10c, 0x1fc, 0x200, 0xffc, -1};
static const int64_t virtio1_off[] = {0, 4, 8, 0xc, 0x34, 0x70, 0x100, 0x1000, 0x7000, 0x7008,
                                      0x8000, -1};
static const int64_t test_off[] = {0, 1, 2, 4, 8, 0x800, 0xffc, -1};

/* Stores of 0: offsets where that changes nothing but the register itself. */
static const int64_t uart_st[] = {3, 7, 8, 0x40, 0xff, -1};
static const int64_t clint_st[] = {4, 0x4008, 0xc000, 0xfff8, -1};
static const int64_t plic_st[] = {0, 0x29, 0x1000, 0x1080, 0x2100, 0x200008, 0x202000, 0x600000,
                                  -1};
static const int64_t virtio_st[] = {0, 8, 0xfc, 0x1fc, 0x200, -1};
static const int64_t virtio1_st[] = {0x70, 0x7000, 0x8000, -1};
static const int64_t test_st[] = {0, 4, 0xffc, -1};

static void puthex(uint64_t v, int digits)
{
    for (int i = digits - 1; i >= 0; i--)
        putc_("0123456789abcdef"[(v >> (4 * i)) & 15]);
}

static void report(char kind, int width, uint64_t addr, uint64_t value)
{
    putc_(kind);
    putc_('0' + width);
    putc_(' ');
    puthex(addr, 8);
    if (probe_cause != -1) {
        puts_(" !");
        puthex(probe_cause, 1);
        putc_(' ');
        puthex(probe_tval, 8);
    } else if (kind == 'L') {
        puts_(" =");
        puthex(value, 16);
    } else {
        puts_(" ok");
    }
    putc_('\n');
}

static void loads(uint64_t base, const int64_t *off)
{
    for (; *off >= 0; off++)
        for (int w = 1; w <= 8; w *= 2) {
            probe_cause = -1;
            uint64_t v = probe_load(base + *off, w);
            report('L', w, base + *off, v);
        }
}

static void stores(uint64_t base, const int64_t *off)
{
    for (; *off >= 0; off++)
        for (int w = 1; w <= 8; w *= 2) {
            probe_cause = -1;
            probe_store(base + *off, w, 0);
            report('S', w, base + *off, 0);
        }
}

int main(uint64_t hart)
{
    if (hart != 0)
        for (;;)
            asm volatile("wfi");
    csrw(mtvec, (uint64_t)probe_trap);
    /* Registers whose reset values differ (QEMU: MCR = OUT2, mtimecmp = 0; rvemu: the
     * datasheet's MCR = 0, mtimecmp = -1): the same values on both before probing. */
    REG8(UART0 + 4) = 0;
    REG64(CLINT + 0x4000) = 0;
    loads(UART0, uart_off);
    loads(CLINT, clint_off);
    loads(PLIC, plic_off);
    loads(VIRTIO0, virtio_off);
    loads(VIRTIO0 + 0x1000, virtio1_off);
    loads(TESTDEV, test_off);
    stores(UART0, uart_st);
    stores(CLINT, clint_st);
    stores(PLIC, plic_st);
    stores(VIRTIO0, virtio_st);
    stores(VIRTIO0 + 0x1000, virtio1_st);
    stores(TESTDEV, test_st);
    puts_("done\n");
    poweroff(0);
    return 0;
}

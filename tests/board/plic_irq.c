/* S-mode interrupts through the PLIC: hart 0 drops to S-mode with external interrupts delegated,
 * enables UART0 (IRQ 10) and virtio (IRQ 1) in its S context, then
 *   1. waits in wfi for a byte typed on the console (UART receive interrupt),
 *   2. reads sector 1 of the disk through virtio-blk (modern MMIO) and waits for the used-buffer
 *      interrupt,
 * and reports "uart <char>" and the first 8 bytes read.  Exit code 0 = all as expected. */
#include "board.h"

#define S_CONTEXT 1                         /* hart 0, S-mode */
#define PLIC_PRIO(irq)   (PLIC + 4 * (irq))
#define PLIC_ENABLE(ctx) (PLIC + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESH(ctx) (PLIC + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)  (PLIC + 0x200004 + 0x1000 * (ctx))

volatile int uart_char = -1, disk_irqs, other_irqs;

struct desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
static struct desc descs[8] __attribute__((aligned(16)));
static struct { uint16_t flags, idx, ring[8]; } avail __attribute__((aligned(2)));
static struct { uint16_t flags, idx; struct { uint32_t id, len; } ring[8]; } used
    __attribute__((aligned(4)));
static struct { uint32_t type, reserved; uint64_t sector; } req;
static uint8_t data[512], status = 0xff;

static void __attribute__((aligned(4), interrupt("supervisor"))) s_trap(void)
{
    uint64_t cause = csrr(scause);
    if (cause != ((1UL << 63) | 9)) {            /* supervisor external interrupt */
        other_irqs++;
        return;
    }
    uint32_t irq = REG32(PLIC_CLAIM(S_CONTEXT));
    if (irq == 10) {
        while (REG8(UART0 + 5) & 1)
            uart_char = REG8(UART0);
    } else if (irq == 1) {
        REG32(VIRTIO0 + 0x64) = REG32(VIRTIO0 + 0x60) & 3;   /* InterruptACK */
        disk_irqs++;
    } else {
        other_irqs++;
    }
    if (irq)
        REG32(PLIC_CLAIM(S_CONTEXT)) = irq;
}

static int disk_read_sector1(void)
{
    volatile uint32_t *r = (volatile uint32_t *)VIRTIO0;
    if (r[0] != 0x74726976 || r[1] != 2 || r[2] != 2)
        return 10;
    r[0x70 / 4] = 0;                                   /* reset */
    r[0x70 / 4] = 1 | 2;                               /* ACKNOWLEDGE | DRIVER */
    r[0x24 / 4] = 1;                                   /* DriverFeaturesSel = 1 */
    r[0x20 / 4] = 1;                                   /* VERSION_1 (bit 32) */
    r[0x24 / 4] = 0;
    r[0x20 / 4] = 0;
    r[0x70 / 4] = 1 | 2 | 8;                           /* FEATURES_OK */
    if (!(r[0x70 / 4] & 8))
        return 11;
    r[0x30 / 4] = 0;                                   /* QueueSel */
    if (r[0x34 / 4] < 8)
        return 12;
    r[0x38 / 4] = 8;                                   /* QueueNum */
    r[0x80 / 4] = (uint32_t)(uint64_t)descs;  r[0x84 / 4] = (uint32_t)((uint64_t)descs >> 32);
    r[0x90 / 4] = (uint32_t)(uint64_t)&avail; r[0x94 / 4] = (uint32_t)((uint64_t)&avail >> 32);
    r[0xa0 / 4] = (uint32_t)(uint64_t)&used;  r[0xa4 / 4] = (uint32_t)((uint64_t)&used >> 32);
    r[0x44 / 4] = 1;                                   /* QueueReady */
    r[0x70 / 4] = 1 | 2 | 8 | 4;                       /* DRIVER_OK */
    req.type = 0;                                      /* VIRTIO_BLK_T_IN */
    req.sector = 1;
    descs[0] = (struct desc){(uint64_t)&req, sizeof req, 1, 1};
    descs[1] = (struct desc){(uint64_t)data, sizeof data, 1 | 2, 2};
    descs[2] = (struct desc){(uint64_t)&status, 1, 2, 0};
    avail.ring[0] = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    avail.idx = 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    r[0x50 / 4] = 0;                                   /* QueueNotify */
    while (disk_irqs == 0)
        asm volatile("wfi");
    if (used.idx != 1 || status != 0)
        return 13;
    return 0;
}

static void s_main(void)
{
    csrw(stvec, (uint64_t)s_trap);
    csrs(sie, 1 << 9);                                 /* SEIE */
    csrs(sstatus, 1 << 1);                             /* SIE */
    puts_("ready\n");
    while (uart_char < 0)
        asm volatile("wfi");
    puts_("uart ");
    putc_((char)uart_char);
    putc_('\n');
    int err = disk_read_sector1();
    if (err)
        poweroff(err);
    puts_("disk ");
    for (int i = 0; i < 8; i++)
        putc_((char)data[i]);
    putc_('\n');
    poweroff(other_irqs ? 20 : 0);
}

int main(uint64_t hart)
{
    if (hart != 0)
        for (;;)
            asm volatile("wfi");
    REG32(PLIC_PRIO(10)) = 1;
    REG32(PLIC_PRIO(1)) = 1;
    REG32(PLIC_ENABLE(S_CONTEXT)) = (1 << 10) | (1 << 1);
    REG32(PLIC_THRESH(S_CONTEXT)) = 0;
    REG8(UART0 + 1) = 1;                               /* IER: receive data available */
    csrw(mideleg, (1 << 9) | (1 << 5) | (1 << 1));
    csrw(medeleg, 0xb1ff);
    csrw(pmpaddr0, 0x3fffffffffffffUL);
    csrw(pmpcfg0, 0xf);
    uint64_t ms = csrr(mstatus);
    ms = (ms & ~(3UL << 11)) | (1UL << 11);            /* MPP = S */
    csrw(mstatus, ms);
    csrw(mepc, (uint64_t)s_main);
    asm volatile("mret");
    return 0;
}

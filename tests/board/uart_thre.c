/* A UART driver as xv6-riscv releases before 2024 wrote it: THR-empty and receive interrupts
 * enabled, output queued in a buffer and moved to THR by uartstart() (from putc and from the
 * interrupt handler), and a handler that reads LSR/RBR but never IIR, so the THRE interrupt is
 * never acknowledged.  On QEMU (and rvemu) each THR write makes one PLIC request.
 *
 * Hart 0, M-mode, PLIC context 0.  Queues a line through the interrupt-driven path and waits until
 * it has gone, writes a line with polled output and interrupts off per byte (xv6's
 * uartputc_sync, used for printf and echo), waits until the interrupts that made have been taken,
 * then prints the number of external interrupts taken and powers off (exit code 0).  Input, if
 * any arrives, is echoed from the handler. */
#include "board.h"

#define M_CONTEXT 0
#define PLIC_PRIO(irq)   (PLIC + 4 * (irq))
#define PLIC_ENABLE(ctx) (PLIC + 0x2000 + 0x80 * (ctx))
#define PLIC_THRESH(ctx) (PLIC + 0x200000 + 0x1000 * (ctx))
#define PLIC_CLAIM(ctx)  (PLIC + 0x200004 + 0x1000 * (ctx))
#define UART_IRQ 10

#define RHR 0
#define THR 0
#define IER 1
#define FCR 2
#define LCR 3
#define LSR 5
#define LSR_RX_READY 0x01
#define LSR_TX_IDLE  0x20

#define TX_BUF_SIZE 32
static char tx_buf[TX_BUF_SIZE];
static volatile uint64_t tx_w, tx_r;       /* tx_buf[tx_r % size] is the next byte to send */
static volatile uint64_t irqs;

/* Send buffered bytes while the transmitter takes them (interrupts off or in the handler). */
static void uartstart(void)
{
    while (tx_w != tx_r) {
        if ((REG8(UART0 + LSR) & LSR_TX_IDLE) == 0)
            return;
        REG8(UART0 + THR) = tx_buf[tx_r % TX_BUF_SIZE];
        tx_r++;
    }
}

static void uartputc(char c)
{
    csrw(mstatus, csrr(mstatus) & ~8UL);              /* MIE off while touching the buffer */
    while (tx_w == tx_r + TX_BUF_SIZE) {
        csrs(mstatus, 8);
        asm volatile("wfi");
        csrw(mstatus, csrr(mstatus) & ~8UL);
    }
    tx_buf[tx_w % TX_BUF_SIZE] = c;
    tx_w++;
    uartstart();
    csrs(mstatus, 8);
}

static void uartintr(void)
{
    while (REG8(UART0 + LSR) & LSR_RX_READY)
        putc_(REG8(UART0 + RHR));                      /* echo, polled */
    uartstart();
}

static void __attribute__((aligned(4), interrupt("machine"))) m_trap(void)
{
    if (csrr(mcause) != ((1UL << 63) | 11))
        poweroff(2);
    irqs++;
    uint32_t irq = REG32(PLIC_CLAIM(M_CONTEXT));
    if (irq == UART_IRQ)
        uartintr();
    if (irq)
        REG32(PLIC_CLAIM(M_CONTEXT)) = irq;
}

static void putdec(uint64_t v)
{
    char d[20];
    int n = 0;
    do
        d[n++] = '0' + v % 10;
    while ((v /= 10) != 0);
    while (n)
        putc_(d[--n]);
}

int main(uint64_t hart)
{
    if (hart != 0)
        for (;;)
            asm volatile("wfi");
    REG8(UART0 + IER) = 0x00;
    REG8(UART0 + LCR) = 0x80;                          /* baud rate latch */
    REG8(UART0 + 0) = 0x03;
    REG8(UART0 + 1) = 0x00;
    REG8(UART0 + LCR) = 0x03;                          /* 8N1 */
    REG8(UART0 + FCR) = 0x07;                          /* FIFOs on and reset */
    REG8(UART0 + IER) = 0x03;                          /* RX and TX interrupts */
    REG32(PLIC_PRIO(UART_IRQ)) = 1;
    REG32(PLIC_ENABLE(M_CONTEXT)) = 1 << UART_IRQ;
    REG32(PLIC_THRESH(M_CONTEXT)) = 0;
    csrw(mtvec, (uint64_t)m_trap);
    csrs(mie, 1 << 11);                                /* MEIE */
    csrs(mstatus, 8);                                  /* MIE */

    const char *msg = "interrupt-driven output from an old-style driver\n";
    for (const char *p = msg; *p; p++)
        uartputc(*p);
    while (tx_r != tx_w)
        asm volatile("wfi");
    for (const char *p = "polled output\n"; *p; p++) {
        csrw(mstatus, csrr(mstatus) & ~8UL);
        putc_(*p);
        csrs(mstatus, 8);
    }
    for (int i = 0; i < 1000; i++)                     /* let pending interrupts in */
        asm volatile("nop");
    csrw(mstatus, csrr(mstatus) & ~8UL);
    puts_("irqs ");
    putdec(irqs);
    putc_('\n');
    poweroff(0);
    return 0;
}

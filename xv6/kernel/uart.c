// Driver for the 16550 UART at UART0, the console's hardware.
//
// Output from processes (uartputc) goes through a small ring buffer: bytes are handed to the
// transmit holding register whenever it is empty, and the "THR empty" interrupt restarts the
// transfer when the UART was busy.  Kernel printf uses uartputc_sync, which polls instead.
// Input arrives by interrupt and is passed to the console line discipline, which can pause
// it (uart_rx_enable) while its buffer is full.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

// Register offsets (PC16550D datasheet, table II); each register is one byte.
#define RHR 0                  // receive holding register (read)
#define THR 0                  // transmit holding register (write)
#define DLL 0                  // divisor latch, low byte (when LCR_DLAB)
#define DLM 1                  // divisor latch, high byte (when LCR_DLAB)
#define IER 1                  // interrupt enable
#define   IER_RX_READY  (1 << 0)
#define   IER_TX_EMPTY  (1 << 1)
#define FCR 2                  // FIFO control (write)
#define   FCR_FIFO_OFF  0
#define IIR 2                  // interrupt identification (read)
#define LCR 3                  // line control
#define   LCR_8N1       0x03   // 8 data bits, no parity, one stop bit
#define   LCR_DLAB      (1 << 7)
#define LSR 5                  // line status
#define   LSR_RX_READY  (1 << 0)  // a received byte is waiting in RHR
#define   LSR_TX_EMPTY  (1 << 5)  // THR can take another byte

static inline uchar
uart_read(int reg)
{
  return *(volatile uchar *)(UART0 + reg);
}

static inline void
uart_write(int reg, uchar v)
{
  *(volatile uchar *)(UART0 + reg) = v;
}

// Transmit ring buffer.  tx_head and tx_tail count bytes ever queued / ever sent; the buffer
// holds tx_head - tx_tail bytes.  Guarded by tx_lock.
#define TX_BUF_SIZE 32
static struct spinlock tx_lock;
static char tx_buf[TX_BUF_SIZE];
static uint64 tx_head;
static uint64 tx_tail;

void
uartinit(void)
{
  uart_write(IER, 0);               // quiet while we configure

  uart_write(LCR, LCR_DLAB);        // divisor 3: 38400 baud (no effect on a virtual UART)
  uart_write(DLL, 3);
  uart_write(DLM, 0);
  uart_write(LCR, LCR_8N1);         // also clears DLAB

  // Leave the FIFOs off (16450 mode, one-byte holding registers).  Turning them on, or
  // resetting them, discards what the receiver holds (datasheet, FCR bit 0), and that would
  // lose keys typed or piped in before the kernel got here.  A console needs no FIFO.
  uart_write(FCR, FCR_FIFO_OFF);
  uart_write(IER, IER_RX_READY | IER_TX_EMPTY);

  initlock(&tx_lock, "uart");
}

static void
stop_if_panic_elsewhere(void)
{
  if(panic_elsewhere()){
    for(;;)
      wfi();
  }
}

// Move queued bytes into the UART while it can take them.  Once the buffer is empty, read IIR:
// that acknowledges the "THR empty" interrupt, which would otherwise stay raised.
// Caller holds tx_lock; may run in an interrupt handler.
static void
uart_transmit(void)
{
  for(;;){
    if(tx_head == tx_tail){
      (void)uart_read(IIR);
      return;
    }
    if((uart_read(LSR) & LSR_TX_EMPTY) == 0)
      return;                       // busy: the THR-empty interrupt will bring us back
    char c = tx_buf[tx_tail % TX_BUF_SIZE];
    tx_tail++;
    wakeup(&tx_tail);               // room for a sleeping uartputc()
    uart_write(THR, c);
  }
}

// Queue one byte for output, sleeping while the buffer is full.  Process context only.
void
uartputc(int c)
{
  acquire(&tx_lock);
  stop_if_panic_elsewhere();
  while(tx_head - tx_tail == TX_BUF_SIZE){
    uart_transmit();
    if(tx_head - tx_tail == TX_BUF_SIZE)
      sleep(&tx_tail, &tx_lock);
  }
  tx_buf[tx_head % TX_BUF_SIZE] = c;
  tx_head++;
  uart_transmit();
  release(&tx_lock);
}

// Write one byte now, polling until the UART takes it.  For printf and echo: works with
// interrupts off and from interrupt handlers.
void
uartputc_sync(int c)
{
  push_off();
  stop_if_panic_elsewhere();
  while((uart_read(LSR) & LSR_TX_EMPTY) == 0) {
  }
  uart_write(THR, c);
  pop_off();
}

// The next received byte, or -1 if none is waiting.
int
uartgetc(void)
{
  if(uart_read(LSR) & LSR_RX_READY)
    return uart_read(RHR);
  return -1;
}

// Input flow control, for the console when its buffer is full: while receiving is off, bytes
// stay in the UART (and the host behind it) and raise no interrupt.  Serialised by the
// console's lock.
void
uart_rx_enable(int on)
{
  uart_write(IER, IER_TX_EMPTY | (on ? IER_RX_READY : 0));
}

static int
rx_enabled(void)
{
  return (uart_read(IER) & IER_RX_READY) != 0;
}

// UART interrupt: input arrived, or the transmitter has room again (or both).
void
uartintr(void)
{
  while(rx_enabled()){
    int c = uartgetc();
    if(c < 0)
      break;
    consoleintr(c);
  }

  acquire(&tx_lock);
  uart_transmit();
  release(&tx_lock);
}

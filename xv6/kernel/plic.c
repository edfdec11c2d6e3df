// The platform-level interrupt controller: routes the UART's and the disk's interrupt lines to
// the harts' S-mode external interrupt.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

static inline volatile uint32 *
plic_reg(uint64 addr)
{
  return (volatile uint32 *)addr;
}

// Give each device we use a non-zero priority (priority 0 means "never interrupt").
void
plicinit(void)
{
  *plic_reg(PLIC_PRIORITY + 4 * UART0_IRQ) = 1;
  *plic_reg(PLIC_PRIORITY + 4 * VIRTIO0_IRQ) = 1;
}

// Let this hart's S-mode context take both devices' interrupts, at any priority.
void
plicinithart(void)
{
  int hart = cpuid();
  *plic_reg(PLIC_SENABLE(hart)) = (1 << UART0_IRQ) | (1 << VIRTIO0_IRQ);
  *plic_reg(PLIC_SPRIORITY(hart)) = 0;   // threshold
}

// Which device interrupted?  0 if none is pending (another hart may have claimed it).
int
plic_claim(void)
{
  return *plic_reg(PLIC_SCLAIM(cpuid()));
}

// Done with irq: the PLIC may deliver it again.
void
plic_complete(int irq)
{
  *plic_reg(PLIC_SCLAIM(cpuid())) = irq;
}

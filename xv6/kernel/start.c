// M-mode set-up, run once per hart straight after entry.S: hand the machine to S-mode and
// jump (with mret) to main().  After this the kernel never runs in M-mode again: timer
// interrupts come from Sstc's stimecmp and everything else is delegated.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

void start(void);
void main(void);

// Let S-mode touch all of physical memory: PMP entry 0, top-of-range from address 0 up to the
// largest address pmpaddr0 can express, readable, writable and executable.
static void
open_pmp(void)
{
  csrw_pmpaddr0(0x3fffffffffffffUL);
  csrw_pmpcfg0(PMP_TOR | PMP_R | PMP_W | PMP_X);
}

// Give S-mode its own timer (Sstc) and arm the first tick.
static void
start_timer(void)
{
  csrs_menvcfg(MENVCFG_STCE);
  csrs_mcounteren(MCOUNTEREN_TM);
  csrw_stimecmp(csrr_time() + TICK_INTERVAL);
}

void
start(void)
{
  // mret "returns" to S-mode, at main, with paging off.
  uint64 status = csrr_mstatus();
  status = (status & ~MSTATUS_MPP_MASK) | MSTATUS_MPP_S;
  csrw_mstatus(status);
  csrw_mepc((uint64)main);
  csrw_satp(0);

  // Every exception and the three S-level interrupts go straight to S-mode.
  csrw_medeleg(0xffff);
  csrw_mideleg(SIE_SSIE | SIE_STIE | SIE_SEIE);
  csrs_sie(SIE_SEIE | SIE_STIE | SIE_SSIE);

  open_pmp();
  start_timer();

  // The kernel finds its hart id in tp (cpuid()).
  write_tp(csrr_mhartid());

  asm volatile("mret");
}

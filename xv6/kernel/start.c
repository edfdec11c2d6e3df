// M-mode set-up, run once per hart straight after entry.S: hand the machine to S-mode and
// jump (with mret) to main().  After this the kernel runs in M-mode only for the few
// instructions of mvec.S that turn an inter-hart interrupt into a supervisor one: timer
// interrupts come from Sstc's stimecmp and everything else is delegated.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

void start(void);
void main(void);
void probe_trap(void);
void machinevec(void);   // mvec.S

// mvec.S's save area, two words per hart.
static uint64 mscratch_area[NCPU][2];

// End of RAM.  Set once, by hart 0 in M-mode before any S-mode code runs; read-only after.
unsigned long phystop;

// Does physical address pa hold memory?  A load from an address nothing answers raises a load
// access fault (rvemu and QEMU virt both do); during the probe probe_trap catches it, sets a1
// and skips the (4-byte, uncompressed) load.
static int
ram_at(uint64 pa)
{
  register uint64 fault asm("a1") = 0;
  uint64 v;
  asm volatile(".option push\n.option norvc\nld %0, 0(%2)\n.option pop"
               : "=r"(v), "+r"(fault) : "r"(pa) : "t0", "memory");
  (void)v;
  return fault == 0;
}

// Find how much RAM the machine has (QEMU's -m, rvemu's -m): the largest whole MiB from
// KERNBASE up to PHYSTOP_MAX whose last word answers, by bisection (RAM is contiguous).
static void
probe_ram(void)
{
  uint64 lo = 1, hi = (PHYSTOP_MAX - KERNBASE) >> 20;   // MiB: lo answers, hi + 1 does not
  csrw_mtvec((uint64)probe_trap);
  if(ram_at(KERNBASE + (hi << 20) - 8))
    lo = hi;
  while(lo < hi){
    uint64 mid = (lo + hi + 1) / 2;
    if(ram_at(KERNBASE + (mid << 20) - 8))
      lo = mid;
    else
      hi = mid - 1;
  }
  csrw_mtvec(0);
  phystop = KERNBASE + (lo << 20);
}

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
  if(csrr_mhartid() == 0)
    probe_ram();

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

  // Inter-hart interrupts: msip traps to machinevec, which passes it on as SSIP.
  csrw_mscratch((uint64)mscratch_area[csrr_mhartid()]);
  csrw_mtvec((uint64)machinevec);
  csrs_mie(MIE_MSIE);

  // The kernel finds its hart id in tp (cpuid()).
  write_tp(csrr_mhartid());

  asm volatile("mret");
}

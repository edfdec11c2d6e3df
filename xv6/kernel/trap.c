// Traps: system calls, exceptions and interrupts, from user mode (via the trampoline's
// uservec -> usertrap) and from kernel mode (kernelvec -> kerneltrap).
//
// A user exception never brings the kernel down: the process is reported and killed.  An
// exception in kernel mode is a kernel bug and panics.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "errno.h"
#include "defs.h"

void kernelvec(void);                          // kernelvec.S
extern char trampoline[], uservec[], userret[];  // trampoline.S

void usertrap(void);
void kerneltrap(void);

struct spinlock tickslock;
uint ticks;                 // timer ticks since boot (hart 0's); guarded by tickslock

// What devintr() found.
enum { TRAP_NOT_DEVICE, TRAP_DEVICE, TRAP_TIMER };

void
trapinit(void)
{
  initlock(&tickslock, "time");
}

// Kernel-mode traps on this hart go to kernelvec.
void
trapinithart(void)
{
  csrw_stvec((uint64)kernelvec);
}

static const char *
exception_name(uint64 code)
{
  static const char *names[] = {
    [EXC_INST_MISALIGNED] = "instruction address misaligned",
    [EXC_INST_ACCESS] = "instruction access fault",
    [EXC_ILLEGAL_INST] = "illegal instruction",
    [EXC_BREAKPOINT] = "breakpoint",
    [EXC_LOAD_MISALIGNED] = "load address misaligned",
    [EXC_LOAD_ACCESS] = "load access fault",
    [EXC_STORE_MISALIGNED] = "store address misaligned",
    [EXC_STORE_ACCESS] = "store access fault",
    [EXC_ECALL_U] = "environment call from U-mode",
    [EXC_ECALL_S] = "environment call from S-mode",
    [EXC_ECALL_M] = "environment call from M-mode",
    [EXC_INST_PAGE_FAULT] = "instruction page fault",
    [EXC_LOAD_PAGE_FAULT] = "load page fault",
    [EXC_STORE_PAGE_FAULT] = "store page fault",
  };
  if(code < NELEM(names) && names[code])
    return names[code];
  return "unknown exception";
}

// One timer interrupt on this hart: count it (hart 0 keeps the clock) and arm the next one.
static void
clock_tick(void)
{
  if(cpuid() == 0){
    acquire(&tickslock);
    ticks++;
    wakeup(&ticks);
    release(&tickslock);
  }
  csrw_stimecmp(csrr_time() + TICK_INTERVAL);
}

// An external interrupt: ask the PLIC which device, and let its driver handle it.
static void
external_interrupt(void)
{
  int irq = plic_claim();
  if(irq == UART0_IRQ)
    uartintr();
  else if(irq == VIRTIO0_IRQ)
    virtio_disk_intr();
  else if(irq != 0)
    printf("trap: unexpected interrupt from irq %d\n", irq);
  if(irq != 0)
    plic_complete(irq);
}

// Handle the trap if it is an interrupt we know.
static int
devintr(uint64 scause)
{
  if((scause & SCAUSE_INTR) == 0)
    return TRAP_NOT_DEVICE;
  switch(scause & ~SCAUSE_INTR){
  case IRQ_S_EXT:
    external_interrupt();
    return TRAP_DEVICE;
  case IRQ_S_TIMER:
    clock_tick();
    return TRAP_TIMER;
  case IRQ_S_SOFT:
    csrc_sip(SIE_SSIE);   // another hart asks for a TLB shootdown (tlb.c)
    tlb_poll();
    return TRAP_DEVICE;
  }
  return TRAP_NOT_DEVICE;
}

static int
is_page_fault(uint64 scause)
{
  return scause == EXC_INST_PAGE_FAULT || scause == EXC_LOAD_PAGE_FAULT ||
         scause == EXC_STORE_PAGE_FAULT;
}

// The process caused an exception: say what and where, then mark it for death.
static void
user_fault(struct proc *p, uint64 scause)
{
  if(scause & SCAUSE_INTR)
    printf("pid %d %s: unexpected interrupt %lu at pc %p\n", p->pid, p->name,
           scause & ~SCAUSE_INTR, (void *)csrr_sepc());
  else
    printf("pid %d %s: trap %s at pc %p stval %p\n", p->pid, p->name,
           exception_name(scause), (void *)csrr_sepc(), (void *)csrr_stval());
  setkilled(p);
}

// A page fault that fault_page() could not resolve: say why, then mark the process for death.
static void
fault_failed(struct proc *p, uint64 scause, uint64 stval, int err)
{
  if(err == -ENXIO)
    printf("pid %d %s: bus error: %s at pc %p stval %p is past the end of the mapped file\n",
           p->pid, p->name, exception_name(scause), (void *)p->trapframe->epc, (void *)stval);
  else if(err == -ENOMEM)
    printf("pid %d %s: out of memory: %s at pc %p stval %p\n", p->pid, p->name,
           exception_name(scause), (void *)p->trapframe->epc, (void *)stval);
  else
    printf("pid %d %s: segmentation fault: %s at pc %p stval %p\n", p->pid, p->name,
           exception_name(scause), (void *)p->trapframe->epc, (void *)stval);
  setkilled(p);
}

// From uservec (trampoline.S), on the process's kernel stack, with the kernel page table.
void
usertrap(void)
{
  if(csrr_sstatus() & SSTATUS_SPP)
    panic("usertrap: trap did not come from user mode");

  csrw_stvec((uint64)kernelvec);   // we are in the kernel now

  struct proc *p = myproc();
  p->trapframe->epc = csrr_sepc();
  uint64 scause = csrr_scause();
  int kind = TRAP_NOT_DEVICE;

  if(scause == EXC_ECALL_U){
    if(killed(p))
      exit(-1);
    p->trapframe->epc += 4;        // return past the ecall
    intr_on();                     // sepc, scause, sstatus are saved: interrupts may come
    syscall();
  } else if(is_page_fault(scause)){
    // A page not faulted in yet, copy-on-write or dirty tracking (fault.c); anything else is
    // fatal.  Resolving it may sleep on the disk.
    uint64 stval = csrr_stval();
    intr_on();
    int err = fault_page(p, stval, scause);
    if(err)
      fault_failed(p, scause, stval, err);
  } else {
    kind = devintr(scause);
    if(kind == TRAP_NOT_DEVICE)
      user_fault(p, scause);
  }

  if(killed(p))
    exit(-1);
  if(kind == TRAP_TIMER)
    yield();                       // the time slice is over

  usertrapret();
}

// Return to user mode through the trampoline's userret.
void
usertrapret(void)
{
  struct proc *p = myproc();

  // From here until sret a trap would land in uservec while still in the kernel: keep them off.
  intr_off();
  csrw_stvec(TRAMPOLINE + (uservec - trampoline));

  // What uservec will need on the next trap.
  p->trapframe->kernel_satp = csrr_satp();
  p->trapframe->kernel_sp = p->kstack + KSTACK_SIZE;
  p->trapframe->kernel_trap = (uint64)usertrap;
  p->trapframe->kernel_hartid = read_tp();

  // sret: to user mode, interrupts on, at the saved pc.
  uint64 status = csrr_sstatus();
  status &= ~SSTATUS_SPP;
  status |= SSTATUS_SPIE;
  csrw_sstatus(status);
  csrw_sepc(p->trapframe->epc);

  uint64 satp = MAKE_SATP(p->mm->pagetable);
  void (*to_user)(uint64, uint64) =
    (void (*)(uint64, uint64))(TRAMPOLINE + (userret - trampoline));
  to_user(satp, p->tf_va);
}

// From kernelvec, on whatever kernel stack was in use.
void
kerneltrap(void)
{
  // A yield() below may let other traps overwrite these: keep them for the sret.
  uint64 sepc = csrr_sepc();
  uint64 sstatus = csrr_sstatus();
  uint64 scause = csrr_scause();

  if((sstatus & SSTATUS_SPP) == 0)
    panic("kerneltrap: trap did not come from supervisor mode");
  if(intr_enabled())
    panic("kerneltrap: interrupts enabled");

  int kind = devintr(scause);
  if(kind == TRAP_NOT_DEVICE){
    printf("kerneltrap: %s (scause %p) at pc %p stval %p\n", exception_name(scause),
           (void *)scause, (void *)sepc, (void *)csrr_stval());
    panic("kerneltrap: exception in the kernel");
  }

  struct proc *p = myproc();
  if(kind == TRAP_TIMER && p != 0)
    yield();

  csrw_sepc(sepc);
  csrw_sstatus(sstatus);
}

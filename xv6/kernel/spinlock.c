// Spinlocks: test-and-set with amoswap, interrupts off on this hart while any lock is held
// (so an interrupt handler can never spin on a lock its own hart holds).

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

void
initlock(struct spinlock *lk, char *name)
{
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
}

static void
lock_panic(struct spinlock *lk, char *why)
{
  printf("lock %s: ", lk->name);
  panic(why);
}

void
acquire(struct spinlock *lk)
{
  push_off();
  if(holding(lk))
    lock_panic(lk, "acquire: already held by this hart");

  // amoswap.w.aq: the acquire ordering keeps the critical section's loads and stores after
  // the swap.  (A failed swap also tells rvemu to let the other harts run.)
  while(__atomic_exchange_n(&lk->locked, 1, __ATOMIC_ACQUIRE) != 0) {
    tlb_poll();   // the holder may be waiting for this hart to flush its TLB (tlb.c)
  }
  lk->cpu = mycpu();
}

void
release(struct spinlock *lk)
{
  if(!holding(lk))
    lock_panic(lk, "release: not held by this hart");
  lk->cpu = 0;
  // Release ordering: everything written inside the critical section is visible before the
  // lock reads as free.
  __atomic_store_n(&lk->locked, 0, __ATOMIC_RELEASE);
  pop_off();
}

// Does this hart hold lk?  Call with interrupts off (the answer could change otherwise).
int
holding(struct spinlock *lk)
{
  return lk->locked && lk->cpu == mycpu();
}

// push_off/pop_off are intr_off/intr_on that nest: interrupts come back on only when the
// outermost pop_off() runs, and only if they were on before the outermost push_off().
void
push_off(void)
{
  int was_on = intr_enabled();
  intr_off();
  struct cpu *c = mycpu();
  if(c->off_depth == 0)
    c->intr_was_on = was_on;
  c->off_depth++;
}

void
pop_off(void)
{
  struct cpu *c = mycpu();
  if(intr_enabled())
    panic("pop_off: interrupts are on");
  if(c->off_depth < 1)
    panic("pop_off: no matching push_off");
  c->off_depth--;
  if(c->off_depth == 0 && c->intr_was_on)
    intr_on();
}

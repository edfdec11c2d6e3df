// Sleep locks: for long waits (disk I/O); a waiter sleeps instead of spinning.  Only usable
// from a process (they name the holder by pid and may sleep).

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "proc.h"
#include "defs.h"

void
initsleeplock(struct sleeplock *lk, char *name)
{
  initlock(&lk->lk, "sleep lock");
  lk->name = name;
  lk->locked = 0;
  lk->pid = 0;
}

void
acquiresleep(struct sleeplock *lk)
{
  acquire(&lk->lk);
  while(lk->locked)
    sleep(lk, &lk->lk);
  lk->locked = 1;
  lk->pid = myproc()->pid;
  release(&lk->lk);
}

void
releasesleep(struct sleeplock *lk)
{
  acquire(&lk->lk);
  lk->locked = 0;
  lk->pid = 0;
  wakeup(lk);
  release(&lk->lk);
}

// Does the calling process hold lk?  No lock needed: if it does, only it changes the two
// fields; if it does not, pid never equals its own.
int
holdingsleep(struct sleeplock *lk)
{
  return __atomic_load_n(&lk->locked, __ATOMIC_ACQUIRE) &&
         __atomic_load_n(&lk->pid, __ATOMIC_RELAXED) == myproc()->pid;
}

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
  lk->waiters = 0;
}

void
acquiresleep(struct sleeplock *lk)
{
  acquire(&lk->lk);
  while(lk->locked){
    lk->waiters++;
    sleep(lk, &lk->lk);
    lk->waiters--;
  }
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
  if(lk->waiters)
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

// ---- reader/writer sleeping locks ------------------------------------------------------------

void
initrwsem(struct rwsem *rw, char *name)
{
  initlock(&rw->lk, "rwsem");
  rw->readers = 0;
  rw->writers_waiting = 0;
  rw->readers_waiting = 0;
  rw->writer = 0;
  rw->name = name;
}

void
down_read(struct rwsem *rw)
{
  acquire(&rw->lk);
  while(rw->writer || rw->writers_waiting){
    rw->readers_waiting++;
    sleep(rw, &rw->lk);
    rw->readers_waiting--;
  }
  rw->readers++;
  release(&rw->lk);
}

// Take rw for reading without sleeping (for a page fault under a spinlock).  1 if taken.
int
down_read_trylock(struct rwsem *rw)
{
  acquire(&rw->lk);
  int ok = rw->writer == 0;
  if(ok)
    rw->readers++;
  release(&rw->lk);
  return ok;
}

void
up_read(struct rwsem *rw)
{
  acquire(&rw->lk);
  if(rw->readers <= 0)
    panic("up_read: not held");
  if(--rw->readers == 0 && rw->writers_waiting)
    wakeup(rw);                   // (wakeup scans every process: only when someone waits)
  release(&rw->lk);
}

void
down_write(struct rwsem *rw)
{
  acquire(&rw->lk);
  rw->writers_waiting++;
  while(rw->writer || rw->readers)
    sleep(rw, &rw->lk);
  rw->writers_waiting--;
  rw->writer = myproc();
  release(&rw->lk);
}

void
up_write(struct rwsem *rw)
{
  acquire(&rw->lk);
  if(rw->writer != myproc())
    panic("up_write: not the holder");
  rw->writer = 0;
  if(rw->writers_waiting || rw->readers_waiting)
    wakeup(rw);
  release(&rw->lk);
}

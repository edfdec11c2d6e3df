// Long-term locks for processes: a waiter sleeps instead of spinning.
//   struct sleeplock  one holder at a time
//   struct rwsem      one writer, or any number of readers (an address space's lock, mm.h)
#ifndef XV6_SLEEPLOCK_H
#define XV6_SLEEPLOCK_H

struct sleeplock {
  uint locked;        // held?
  struct spinlock lk; // guards this structure
  char *name;
  int pid;            // holder
  int waiters;        // processes asleep in acquiresleep (guarded by lk): release wakes
                      // them only if there are any, as wakeup() scans every process
};

// Readers share it, a writer has it alone.  Writers come first: once one waits, new readers
// that would sleep wait behind it (so a stream of page faults cannot starve an munmap), but
// down_read_trylock() only fails while a writer actually holds it.
struct rwsem {
  struct spinlock lk; // guards the fields below
  int readers;        // readers holding it
  int writers_waiting;
  int readers_waiting;
  void *writer;       // the struct proc holding it for writing, or 0
  char *name;
};

// Does thread p (a struct proc) hold rw for writing?  Only the holder sets writer to itself,
// so the answer about p itself needs no lock and no ordering.
static inline int
holding_write(struct rwsem *rw, void *p)
{
  return __atomic_load_n(&rw->writer, __ATOMIC_RELAXED) == p;
}

#endif

// Long-term lock for processes: a waiter sleeps instead of spinning.
#ifndef XV6_SLEEPLOCK_H
#define XV6_SLEEPLOCK_H

struct sleeplock {
  uint locked;        // held?
  struct spinlock lk; // guards this structure
  char *name;
  int pid;            // holder
};

#endif

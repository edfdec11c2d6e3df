// Mutual exclusion lock for short critical sections; interrupts stay off while held.
#ifndef XV6_SPINLOCK_H
#define XV6_SPINLOCK_H

struct spinlock {
  uint locked;       // 0 = free; taken with amoswap
  char *name;        // for debugging
  struct cpu *cpu;   // holder, for holding() and debugging
};

#endif

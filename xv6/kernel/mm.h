// An address space: the user page table, the mmap regions and the sbrk range, shared by every
// thread of a process (clone, proc.c).  mm.c owns the table of them and their lifetime.
//
// Locking (mm->lock, a reader/writer sleeping lock):
//   written   by every system call that changes the regions or the PTEs they own (mmap,
//             munmap, mprotect, msync, madvise, mlock, sbrk, fork's copy, exec, exit), and by
//             other processes' truncation, reclaim and fsync (mmap.c, reclaim.c);
//   read      by page faults (fault.c) while more than one thread uses the space.  A process with
//             a single thread faults without it: only that thread changes its regions, and it
//             is busy faulting; truncation and reclaim meet its faults through compare-and-swap
//             on PTEs (fault.c's pte_swap).
//   ref       guarded by mm_table's spinlock (mm.c); read without it by faults, to which it
//             only says whether another thread may exist (only a thread of the space adds one).
//   the rest  (pagetable, vmas, ustart, sz, locked_pages) under the lock as above; a
//             process's own thread may read sz and ustart without it.
#ifndef XV6_MM_H
#define XV6_MM_H

#include "vma.h"

struct mm {
  struct rwsem lock;
  int ref;                    // proc slots (threads, live or not yet joined) that use it
  pagetable_t pagetable;      // user page table: trampoline, the threads' trap frames, memory
  struct vmas vmas;           // mmap regions (vma.c), including the program image
  uint64 ustart;              // start of the stack and heap, above the image: [ustart, sz) is
  uint64 sz;                  //   sbrk's memory, sz its end
  uint64 locked_pages;        // pages of MAP_LOCKED regions (mlock; mmap.c)
};

// Is another thread possibly using mm besides the caller?
static inline int
mm_shared(struct mm *mm)
{
  return __atomic_load_n(&mm->ref, __ATOMIC_ACQUIRE) > 1;
}

#endif

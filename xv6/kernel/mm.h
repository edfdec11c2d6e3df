// An address space: the user page table and the regions, shared by every thread of a process
// (clone, proc.c).  Every user range is a region (vma.h): the program image, the stack, the
// sbrk heap and what mmap maps.  mm.c owns the table of address spaces and their lifetime.
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
//   the rest  (pagetable, vmas, start_brk, brk, locked_pages) under the lock as above; a
//             process's own thread may read brk and start_brk without it.
#ifndef XV6_MM_H
#define XV6_MM_H

#include "vma.h"

struct mm {
  struct rwsem lock;
  int ref;                    // proc slots (threads, live or not yet joined) that use it
  pagetable_t pagetable;      // user page table: trampoline, the threads' trap frames, memory
  struct vmas vmas;           // the regions (vma.c): image, stack, heap, mmap
  uint64 start_brk;           // where the heap starts (above the stack), and the break: the
  uint64 brk;                 //   heap is the region [start_brk, PGROUNDUP(brk)) (mmap.c)
  uint64 locked_pages;        // pages of MAP_LOCKED regions (mlock; mmap.c)
};

// Is another thread possibly using mm besides the caller?
static inline int
mm_shared(struct mm *mm)
{
  return __atomic_load_n(&mm->ref, __ATOMIC_ACQUIRE) > 1;
}

#endif

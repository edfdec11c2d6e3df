// The address spaces (mm.h): a fixed table of them, one per process at most, handed out by
// mm_alloc() (fork, the first process) and shared by clone() (mm_get); the last mm_put()
// frees the page table.  What the regions hold is given back before that, when the last thread
// exits or exec replaces the image (mmap.c's mmap_unmap_all), so freeing needs no sleeping.
//
// Locking: mm_table.lock guards every mm's ref; see mm.h for the rest.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "proc.h"
#include "mm.h"
#include "defs.h"

extern char trampoline[];   // trampoline.S

static struct {
  struct spinlock lock;
  struct mm mm[NPROC];        // every mm has a process, so NPROC is enough
} mm_table;

void
mminit(void)
{
  initlock(&mm_table.lock, "mm_table");
  for(int i = 0; i < NPROC; i++)
    initrwsem(&mm_table.mm[i].lock, "mm");
}

// A new user page table that maps only the trampoline (not user-accessible), or 0 if out of
// memory.  For a new address space, and for exec's new image (proc.c).
pagetable_t
mm_new_pagetable(void)
{
  pagetable_t pt = uvmcreate();
  if(pt && mappages(pt, TRAMPOLINE, PGSIZE, (uint64)trampoline, PTE_R | PTE_X) != 0){
    uvmfree(pt);
    pt = 0;
  }
  return pt;
}

// A new, empty address space whose page table maps only the trampoline (the caller maps its
// trap frame), with one reference; 0 if out of memory.
struct mm *
mm_alloc(void)
{
  pagetable_t pt = mm_new_pagetable();
  if(pt == 0)
    return 0;
  acquire(&mm_table.lock);
  for(struct mm *mm = mm_table.mm; mm < &mm_table.mm[NPROC]; mm++){
    if(mm->ref == 0){
      if(mm->vmas.n)
        panic("mm_alloc: free space with regions");
      mm->ref = 1;
      mm->pagetable = pt;
      mm->start_brk = mm->brk = 0;
      mm->locked_pages = 0;
      release(&mm_table.lock);
      return mm;
    }
  }
  panic("mm_alloc: table full");   // more than NPROC processes
}

// Another thread uses mm.
void
mm_get(struct mm *mm)
{
  acquire(&mm_table.lock);
  mm->ref++;
  release(&mm_table.lock);
}

// A thread is done with mm; the last one frees the page table.  The regions must be gone
// (mmap_unmap_all) and every trap frame unmapped.
void
mm_put(struct mm *mm)
{
  acquire(&mm_table.lock);
  int last = --mm->ref == 0;
  pagetable_t pt = mm->pagetable;
  if(last){
    if(mm->vmas.n)
      panic("mm_put: regions still mapped");
    mm->pagetable = 0;            // the slot is free from here on: take what it held first
    mm->start_brk = mm->brk = 0;
  }
  release(&mm_table.lock);
  if(last){
    uvmunmap(pt, TRAMPOLINE, 1, 0);
    uvmfree(pt);
  }
}

// Call fn(mm, arg) for every address space in use, without holding any lock (fn takes
// mm->lock, and sees no regions if the space died meanwhile).  For scans that sleep.
void
mm_foreach(void (*fn)(struct mm *, void *), void *arg)
{
  for(struct mm *mm = mm_table.mm; mm < &mm_table.mm[NPROC]; mm++){
    if(__atomic_load_n(&mm->ref, __ATOMIC_ACQUIRE) > 0)
      fn(mm, arg);
  }
}

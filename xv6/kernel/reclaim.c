// Memory pressure: when free pages run short, take page-cache pages back from the processes
// that map them, so that kalloc() can reuse them (pc_reclaim) instead of failing.
//
// The pages that can go are the page-cache pages of files (they can be read again; anonymous
// memory has nowhere to go without swap), except those of MAP_LOCKED regions (pinned).  A page
// goes only after every PTE that maps it is gone, so the reclaimer needs every PTE of a page:
// instead of a reverse map it walks the file mappings of every process (the regions say where
// each file page can be mapped), which is an equivalent at the price of a scan.
//
// The choice is a clock over those PTEs' A bits (the hardware sets A on every access): a PTE
// with A set gets A cleared and a second chance; a PTE with A clear -- not touched since the
// last pass -- is taken out.  Its page goes back to the cache unreferenced once no process maps
// it; a dirty one (a harvested D bit, or PG_DIRTY) is written back first, so nothing is lost.
// The changed page tables are shot down on the harts running their process (tlb.c) before
// any page is released.
//
// When: at the start of a page fault (heap and stack pages fault in too), where the process
// holds no lock, if free plus reclaimable pages have fallen below RECLAIM_LOW (param.h), once
// per tick; and whenever such a fault found no memory, before it tries again.  Allocations
// deep inside the kernel only take the unreferenced pages (pc_reclaim), never sleep for more.
//
// Locking: each address space is scanned under its lock (mm.h), taken for writing.  The
// reclaimer holds no other lock meanwhile (it runs only where its thread holds none: the start
// of a fault, which lets go of its own address space's lock to retry), and a thread that holds
// an address space's lock never waits for another's (it does not reclaim then), so waiting for
// it cannot close a cycle.  Writeback needs the transaction and inode locks, which the reclaimer
// does not hold either.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "proc.h"
#include "fs.h"
#include "file.h"
#include "mman.h"
#include "vmpte.h"
#include "vmstat.h"
#include "tlb.h"
#include "defs.h"


struct pass {
  uint64 taken;                // PTEs taken out so far
};

// One sweep of the clock over mm's file mappings.
static void
sweep_mm(struct mm *mm, void *arg)
{
  struct pass *ps = arg;
  struct released rel = { .mm = mm };
  int cleared = 0;
  if(holding_write(&mm->lock, myproc()))
    return;
  down_write(&mm->lock);
  for(int i = 0; i < mm->vmas.n; i++){
    struct vma *r = vma_at(&mm->vmas, i);
    if(r->file == 0 || r->file->type != FD_INODE || (r->flags & MAP_LOCKED) || vma_huge(r))
      continue;
    for(uint64 a = r->start; a < r->end; a += PGSIZE){
      pte_t *pte = walk_next(mm->pagetable, &a, r->end);
      if(pte == 0)
        break;
      pte_t old = *pte;
      if(!(old & PTE_V) || !page_cached(PTE2PA(old)))
        continue;                 // PROT_NONE, or a private copy: anonymous memory
      if(old & PTE_A){
        if(__atomic_compare_exchange_n(pte, &old, old & ~PTE_A, 0, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE))
          cleared = 1;
        continue;                 // used since the last sweep: a second chance
      }
      if(!__atomic_compare_exchange_n(pte, &old, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        continue;                 // changed under us (a fault on another hart): skip it
      if(vma_shared(r) && pte_dirty(old))
        pc_set_dirty(PTE2PA(old));
      release_add(&rel, PTE2PA(old), r->file->ip);   // written back first if dirty
      ps->taken++;
    }
  }
  if(rel.n || cleared)
    release_flush(&rel);          // after clearing A too: the next access sets it again
  up_write(&mm->lock);
}

// One sweep of the clock over every process's file mappings.
void
reclaim_sweep(void)
{
  struct pass ps = { 0 };
  mm_foreach(sweep_mm, &ps);
  pc_note_sweep(ps.taken);
}

// If free and reclaimable pages are short, sweep -- at most once per clock tick, so that
// between two sweeps the pages in use have time to show it in their A bits, and so that a
// shortage reclaim cannot help (anonymous memory) costs little.  A fault that finds no memory
// sweeps at once instead (fault.c).  Only where the caller holds no locks: the start of a page
// fault.
void
reclaim_if_low(void)
{
  static uint last_tick = ~0U;    // a heuristic: races between harts only cost a sweep
  if(kfreepages() >= RECLAIM_LOW || kfreepages() + pc_reclaimable() >= RECLAIM_LOW)
    return;                       // the common case: a glance without locks
  uint now = __atomic_load_n(&ticks, __ATOMIC_RELAXED);
  if(__atomic_exchange_n(&last_tick, now, __ATOMIC_RELAXED) == now)
    return;
  reclaim_sweep();
}

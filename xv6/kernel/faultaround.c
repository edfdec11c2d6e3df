// Fault-around: a load or fetch that faults on a page of a file mapping also maps the pages
// around it that are in the page cache already, so a process reading through a file takes one
// fault per window instead of one per page (Linux's do_fault_around, 64 KiB by default).  With
// readahead (pcache.c) filling the cache ahead of a sequential reader, its faults go down by
// the window's size.
//
// The window is the FAULTAROUND-page block, aligned to its size, that holds the faulting page,
// clipped to the region.  Being aligned, it lies within one leaf page-table page, so one walk
// finds every PTE in it.  Only empty PTEs are filled, each by compare-and-swap with the bits the
// faulting page got (a private or write-protect-tracked page without W, as a load would map
// it); pages past end of file or not cached are left to fault.  As install() in fault.c does,
// each page is checked still cached after it is mapped: a truncation that dropped it meanwhile
// may have scanned this page table already, so its PTE is taken back.  Pages mapped here are
// not faults: vmstat counts them (faultaround_pages).
//
// Locking: the caller's, that of the fault it resolves (fault.c).

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "proc.h"
#include "fs.h"
#include "file.h"
#include "vma.h"
#include "defs.h"

#define FAULTAROUND 16            // pages in the window (Linux: fault_around_bytes / PGSIZE)

static int
pte_cas(pte_t *pte, pte_t old, pte_t new)
{
  return __atomic_compare_exchange_n(pte, &old, new, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

// Page va of file region r has just been mapped with PTE bits `bits` by a load or fetch fault
// of p: map the cached pages of its window that have no PTE yet.
void
fault_around(struct proc *p, struct vma *r, uint64 va, uint64 bits)
{
  uint64 lo = va & ~((uint64)FAULTAROUND * PGSIZE - 1), hi = lo + FAULTAROUND * PGSIZE;
  if(lo < r->start)
    lo = r->start;
  if(hi > r->end)
    hi = r->end;
  pte_t *at = walk(p->mm->pagetable, va, 0);
  if(at == 0 || bits == 0)
    return;
  pte_t *pte = at - (va - lo) / PGSIZE;      // lo's PTE: the same leaf table
  uint n = (hi - lo) / PGSIZE, want = 0;
  for(uint k = 0; k < n; k++)
    if(pte[k] == 0)
      want |= 1u << k;
  if(want == 0)
    return;
  uint64 pa[FAULTAROUND];
  want = pc_find_pages(r->file->ip, (r->offset + (lo - r->start)) / PGSIZE, n, want, pa);
  uint mapped = 0;
  for(uint k = 0; k < n; k++){
    if(!(want & (1u << k)))
      continue;
    if(pte_cas(&pte[k], 0, PA2PTE(pa[k]) | bits))
      mapped |= 1u << k;
    else
      page_put(pa[k]);           // another thread mapped it first
  }
  int count = 0;
  for(uint k = 0; k < n; k++){
    if(!(mapped & (1u << k)))
      continue;
    count++;
    if(!page_still_cached(pa[k]) && pte_cas(&pte[k], PA2PTE(pa[k]) | bits, 0)){
      page_put(pa[k]);
      count--;
    }
  }
  pc_note_faultaround(count);
}

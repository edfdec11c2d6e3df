// Remote TLB shootdowns.  A hart caches translations of the address space it runs; when
// another hart changes that page table in a way that takes memory or permissions away (munmap
// or mprotect by another thread of the process, truncation or reclaim by another process), the
// cached translations must go before the pages are reused or the call returns.
//
// The sender marks each target hart's request, raises its machine software interrupt through
// the CLINT (mvec.S turns it into a supervisor software interrupt), and waits until every
// target has run sfence.vma and cleared its request.  A target answers from its interrupt
// handler (trap.c), or, if it is spinning for a lock with interrupts off, from acquire()'s
// spin loop -- so two harts shooting at each other, or one spinning on a lock the other holds,
// cannot deadlock.
//
// The answer is also a barrier for the kernel's own use of user pages: copyin/copyout (vm.c)
// translate and copy each page with interrupts off, so once a hart has answered it holds no
// physical address it translated before the change.
//
// Locking: pending[h] is written by senders (set) and by hart h (clear) with atomics.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "tlb.h"
#include "defs.h"

static int pending[NCPU];   // hart h must flush its TLB
static uint64 sent_total;   // interrupts sent, for vmstat (atomic)

uint64
tlb_shootdowns(void)
{
  return __atomic_load_n(&sent_total, __ATOMIC_RELAXED);
}

// Answer a shootdown request to this hart, if there is one.  Interrupts are off.
void
tlb_poll(void)
{
  int me = cpuid();
  if(__atomic_load_n(&pending[me], __ATOMIC_ACQUIRE)){
    sfence_vma();
    __atomic_store_n(&pending[me], 0, __ATOMIC_RELEASE);
  }
}

// The page table of mm lost mappings or permissions: flush this hart's TLB, and that of every
// other hart that is running a thread of mm now, and wait until they have.  A hart that is not
// running mm flushes before it next enters user mode (userret), after the change, which the
// fence below orders before our look at cpus[].  Call without spinlocks held.
void
tlb_shootdown(struct mm *mm)
{
  __sync_synchronize();       // the PTE changes before the reads of cpus[].proc
  sfence_vma();
  int me = cpuid();           // stale if we move harts, which only makes us flush one more
  int sent = 0;
  for(int h = 0; h < NCPU; h++){
    // The proc a hart runs may be exiting meanwhile (its mm then reads as another or 0):
    // that hart flushes at its next userret anyway, so a miss there costs nothing.
    struct proc *running = __atomic_load_n(&cpus[h].proc, __ATOMIC_ACQUIRE);
    if(h == me || running == 0 || __atomic_load_n(&running->mm, __ATOMIC_RELAXED) != mm)
      continue;
    __atomic_store_n(&pending[h], 1, __ATOMIC_RELEASE);
    *(volatile uint32 *)CLINT_MSIP(h) = 1;
    sent |= 1 << h;
    __atomic_fetch_add(&sent_total, 1, __ATOMIC_RELAXED);
  }
  for(int h = 0; h < NCPU; h++){
    while((sent & (1 << h)) && __atomic_load_n(&pending[h], __ATOMIC_ACQUIRE)){
      push_off();
      tlb_poll();             // someone may be waiting for us meanwhile
      pop_off();
      cpu_relax();
    }
  }
}

// ---- pages freed behind a shootdown (tlb.h) -----------------------------------------------------

// Shoot down the harts running rel->mm, then write back the batch's dirty file pages (a batch of
// disk requests per run of pages of one file) and drop its references.  Nothing is left in the
// batch.
void
release_flush(struct released *rel)
{
  tlb_shootdown(rel->mm);
  for(int i = 0; i < rel->n; ){
    int k = 1;                    // a run of pages of one file: written back in one batch
    while(i + k < rel->n && k < 16 && rel->ip[i + k] == rel->ip[i])
      k++;
    if(rel->ip[i]){
      int w = pc_writeback_pages(rel->ip[i], &rel->pa[i], k);   // those that are dirty
      if(w < 0)
        printf("writeback of a page of inode %d failed (%d)\n", (int)rel->ip[i]->inum, w);
      else
        rel->written += w;
    }
    i += k;
  }
  for(int i = 0; i < rel->n; i++)
    page_put(rel->pa[i]);
  rel->n = 0;
}

// Add page pa, whose PTE the caller cleared, to the batch (with ip, the file to write it back
// to if it is dirty); a full batch is flushed.
void
release_add(struct released *rel, uint64 pa, struct inode *ip)
{
  rel->pa[rel->n] = pa;
  rel->ip[rel->n] = ip;
  if(++rel->n == RELEASE_BATCH)
    release_flush(rel);
}

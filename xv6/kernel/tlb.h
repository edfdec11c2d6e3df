// A batch of pages taken out of an address space's page table (tlb.c): they go back -- dirty
// file pages written first -- only after the TLBs of every hart running the space have
// forgotten them.  Callers clear the PTEs (by exchange or compare-and-swap), add each page
// with release_add(), and finish with release_flush().
#ifndef XV6_TLB_H
#define XV6_TLB_H

#define RELEASE_BATCH 64

struct released {
  struct mm *mm;                      // whose page table lost them
  int n;
  uint64 pa[RELEASE_BATCH];           // the PTEs' references, dropped at the flush
  struct inode *ip[RELEASE_BATCH];    // file to write the page back to first (if dirty), or 0
  uint64 written;                     // pages written back so far
};

#endif

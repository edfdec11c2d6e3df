// The commit limit: how much memory the kernel has promised to processes, and how much it may
// promise (Linux's strict overcommit mode, vm.overcommit_memory = 2).
//
// The rule: promises never pass commit_limit() = COMMIT_RATIO percent (param.h) of the pages
// the allocator manages (Linux's CommitLimit with vm.overcommit_ratio, no swap).  The rest is
// left for what is never promised to anyone: page tables, kernel stacks, trap frames, pipes,
// region tables, and the page cache that reads files and runs programs.  Charged are:
//   - the pages of private writable and shared anonymous regions (without MAP_NORESERVE),
//     from mmap, mprotect, sbrk or exec on until they are unmapped (mmap.c; a fork charges
//     the child's copy anew): the heap and the stack are such regions.
// A request that would pass the limit fails with ENOMEM (mmap, mprotect, sbrk, fork, exec), so
// a process that was promised memory gets it when it touches it, instead of being killed.
//
// Locking: commit.lock guards commit.committed.

#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "errno.h"
#include "defs.h"

static struct {
  struct spinlock lock;
  uint64 committed;       // pages promised, all processes together
} commit;

void
commitinit(void)
{
  initlock(&commit.lock, "commit");
}

// How many pages may be promised: COMMIT_RATIO percent of RAM's managed pages.
uint64
commit_limit(void)
{
  return ktotalpages() * COMMIT_RATIO / 100;
}

// Promise npages more.  0, or -ENOMEM (nothing promised) past the limit.
int
commit_charge(uint64 npages)
{
  uint64 limit = commit_limit();
  acquire(&commit.lock);
  int ok = npages <= limit && commit.committed <= limit - npages;
  if(ok)
    commit.committed += npages;
  release(&commit.lock);
  return ok ? 0 : -ENOMEM;
}

// Take back a promise of npages.
void
commit_uncharge(uint64 npages)
{
  acquire(&commit.lock);
  if(npages > commit.committed)
    panic("commit_uncharge: more than was charged");
  commit.committed -= npages;
  release(&commit.lock);
}

uint64
committed_pages(void)
{
  acquire(&commit.lock);
  uint64 n = commit.committed;
  release(&commit.lock);
  return n;
}

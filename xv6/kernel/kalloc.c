// Physical page allocator: hands out whole 4096-byte pages from the RAM between the end of the
// kernel image and PHYSTOP, for page tables, kernel stacks, trap frames, pipes and user memory.
//
// Free pages form a singly linked list threaded through their first word.  Pages are not
// cleared: a caller that needs zeroes clears the page itself.  Build with -DKALLOC_DEBUG to
// fill pages with junk on free and on allocation, which shakes out use-after-free and
// uninitialised-memory bugs (it costs a full page write each time, so it is off by default;
// kinit() touches only one word per page either way).

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "defs.h"

extern char end[];   // first address after the kernel image (kernel.ld)

struct free_page {
  struct free_page *next;
};

static struct {
  struct spinlock lock;
  struct free_page *head;
  uint64 nfree;
} pages;

static int
managed(uint64 pa)
{
  return pa % PGSIZE == 0 && pa >= PGROUNDUP((uint64)end) && pa < PHYSTOP;
}

void
kinit(void)
{
  initlock(&pages.lock, "kalloc");
  for(uint64 pa = PGROUNDUP((uint64)end); pa + PGSIZE <= PHYSTOP; pa += PGSIZE)
    kfree((void *)pa);
}

// Return the page at pa to the free list.
void
kfree(void *pa)
{
  if(!managed((uint64)pa))
    panic("kfree: not a page the allocator owns");
#ifdef KALLOC_DEBUG
  memset(pa, 0x11, PGSIZE);
#endif
  struct free_page *fp = pa;
  acquire(&pages.lock);
  fp->next = pages.head;
  pages.head = fp;
  pages.nfree++;
  release(&pages.lock);
}

// A free page (contents undefined), or 0 if memory is exhausted.
void*
kalloc(void)
{
  acquire(&pages.lock);
  struct free_page *fp = pages.head;
  if(fp){
    pages.head = fp->next;
    pages.nfree--;
  }
  release(&pages.lock);
#ifdef KALLOC_DEBUG
  if(fp)
    memset(fp, 0x55, PGSIZE);
#endif
  return fp;
}

// How many pages are free right now.
uint64
kfreepages(void)
{
  acquire(&pages.lock);
  uint64 n = pages.nfree;
  release(&pages.lock);
  return n;
}

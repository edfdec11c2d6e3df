// Physical page allocator: hands out whole 4096-byte pages from the RAM between the end of the
// kernel image (plus the struct page array, page.h) and PHYSTOP, for page tables, kernel
// stacks, trap frames, pipes, user memory and the page cache.
//
// When the free list is empty, kalloc() takes back the least recently used clean page-cache
// page that nothing maps (pcache.c) before it gives up.
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
#include "page.h"
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

// The struct page of every page of RAM from KERNBASE, and the first page the allocator owns.
static struct page *mem_map;
static uint64 first_free;
static uint64 npages_total;

static int
managed(uint64 pa)
{
  return pa % PGSIZE == 0 && pa >= first_free && pa < PHYSTOP;
}

// The metadata of page pa (any page of RAM).
struct page *
pa2page(uint64 pa)
{
  if(pa < KERNBASE || pa >= PHYSTOP)
    panic("pa2page: not RAM");
  return &mem_map[(pa - KERNBASE) / PGSIZE];
}

uint64
page2pa(struct page *pg)
{
  return KERNBASE + (uint64)(pg - mem_map) * PGSIZE;
}

// Place the struct page array after the kernel, then free every page above it.  The array
// is not cleared here: kalloc() initialises an entry when it hands the page out.
void
kinit(void)
{
  initlock(&pages.lock, "kalloc");
  mem_map = (struct page *)PGROUNDUP((uint64)end);
  uint64 n = (PHYSTOP - KERNBASE) / PGSIZE;
  first_free = PGROUNDUP((uint64)(mem_map + n));
  for(uint64 pa = first_free; pa + PGSIZE <= PHYSTOP; pa += PGSIZE){
    kfree((void *)pa);
    npages_total++;
  }
}

// Hand out pg (just taken off the free list or reclaimed): one reference, no flags.
static void *
fresh(struct page *pg)
{
  pg->ref = 1;
  pg->flags = 0;
  pg->hnext = pg->lru_prev = pg->lru_next = 0;
  void *pa = (void *)page2pa(pg);
#ifdef KALLOC_DEBUG
  memset(pa, 0x55, PGSIZE);
#endif
  return pa;
}

// Return the page at pa to the free list.
void
kfree(void *pa)
{
  if(!managed((uint64)pa))
    panic("kfree: not a page the allocator owns");
  struct page *pg = pa2page((uint64)pa);
  pg->ref = 0;
  pg->flags = 0;
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

// A free page (contents undefined) with one reference, or 0 if memory is exhausted even
// after reclaiming the page cache.  Never sleeps; the caller may hold spinlocks, but not the
// page-cache lock.
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
  if(fp)
    return fresh(pa2page((uint64)fp));
  uint64 pa = pc_reclaim();
  return pa ? fresh(pa2page(pa)) : 0;
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

// How many pages the allocator manages in all.
uint64
ktotalpages(void)
{
  return npages_total;
}

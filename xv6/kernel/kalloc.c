// Physical page allocator: hands out whole 4096-byte pages from the RAM between the end of the
// kernel image (plus the struct page array, page.h) and PHYSTOP, for page tables, kernel
// stacks, trap frames, pipes, user memory and the page cache.
//
// When the free list is empty, kalloc() takes back the least recently used clean page-cache
// page that nothing maps before it gives up, through what the page cache registered
// (struct page_cache_ops, page.h: the cache sits on the allocator, not the other way round).
//
// This file also owns the reference counts of user pages (page.h): page_dup, page_put.  The
// last reference frees a page, unless it is a page-cache page, whose count the cache keeps
// under its own lock (it finds and frees unreferenced cache pages).  Any other page's count
// changes by atomic operations: a page enters the cache only fresh from kalloc(), before
// anyone else references it, so a holder that sees its page outside the cache knows it stays
// outside.
//
// Free pages form a doubly linked list through their struct pages (PG_FREE), so that
// kalloc_huge() can take 512 free pages that happen to form an aligned 2 MiB frame out of it
// (MAP_HUGETLB).  Pages are not cleared: a caller that needs zeroes clears the page itself.
// Build with -DKALLOC_DEBUG to
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

static struct {
  struct spinlock lock;
  struct page head;        // sentinel of the free list: head.lru_next is the next to go
  uint64 nfree;
} pages;

// What the page cache registered (pcinit, before kinit).
static const struct page_cache_ops *cache;

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

// The page cache says how to take its pages back and count their references.
void
kalloc_set_cache(const struct page_cache_ops *ops)
{
  cache = ops;
}

// Is pg a cache page?  Asked by one of its holders, without ordering: if it just left the
// cache, the cache's own path (under its lock) sees that; it cannot have just entered it.
static int
in_cache(struct page *pg)
{
  return (__atomic_load_n(&pg->flags, __ATOMIC_RELAXED) & PG_CACHE) != 0;
}

// One more reference to user page pa, which the caller holds one to (a new PTE maps it).
void
page_dup(uint64 pa)
{
  struct page *pg = pa2page(pa);
  if(in_cache(pg))
    cache->dup(pg);
  else if(__atomic_fetch_add(&pg->ref, 1, __ATOMIC_RELAXED) == 0)
    panic("page_dup: free page");
}

// Drop a reference to user page pa.  The last one frees the page, unless it is cached.
void
page_put(uint64 pa)
{
  struct page *pg = pa2page(pa);
  if(in_cache(pg)){
    cache->put(pg);
    return;
  }
  uint old = __atomic_fetch_sub(&pg->ref, 1, __ATOMIC_ACQ_REL);
  if(old == 0)
    panic("page_put: no reference");
  if(old > 1)
    return;
  if(pg->flags & PG_HUGE)
    kfree_huge((void *)pa);
  else
    kfree((void *)pa);
}

// How many references pa has (a snapshot).
int
page_refs(uint64 pa)
{
  return __atomic_load_n(&pa2page(pa)->ref, __ATOMIC_ACQUIRE);
}

// Place the struct page array after the kernel, then free every page above it.  The array
// is not cleared here: kalloc() initialises an entry when it hands the page out.
void
kinit(void)
{
  initlock(&pages.lock, "kalloc");
  pages.head.lru_next = pages.head.lru_prev = &pages.head;
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

// Under pages.lock: put pg on / take it off the free list.
static void
free_push(struct page *pg)
{
  pg->ref = 0;
  pg->flags = PG_FREE;
  pg->lru_next = pages.head.lru_next;
  pg->lru_prev = &pages.head;
  pages.head.lru_next->lru_prev = pg;
  pages.head.lru_next = pg;
  pages.nfree++;
}

static void
free_unlink(struct page *pg)
{
  pg->lru_prev->lru_next = pg->lru_next;
  pg->lru_next->lru_prev = pg->lru_prev;
  pg->flags = 0;
  pages.nfree--;
}

// Return the page at pa to the free list.
void
kfree(void *pa)
{
  if(!managed((uint64)pa))
    panic("kfree: not a page the allocator owns");
  struct page *pg = pa2page((uint64)pa);
  if(pg->flags & PG_FREE)
    panic("kfree: page already free");
#ifdef KALLOC_DEBUG
  memset(pa, 0x11, PGSIZE);
#endif
  acquire(&pages.lock);
  free_push(pg);
  release(&pages.lock);
}

// A free page (contents undefined) with one reference, or 0 if memory is exhausted even
// after reclaiming the page cache.  Never sleeps; the caller may hold spinlocks, but not the
// page-cache lock.
void*
kalloc(void)
{
  acquire(&pages.lock);
  struct page *pg = pages.head.lru_next;
  if(pg != &pages.head)
    free_unlink(pg);
  else
    pg = 0;
  release(&pages.lock);
  if(pg)
    return fresh(pg);
  uint64 pa = cache ? cache->reclaim() : 0;
  return pa ? fresh(pa2page(pa)) : 0;
}

// The first page of a free, 2 MiB-aligned run of 512 pages, or 0.  Under pages.lock.
static struct page *
free_frame(void)
{
  uint64 n = HUGEPGSIZE / PGSIZE;
  for(uint64 pa = HUGEPGROUNDUP(first_free); pa + HUGEPGSIZE <= PHYSTOP; pa += HUGEPGSIZE){
    struct page *pg = pa2page(pa);
    uint64 i = 0;
    while(i < n && (pg[i].flags & PG_FREE))
      i++;
    if(i == n)
      return pg;
  }
  return 0;
}

// A 2 MiB-aligned frame of 512 contiguous pages for an Sv39 megapage (MAP_HUGETLB), with one
// reference on its first page (PG_HUGE), or 0 if no such frame is free.  Contents undefined.
void*
kalloc_huge(void)
{
  acquire(&pages.lock);
  struct page *pg = free_frame();
  if(pg){
    for(uint64 i = 0; i < HUGEPGSIZE / PGSIZE; i++){
      free_unlink(&pg[i]);
      pg[i].ref = 0;
    }
    pg->ref = 1;
    pg->flags = PG_HUGE;
    pg->hnext = 0;
  }
  release(&pages.lock);
  return pg ? (void *)page2pa(pg) : 0;
}

// Is a 2 MiB frame free now?  (mmap's MAP_HUGETLB check; it may be gone by the fault.)
int
khuge_available(void)
{
  acquire(&pages.lock);
  int ok = free_frame() != 0;
  release(&pages.lock);
  return ok;
}

// Give back a frame from kalloc_huge().
void
kfree_huge(void *pa)
{
  struct page *pg = pa2page((uint64)pa);
  if(!managed((uint64)pa) || (uint64)pa % HUGEPGSIZE || !(pg->flags & PG_HUGE))
    panic("kfree_huge: not a huge frame");
  acquire(&pages.lock);
  for(uint64 i = 0; i < HUGEPGSIZE / PGSIZE; i++)
    free_push(&pg[i]);
  release(&pages.lock);
}

// How many pages are free right now (a snapshot, read without the lock).
uint64
kfreepages(void)
{
  return __atomic_load_n(&pages.nfree, __ATOMIC_RELAXED);
}

// How many pages the allocator manages in all.
uint64
ktotalpages(void)
{
  return npages_total;
}

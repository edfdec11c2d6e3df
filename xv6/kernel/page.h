// Per-physical-page metadata: one struct page for every page of RAM, in an array kinit()
// places right after the kernel image (Linux's mem_map).  pa2page()/page2pa() convert.
//
// Locking: while the page is free, kalloc.c's lock guards flags and the links; freshly
// allocated, it is known only to its one holder.  The reference count of a page-cache page
// (PG_CACHE) changes under the cache's lock (pcache.lock), of any other page by atomic
// operations (kalloc.c: page_dup, page_put).  Every other field of a cache page is guarded by
// pcache.lock.
#ifndef XV6_PAGE_H
#define XV6_PAGE_H

struct page {
  uint ref;              // page-table entries mapping it + transient holders; 0: free or an
                         // unreferenced page-cache page
  uint flags;            // PG_* below
  uint dev;              // PG_CACHE: which object's page: (dev, inum, index)
  uint inum;
  uint index;            // page number within the object
  uint _pad;
  struct page *hnext;    // PG_CACHE: next page in the same hash bucket
  struct page *lru_prev; // PG_LRU: the list of unreferenced, clean file pages (reclaimable);
  struct page *lru_next; // PG_FREE: the free list
};

#define PG_CACHE  0x1    // in the page cache, found by (dev, inum, index)
#define PG_DIRTY  0x2    // newer than the file on disk: must be written back
#define PG_LRU    0x4    // on the reclaimable list (PG_CACHE, ref 0, clean, file-backed)
#define PG_WRITEBACK 0x20  // being written to disk (pcache.c): a second writer waits for it
#define PG_FREE   0x8    // on the allocator's free list (kalloc.c; lru_prev/lru_next link it)
#define PG_HUGE   0x10   // the first of the 512 pages of a 2 MiB frame (kalloc_huge): its
                         // ref, flags and cache key stand for the whole frame

// The pseudo device number of shared anonymous memory objects (MAP_SHARED|MAP_ANONYMOUS):
// their pages live in the page cache keyed (SHMDEV, object id, index) and are never written
// anywhere.
#define SHMDEV 0xffffffff

// What the page cache (pcache.c) registers with the allocator (kalloc_set_cache), so that the
// allocator, which the cache is built on, never calls the cache by name:
struct page_cache_ops {
  uint64 (*reclaim)(void);     // an unreferenced clean cache page taken out of the cache, as if
                               // freshly allocated (kalloc() when the free list is empty), or 0
  void (*dup)(struct page *);  // one more / one fewer reference to a PG_CACHE page, under the
  void (*put)(struct page *);  //   cache's lock; the last one leaves it cached (or frees it,
                               //   if it left the cache meanwhile)
};

#endif

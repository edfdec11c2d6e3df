// Per-physical-page metadata: one struct page for every page of RAM, in an array kinit()
// places right after the kernel image (Linux's mem_map).  pa2page()/page2pa() convert.
//
// Locking: every field is guarded by the page lock in pcache.c (pcache.lock), except while the
// page is free (then kalloc.c's lock guards flags and the links) or freshly allocated and so
// known only to one holder.
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

#endif

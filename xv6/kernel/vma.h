// Per-process virtual memory areas (VMAs): the regions created by mmap.  The table is vma.c;
// what happens to the pages inside the regions is mmap.c and fault.c.
#ifndef XV6_VMA_H
#define XV6_VMA_H

#include "mman.h"

// One mapped region [start, end), page aligned, non-empty.
struct vma {
  uint64 start;
  uint64 end;
  int prot;             // PROT_* bits (mman.h)
  int flags;            // the MAP_* bits that describe the region (VMA_KEEP_FLAGS in vma.c);
                        // the type is MAP_SHARED or MAP_PRIVATE (SHARED_VALIDATE is SHARED)
  struct file *file;    // the object mapped, one reference per region: an FD_INODE file, an
                        // FD_SHM object (shared anonymous memory), or 0 (private anonymous)
  uint64 offset;        // byte offset in the object of start (0 for private anonymous)
};

// The table is a ring of VMA_SLOTS slots held in page-sized chunks, allocated when first used,
// so a process with few regions costs one page and one with many needs no contiguous memory.
// Being a ring, it inserts at either end without moving anything: top-down placement always
// inserts at the front.
#define VMAS_PER_CHUNK  (PGSIZE / sizeof(struct vma))
#define VMA_CHUNKS      ((MAXMAPCOUNT + VMAS_PER_CHUNK - 1) / VMAS_PER_CHUNK)
#define VMA_SLOTS       (VMA_CHUNKS * VMAS_PER_CHUNK)

// A process's regions, sorted by start, never overlapping, at most MAXMAPCOUNT of them.
// Region i is in slot (base + i) % VMA_SLOTS (vma_at()).
struct vmas {
  int n;
  int base;                          // slot of region 0
  struct vma *chunk[VMA_CHUNKS];     // 0 until a slot in it is used
  uint64 hint;                       // start of the last top-down placement (0: none)
  int last;                          // index vma_find() found last (checked before use)
  uint64 hole_above;                 // no free hole above hint is longer than this
};

static inline struct vma *
vma_slot(struct vmas *t, int slot)
{
  return &t->chunk[slot / VMAS_PER_CHUNK][slot % VMAS_PER_CHUNK];
}

static inline struct vma *
vma_at(struct vmas *t, int i)
{
  return vma_slot(t, (t->base + i) % VMA_SLOTS);
}

// Bits of struct vma's flags that are ours, not MAP_* (Linux leaves bits 21-25 unused).
#define VMA_ACCOUNT (1 << 21)    // its pages are charged to the commit limit (mmap.c)
#define VMA_RANDOM  (1 << 22)    // madvise(MADV_RANDOM): faults read no pages ahead and map
                                 // none around (Linux's VM_RAND_READ)

static inline int
vma_shared(struct vma *r)
{
  return (r->flags & MAP_TYPE) == MAP_SHARED;
}

// Backed by 2 MiB megapages (MAP_HUGETLB): start, end and every PTE in units of HUGEPGSIZE.
static inline int
vma_huge(struct vma *r)
{
  return (r->flags & MAP_HUGETLB) != 0;
}

#endif

// Per-process virtual memory areas (VMAs): the regions created by mmap.  See vma.c.
#ifndef XV6_VMA_H
#define XV6_VMA_H

// One mapped region [start, end), page aligned, non-empty.
struct vma {
  uint64 start;
  uint64 end;
  int prot;             // PROT_* bits (mman.h)
  int flags;            // the MAP_* bits that describe the region (VMA_KEEP_FLAGS in vma.c)
  struct file *file;    // backing file; 0 for anonymous memory (file mappings: next increment)
  uint64 offset;        // file offset of start (0 for anonymous memory)
};

// A process's regions, sorted by start, never overlapping, at most MAXMAPCOUNT of them.
struct vmas {
  int n;
  struct vma v[MAXMAPCOUNT];
};

#endif

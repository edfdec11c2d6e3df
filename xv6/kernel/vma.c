// Virtual memory areas: each process's table of mmap regions (struct vmas, vma.h).
//
// What this file owns: the table itself -- a sorted array (by start address) of at most
// MAXMAPCOUNT non-overlapping regions, kept in a ring of page-sized chunks allocated as it
// grows (vma.h).  Lookup is a binary search (O(log n)); inserting or removing at either end is
// O(1) (top-down placement inserts at the front), in the middle it moves the shorter side.
// Free-hole search for mmap(NULL, ...) starts from where the last one ended (O(log n) in the
// usual case).  What the regions mean for pages and files is mmap.c's business; this file
// never touches a page table or a file reference.
//
// Locking: none here.  A table belongs to an address space (mm.h), whose lock its users hold:
// for writing to change it (system calls, exec, exit, fork building a child's), for reading
// (page faults) while several threads share the space.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "mman.h"
#include "errno.h"
#include "defs.h"

// Index of the first region whose end is above va (n if none): the region holding va, if any,
// else the first region after va.  Binary search.
int
vma_index(struct vmas *t, uint64 va)
{
  int lo = 0, hi = t->n;
  while(lo < hi){
    int mid = (lo + hi) / 2;
    if(vma_at(t, mid)->end <= va)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

// The region holding va, or 0.  Faults come in runs on one region, so the region found last
// is tried first (its index may be stale after a change to the table: it is only a guess).
struct vma *
vma_find(struct vmas *t, uint64 va)
{
  if(t->last < t->n){
    struct vma *r = vma_at(t, t->last);
    if(r->start <= va && va < r->end)
      return r;
  }
  int i = vma_index(t, va);
  if(i < t->n && vma_at(t, i)->start <= va){
    t->last = i;
    return vma_at(t, i);
  }
  return 0;
}

// Does any region intersect [start, end)?
int
vma_overlaps(struct vmas *t, uint64 start, uint64 end)
{
  int i = vma_index(t, start);
  return i < t->n && vma_at(t, i)->start < end;
}

// Make sure the chunk holding slot exists.  0, or -ENOMEM.
static int
have_slot(struct vmas *t, int slot)
{
  int c = slot / VMAS_PER_CHUNK;
  if(t->chunk[c] == 0 && (t->chunk[c] = kalloc()) == 0)
    return -ENOMEM;
  return 0;
}

// Put r at index i.  The shorter side moves: the regions before i one slot down, or those from
// i on one slot up.  0, or -ENOMEM (past MAXMAPCOUNT, or no memory for a chunk).
int
vma_insert(struct vmas *t, int i, struct vma *r)
{
  if(t->n >= MAXMAPCOUNT)
    return -ENOMEM;
  if(i < t->n - i){
    int slot = (t->base + VMA_SLOTS - 1) % VMA_SLOTS;
    if(have_slot(t, slot) != 0)
      return -ENOMEM;
    t->base = slot;
    for(int j = 0; j < i; j++)
      *vma_at(t, j) = *vma_at(t, j + 1);
  } else {
    if(have_slot(t, (t->base + t->n) % VMA_SLOTS) != 0)
      return -ENOMEM;
    for(int j = t->n; j > i; j--)
      *vma_at(t, j) = *vma_at(t, j - 1);
  }
  *vma_at(t, i) = *r;
  t->n++;
  return 0;
}

// Give back every chunk (the table is empty).
static void
free_chunks(struct vmas *t)
{
  for(int c = 0; c < VMA_CHUNKS; c++){
    if(t->chunk[c]){
      kfree(t->chunk[c]);
      t->chunk[c] = 0;
    }
  }
  t->base = 0;
}

// Remove the region at index i; the shorter side moves.  A hole opens where it was, so the
// placement hint is dropped if the hole lies above it.
void
vma_remove(struct vmas *t, int i)
{
  if(vma_at(t, i)->end > t->hint){
    t->hint = 0;
    t->hole_above = 0;
  }
  if(i < t->n - 1 - i){
    for(int j = i; j > 0; j--)
      *vma_at(t, j) = *vma_at(t, j - 1);
    t->base = (t->base + 1) % VMA_SLOTS;
  } else {
    for(int j = i; j < t->n - 1; j++)
      *vma_at(t, j) = *vma_at(t, j + 1);
  }
  t->n--;
  if(t->n == 0)
    free_chunks(t);
}

// How many more regions splitting at addr would make: 1 if addr falls strictly inside one.
int
vma_splits_at(struct vmas *t, uint64 addr)
{
  struct vma *r = vma_find(t, addr);
  return r != 0 && r->start < addr;
}

// Make addr a region boundary: if it falls strictly inside a region, cut that region in two.
// The upper part's offset moves with it; the caller takes the extra file reference.
// 0, or -ENOMEM.  *upper (if not 0) gets the new upper part's index, or -1 if none was made.
int
vma_split(struct vmas *t, uint64 addr, int *upper)
{
  if(upper)
    *upper = -1;
  int i = vma_index(t, addr);
  if(i == t->n || vma_at(t, i)->start >= addr)
    return 0;
  struct vma hi = *vma_at(t, i);
  hi.start = addr;
  hi.offset += addr - vma_at(t, i)->start;
  int err = vma_insert(t, i + 1, &hi);
  if(err)
    return err;
  vma_at(t, i)->end = addr;
  if(upper)
    *upper = i + 1;
  return 0;
}

// Can b (starting where a ends) be folded into a?
static int
mergeable(struct vma *a, struct vma *b)
{
  if(a->end != b->start || a->prot != b->prot || a->flags != b->flags || a->file != b->file)
    return 0;
  return a->file == 0 || a->offset + (a->end - a->start) == b->offset;
}

// Merge compatible neighbours among the regions that touch [start, end] (and the ones just
// outside it).  Each merge makes one region of two, so what the absorbed one held goes
// to drop(region).  Only the changed part of the table is looked at: O(k + n) for k regions
// there, the n for moving the table after a merge.
void
vma_coalesce(struct vmas *t, uint64 start, uint64 end, void (*drop)(struct vma *))
{
  int i = vma_index(t, start);
  if(i > 0)
    i--;
  while(i + 1 < t->n && vma_at(t, i)->start <= end){
    struct vma *a = vma_at(t, i), *b = vma_at(t, i + 1);
    if(!mergeable(a, b)){
      i++;
      continue;
    }
    struct vma gone = *b;
    a->end = b->end;
    uint64 keep_hint = t->hint, keep_hole = t->hole_above;
    vma_remove(t, i + 1);           // no hole opens: a covers b's range
    t->hint = keep_hint;
    t->hole_above = keep_hole;
    if(drop)
      drop(&gone);
  }
}

// Forget every region (their pages and files are the caller's to release first).
void
vma_clear(struct vmas *t)
{
  t->n = 0;
  t->hint = t->hole_above = 0;
  free_chunks(t);
}

// Give `to` (empty) a copy of from's table.  0, or -ENOMEM (then `to` stays empty).
int
vma_dup(struct vmas *from, struct vmas *to)
{
  for(int i = 0; i < from->n; i++){
    if(have_slot(to, i) != 0){
      vma_clear(to);
      return -ENOMEM;
    }
    *vma_at(to, i) = *vma_at(from, i);
  }
  to->n = from->n;
  to->hint = from->hint;
  to->hole_above = from->hole_above;
  return 0;
}

// The free hole of len bytes right below t->hint, or 0.  O(log n).
static uint64
below_hint(struct vmas *t, uint64 len, uint64 lo, uint64 hi)
{
  uint64 top = t->hint;
  if(top == 0 || top > hi || len <= t->hole_above)
    return 0;                       // no hint, or a hole above it might fit
  int i = vma_index(t, top);
  if(i < t->n && vma_at(t, i)->start < top)
    return 0;                       // a region spans the hint now
  uint64 bottom = i > 0 ? vma_at(t, i - 1)->end : lo;
  if(bottom < lo)
    bottom = lo;
  return top > bottom && top - bottom >= len ? top - len : 0;
}

// The highest free hole of len bytes in [lo, hi), at an address that is a multiple of align
// (PGSIZE, or HUGEPGSIZE for MAP_HUGETLB): its address, or 0.  Like Linux before its
// gap-augmented trees, it remembers where the last search ended (t->hint) and the largest hole
// it skipped above that; a request no larger than that hole looks right below the hint first.
uint64
vma_hole(struct vmas *t, uint64 len, uint64 align, uint64 lo, uint64 hi)
{
  uint64 a = align == PGSIZE ? below_hint(t, len, lo, hi) : 0;
  if(a){
    t->hint = a;
    return a;
  }
  uint64 top = hi, skipped = 0;
  for(int i = vma_index(t, hi) - 1; i >= -1; i--){
    uint64 bottom = i >= 0 ? vma_at(t, i)->end : lo;
    if(bottom < lo)
      bottom = lo;
    if(top > bottom && top - bottom >= len){
      uint64 cand = (top - len) & ~(align - 1);
      if(cand >= bottom){
        if(align == PGSIZE){
          t->hint = cand;
          t->hole_above = skipped;
        }
        return cand;
      }
    }
    if(top > bottom && top - bottom > skipped)
      skipped = top - bottom;
    if(i >= 0 && vma_at(t, i)->start < top)
      top = vma_at(t, i)->start;
    if(top <= lo)
      break;
  }
  return 0;
}

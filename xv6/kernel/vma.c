// Virtual memory areas: the regions a process maps with mmap, and their page faults.
//
// What this file owns:
//   - p->vmas, each process's table of regions: a sorted array (by start address) of at most
//     MAXMAPCOUNT non-overlapping regions.  Lookup is a binary search (O(log n)); insert,
//     remove, split and merge shift the array (O(n), n <= MAXMAPCOUNT).
//   - the user pages inside those regions: allocated lazily by vma_fault() on first touch
//     (from usertrap, or from copyin/copyout through vm.c), freed by munmap, exec and exit.
//     Nothing else maps, unmaps or frees them.
//
// Locking: none.  xv6 processes are single-threaded, so a process's VMAs and the page-table
// entries for them are only touched by the process itself (system calls, faults, exec, exit),
// by fork while it builds a child that is not yet runnable, and by the parent's wait() through
// freeproc() once the child is a ZOMBIE -- the same rule as p->pagetable and p->sz (proc.h).
// Nothing here sleeps (kalloc and walk do not), so copyin/copyout may fault pages in while
// holding spinlocks (pipewrite does).
//
// TLBs: only the owning hart changes a process's page table, and userret (trampoline.S) does
// sfence.vma on every return to user mode on every hart, so a stale translation cannot
// survive into user mode; the local sfence_vma() calls here are belt and braces.
//
// PTE encoding: PROT_NONE must not be a valid PTE (V=1 with R=W=X=0 points to the next level),
// so a page that has memory but is PROT_NONE keeps its physical address with V=0 and the
// software bit PTE_PNONE set.  Only this file creates or reads such entries.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "mman.h"
#include "errno.h"
#include "defs.h"

#define PTE_PNONE (1L << 8)   // RSW bit: a PROT_NONE page that owns memory (V=0)

// The MAP_* bits kept in struct vma; two adjacent regions merge only if these are equal.
#define VMA_KEEP_FLAGS (MAP_TYPE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE | MAP_LOCKED)

// ---- the sorted table ------------------------------------------------------------------------

// Index of the first region whose end is above va (n if none): the region holding va, if any,
// else the first region after va.  Binary search.
static int
lower_bound(struct vmas *t, uint64 va)
{
  int lo = 0, hi = t->n;
  while(lo < hi){
    int mid = (lo + hi) / 2;
    if(t->v[mid].end <= va)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo;
}

// The region holding va, or 0.
struct vma *
vma_find(struct vmas *t, uint64 va)
{
  int i = lower_bound(t, va);
  if(i < t->n && t->v[i].start <= va)
    return &t->v[i];
  return 0;
}

// Does any region intersect [start, end)?
int
vma_overlaps(struct vmas *t, uint64 start, uint64 end)
{
  int i = lower_bound(t, start);
  return i < t->n && t->v[i].start < end;
}

// Put r at index i, shifting the rest up.  0, or -ENOMEM at the MAXMAPCOUNT limit.
static int
insert_at(struct vmas *t, int i, struct vma *r)
{
  if(t->n >= MAXMAPCOUNT)
    return -ENOMEM;
  memmove(&t->v[i + 1], &t->v[i], (t->n - i) * sizeof(struct vma));
  t->v[i] = *r;
  t->n++;
  return 0;
}

static void
remove_at(struct vmas *t, int i)
{
  memmove(&t->v[i], &t->v[i + 1], (t->n - i - 1) * sizeof(struct vma));
  t->n--;
}

// Make addr a region boundary: if it falls strictly inside a region, cut that region in two.
// 0, or -ENOMEM at the limit.
static int
split_at(struct vmas *t, uint64 addr)
{
  int i = lower_bound(t, addr);
  if(i == t->n || t->v[i].start >= addr)
    return 0;
  struct vma upper = t->v[i];
  upper.start = addr;
  if(upper.file)
    upper.offset += addr - t->v[i].start;
  int err = insert_at(t, i + 1, &upper);
  if(err == 0)
    t->v[i].end = addr;
  return err;
}

// Can b (starting where a ends) be folded into a?
static int
mergeable(struct vma *a, struct vma *b)
{
  if(a->end != b->start || a->prot != b->prot || a->flags != b->flags || a->file != b->file)
    return 0;
  return a->file == 0 || a->offset + (a->end - a->start) == b->offset;
}

// Merge every pair of adjacent compatible regions.
static void
coalesce(struct vmas *t)
{
  if(t->n == 0)
    return;
  int j = 0;
  for(int i = 1; i < t->n; i++){
    if(mergeable(&t->v[j], &t->v[i]))
      t->v[j].end = t->v[i].end;
    else
      t->v[++j] = t->v[i];
  }
  t->n = j + 1;
}

// ---- pages -------------------------------------------------------------------------------------

// The leaf PTE bits for prot: 0 for PROT_NONE; W needs R on RISC-V.
static uint64
prot_pte(int prot)
{
  uint64 bits = PTE_V | PTE_U;
  if((prot & (PROT_READ | PROT_WRITE | PROT_EXEC)) == 0)
    return 0;
  if(prot & PROT_READ)
    bits |= PTE_R;
  if(prot & PROT_WRITE)
    bits |= PTE_R | PTE_W;
  if(prot & PROT_EXEC)
    bits |= PTE_X;
  return bits;
}

// The PTE for a page of memory pa in a region with prot.
static pte_t
make_pte(uint64 pa, int prot)
{
  uint64 bits = prot_pte(prot);
  return PA2PTE(pa) | (bits ? bits : PTE_PNONE);
}

// Does this PTE own a page (mapped, or kept under PROT_NONE)?
static int
has_page(pte_t *pte)
{
  return pte != 0 && (*pte & (PTE_V | PTE_PNONE)) != 0;
}

// Free the pages of [start, end) that were faulted in.
static void
free_pages(pagetable_t pt, uint64 start, uint64 end)
{
  for(uint64 a = start; a < end; a += PGSIZE){
    pte_t *pte = walk(pt, a, 0);
    if(has_page(pte)){
      kfree((void *)PTE2PA(*pte));
      *pte = 0;
    }
  }
}

// Give the page at va (page aligned, not yet backed) a zeroed page of memory.  0 or -ENOMEM.
static int
fill_page(pagetable_t pt, uint64 va, int prot)
{
  char *mem = kalloc();
  if(mem == 0)
    return -ENOMEM;
  memset(mem, 0, PGSIZE);
  pte_t *pte = walk(pt, va, 1);
  if(pte == 0){
    kfree(mem);
    return -ENOMEM;
  }
  *pte = make_pte((uint64)mem, prot);
  return 0;
}

// Give the existing pages of [start, end) the PTE bits of prot.
static void
reprotect_pages(pagetable_t pt, uint64 start, uint64 end, int prot)
{
  for(uint64 a = start; a < end; a += PGSIZE){
    pte_t *pte = walk(pt, a, 0);
    if(has_page(pte))
      *pte = make_pte(PTE2PA(*pte), prot);
  }
}

// ---- faults --------------------------------------------------------------------------------

// May an access of this kind (a page-fault scause) touch a region with prot?
static int
access_ok(int prot, uint64 cause)
{
  switch(cause){
  case EXC_INST_PAGE_FAULT:
    return (prot & PROT_EXEC) != 0;
  case EXC_LOAD_PAGE_FAULT:
    return (prot & (PROT_READ | PROT_WRITE)) != 0;   // W implies R
  case EXC_STORE_PAGE_FAULT:
    return (prot & PROT_WRITE) != 0;
  }
  return 0;
}

// A page fault at user address va with the given scause (12, 13 or 15).  If va is in one of
// p's regions and the region allows the access, back the page with zeroed memory (lazy
// allocation) and return 0.  Otherwise -EFAULT (no region, or prot forbids the access: the
// caller kills the process, or fails the copy), or -ENOMEM.
int
vma_fault(struct proc *p, uint64 va, uint64 cause)
{
  if(va >= MAXVA)
    return -EFAULT;
  struct vma *r = vma_find(&p->vmas, va);
  if(r == 0 || !access_ok(r->prot, cause))
    return -EFAULT;
  uint64 page = PGROUNDDOWN(va);
  pte_t *pte = walk(p->pagetable, page, 0);
  if(has_page(pte))
    return 0;   // already there: a spurious fault (the PTE allows what the region allows)
  return fill_page(p->pagetable, page, r->prot);
}

// For vm.c's copyin/copyout: fault in the page at va of pagetable, if that is the current
// process's and va is in a region allowing the access.  0, or -errno.
int
vma_fault_in(pagetable_t pagetable, uint64 va, int write)
{
  struct proc *p = myproc();
  if(p == 0 || p->pagetable != pagetable)
    return -EFAULT;
  return vma_fault(p, va, write ? EXC_STORE_PAGE_FAULT : EXC_LOAD_PAGE_FAULT);
}

// ---- operations on a process's regions ------------------------------------------------------

// Remove [start, end) (page aligned) from p's regions, freeing their pages.  Parts of regions
// outside the range stay.  0, or -ENOMEM if cutting a hole in one region would pass the limit
// (then nothing changed).
int
vma_unmap(struct proc *p, uint64 start, uint64 end)
{
  struct vmas *t = &p->vmas;
  int i = lower_bound(t, start);
  if(i < t->n && t->v[i].start < start && t->v[i].end > end){
    int err = split_at(t, end);     // a hole in the middle of one region: needs a new entry
    if(err)
      return err;
  }
  while(i < t->n && t->v[i].start < end){
    struct vma *r = &t->v[i];
    uint64 lo = r->start > start ? r->start : start;
    uint64 hi = r->end < end ? r->end : end;
    free_pages(p->pagetable, lo, hi);
    if(r->start < start){
      r->end = start;               // keep the head
      i++;
    } else if(r->end > end){
      if(r->file)
        r->offset += end - r->start;
      r->start = end;               // keep the tail
      i++;
    } else {
      remove_at(t, i);
    }
  }
  sfence_vma();
  return 0;
}

// Unmap everything (exit, exec, freeproc): pt is the page table the regions live in.
void
vma_unmap_all(struct vmas *t, pagetable_t pt)
{
  for(int i = 0; i < t->n; i++)
    free_pages(pt, t->v[i].start, t->v[i].end);
  t->n = 0;
}

// Find room for len bytes: the highest free hole in [MMAPMIN, MMAPTOP).  Its address, or 0.
static uint64
find_hole(struct vmas *t, uint64 len)
{
  uint64 hi = MMAPTOP;
  for(int i = t->n - 1; i >= -1; i--){
    uint64 lo = i >= 0 ? t->v[i].end : MMAPMIN;
    if(lo < MMAPMIN)
      lo = MMAPMIN;
    if(hi > lo && hi - lo >= len)
      return hi - len;
    if(i >= 0 && t->v[i].start < hi)
      hi = t->v[i].start;
    if(hi <= MMAPMIN)
      break;
  }
  return 0;
}

// Is [addr, addr+len) a place a mapping may go: above the heap, below MMAPTOP?
static int
in_user_area(struct proc *p, uint64 addr, uint64 len)
{
  return addr >= PGROUNDUP(p->sz) && addr + len > addr && addr + len <= MMAPTOP;
}

// Where the new mapping goes, or -errno.
static uint64
place(struct proc *p, uint64 addr, uint64 len, int flags)
{
  struct vmas *t = &p->vmas;
  if(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)){
    if(!in_user_area(p, addr, len))
      return -ENOMEM;
    if(vma_overlaps(t, addr, addr + len)){
      if(flags & MAP_FIXED_NOREPLACE)
        return -EEXIST;
      int err = vma_unmap(p, addr, addr + len);
      if(err)
        return err;
    }
    return addr;
  }
  uint64 hint = PGROUNDUP(addr);
  if(addr != 0 && in_user_area(p, hint, len) && !vma_overlaps(t, hint, hint + len))
    return hint;
  uint64 a = find_hole(t, len);
  return a ? a : -ENOMEM;
}

// Back every page of [start, end) now (MAP_POPULATE, MAP_LOCKED).  0 or -ENOMEM.
static int
populate(struct proc *p, uint64 start, uint64 end, int prot)
{
  if(prot_pte(prot) == 0)
    return 0;
  for(uint64 a = start; a < end; a += PGSIZE){
    if(!has_page(walk(p->pagetable, a, 0)) && fill_page(p->pagetable, a, prot) != 0)
      return -ENOMEM;
  }
  return 0;
}

// Create an anonymous private mapping of len bytes (page multiple, > 0), arguments already
// checked by sys_mmap.  Returns its address, or -errno (ENOMEM, EEXIST).
uint64
vma_mmap(struct proc *p, uint64 addr, uint64 len, int prot, int flags)
{
  struct vmas *t = &p->vmas;
  if(t->n >= MAXMAPCOUNT && !(flags & MAP_FIXED))
    return -ENOMEM;
  uint64 start = place(p, addr, len, flags);
  if((int64)start < 0)
    return start;
  struct vma r = { .start = start, .end = start + len, .prot = prot,
                   .flags = flags & VMA_KEEP_FLAGS, .file = 0, .offset = 0 };
  int err = insert_at(t, lower_bound(t, start), &r);
  if(err)
    return err;
  coalesce(t);
  if(flags & (MAP_POPULATE | MAP_LOCKED)){
    if(populate(p, start, start + len, prot) != 0){
      vma_unmap(p, start, start + len);
      return -ENOMEM;
    }
  }
  return start;
}

// Set prot on [start, end) (page aligned), which must be mapped throughout (else -ENOMEM),
// splitting regions at the ends and updating the PTEs of pages already there.
int
vma_mprotect(struct proc *p, uint64 start, uint64 end, int prot)
{
  struct vmas *t = &p->vmas;
  int i = lower_bound(t, start);
  for(uint64 a = start; a < end; i++){
    if(i == t->n || t->v[i].start > a)
      return -ENOMEM;
    a = t->v[i].end;
  }
  int extra = (vma_find(t, start) && vma_find(t, start)->start < start) +
              (vma_find(t, end) && vma_find(t, end)->start < end);
  if(t->n + extra > MAXMAPCOUNT)
    return -ENOMEM;
  if(split_at(t, start) != 0 || split_at(t, end) != 0)
    panic("vma_mprotect: split");
  for(i = lower_bound(t, start); i < t->n && t->v[i].start < end; i++)
    t->v[i].prot = prot;
  reprotect_pages(p->pagetable, start, end, prot);
  coalesce(t);
  sfence_vma();
  return 0;
}

// fork: give the child copies of the parent's regions and of every page faulted in so far.
// 0, or -ENOMEM (the child's copies so far are freed).
int
vma_copy(struct proc *from, struct proc *to)
{
  to->vmas = from->vmas;
  for(int i = 0; i < from->vmas.n; i++){
    struct vma *r = &from->vmas.v[i];
    for(uint64 a = r->start; a < r->end; a += PGSIZE){
      pte_t *src = walk(from->pagetable, a, 0);
      if(!has_page(src))
        continue;
      char *mem = kalloc();
      pte_t *dst = mem ? walk(to->pagetable, a, 1) : 0;
      if(dst == 0){
        if(mem)
          kfree(mem);
        vma_unmap_all(&to->vmas, to->pagetable);
        return -ENOMEM;
      }
      memmove(mem, (char *)PTE2PA(*src), PGSIZE);
      *dst = PA2PTE((uint64)mem) | PTE_FLAGS(*src);
    }
  }
  return 0;
}

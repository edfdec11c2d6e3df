// What mmap, munmap, mprotect, msync, fork, exec and exit do to a process's regions and to
// the pages inside them.  The table of regions is vma.c; faults are fault.c; shared pages and
// writeback are pcache.c.
//
// Each region holds one reference to the object it maps (an open file, or a shared anonymous
// object), so the fd may be closed after mmap; each page-table entry of a region holds one
// reference to its page.  Dirty shared file pages are written back when they are unmapped
// (munmap, exit, exec, MAP_FIXED over them), on msync(MS_SYNC), and on fsync/sync.
//
// Where dirty pages are recorded: the dirty record of a shared file page lives in the PTEs of
// the processes that stored to it (vmpte.h) until it is harvested into the page (PG_DIRTY),
// which any later writeback of the file honours.  A process's own munmap, exit, exec and msync
// harvest its own PTEs; fsync and sync harvest every process's (mmap_harvest_all, with TLB
// shootdowns), and so does the reclaimer (reclaim.c) for the pages it takes back.
//
// What a region holds besides its pages, taken and given back together (region_hold/drop):
//   - one reference to its object (fd may be closed after mmap);
//   - with MAP_DENYWRITE, one count of the inode's denywrite (fs.c: no writers meanwhile);
//   - with VMA_ACCOUNT (private writable or shared anonymous, without MAP_NORESERVE), a charge
//     of its pages against the commit limit (commit.c: a share of RAM that leaves room for
//     the kernel, page tables and the page cache): mmap fails with ENOMEM rather than promise
//     memory that is not there;
//   - with MAP_LOCKED (mmap or mlock), its pages count against the process's MLOCKPAGES and
//     are all present.
//
// Locking: the caller holds the address space's lock for writing (mm.h) -- the threads of a
// process share its regions and page table, and their faults read them under the lock's read
// side.  PTEs that lose a page or a permission are changed first, the TLBs of every hart
// running the space are shot down (tlb.c), and only then are pages written back and freed, so
// no other thread can reach a page once it is released.  Writeback sleeps (disk), so none of
// this may run under a spinlock.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "proc.h"
#include "fs.h"
#include "file.h"
#include "mman.h"
#include "vmpte.h"
#include "tlb.h"
#include "errno.h"
#include "defs.h"

// The MAP_* bits kept in struct vma; two adjacent regions merge only if these are equal.
#define VMA_KEEP_FLAGS (MAP_TYPE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE | MAP_LOCKED | \
                        MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_HUGETLB)

static uint64
npages(struct vma *r)
{
  return (r->end - r->start) / PGSIZE;
}

// Does a region with these flags and prot need a commit charge?
static int
accountable(int flags, int prot, struct file *obj)
{
  if(flags & MAP_NORESERVE)
    return 0;
  if((flags & MAP_TYPE) == MAP_PRIVATE)
    return (prot & PROT_WRITE) != 0;
  return obj != 0 && obj->type == FD_SHM;
}

// A region [r] came into being by splitting or copying one: take its own object reference and
// denywrite count (the pages' charges move with them; see above).
static void
region_hold(struct vma *r)
{
  if(r->file){
    filedup(r->file);
    if((r->flags & MAP_DENYWRITE) && deny_write_access(r->file->ip) != 0)
      panic("region_hold: a writer while denied");
  }
}

// Region r goes away or is folded into a neighbour: give back its object reference and
// denywrite count.
static void
region_drop(struct vma *r)
{
  if(r->file){
    if(r->flags & MAP_DENYWRITE)
      allow_write_access(r->file->ip);
    fileclose(r->file);
  }
}

// Region r's pages leave the process (munmap, exit): its charges go.
static void
region_uncharge(struct proc *p, struct vma *r)
{
  if(r->flags & VMA_ACCOUNT)
    commit_uncharge(npages(r));
  if(r->flags & MAP_LOCKED)
    p->mm->locked_pages -= npages(r);
}

static int
is_file(struct vma *r)
{
  return r->file && r->file->type == FD_INODE;
}

static int
shared_file(struct vma *r)
{
  return is_file(r) && vma_shared(r);
}

// ---- pages of a range ---------------------------------------------------------------------------

// If the shared file page behind *pte was stored to, move that record into the page.  By
// compare-and-swap: another hart may be setting A or D in it (hardware), or a fault may be
// changing it.  1 if there was a record.
static int
harvest(pte_t *pte)
{
  for(;;){
    pte_t old = *pte;
    if(!pte_dirty(old))
      return 0;
    if(__atomic_compare_exchange_n(pte, &old, pte_clean(old), 0, __ATOMIC_ACQ_REL,
                                   __ATOMIC_ACQUIRE)){
      pc_set_dirty(PTE2PA(old));
      return 1;
    }
  }
}

// The next PTE of region r in page table pt that holds a page (mapped, or PROT_NONE with a
// page), for an address in [*a, end); *a becomes its address.  0 if there is none.  A
// MAP_HUGETLB region's PTEs are its megapages' level-1 leaves, one per 2 MiB.
static pte_t *
next_pte(pagetable_t pt, struct vma *r, uint64 *a, uint64 end)
{
  if(!vma_huge(r))
    return walk_next(pt, a, end);
  for(; *a < end; *a += HUGEPGSIZE){
    pte_t *pte = walk_huge(pt, *a, 0);
    if(pte && (*pte & (PTE_V | PTE_PNONE)))
      return pte;
  }
  return 0;
}

// The span one PTE of region r maps.
static uint64
pte_span(struct vma *r)
{
  return vma_huge(r) ? HUGEPGSIZE : PGSIZE;
}

// Take the pages of region r in [lo, hi) out of page table pt.  Each PTE is cleared first (by
// exchange: a hart running another thread may be setting its D bit), its dirty record moved
// into the page; then the TLBs go, then dirty shared file pages are written back and the
// pages released -- never while another thread could still reach them.
static void
release_range(struct proc *p, pagetable_t pt, struct vma *r, uint64 lo, uint64 hi)
{
  struct released rel = { .mm = p->mm };
  struct inode *ip = shared_file(r) ? r->file->ip : 0;   // written back if dirty
  pte_t *pte;
  for(uint64 a = lo; (pte = next_pte(pt, r, &a, hi)) != 0; a += pte_span(r)){
    pte_t old = __atomic_exchange_n(pte, 0, __ATOMIC_ACQ_REL);
    if(ip && pte_dirty(old))
      pc_set_dirty(PTE2PA(old));
    release_add(&rel, PTE2PA(old), ip);
  }
  if(rel.n)
    release_flush(&rel);
  p->ru.ru_wbpages += rel.written;
}

// The PTE bits for the page behind *pte in region r under prot.
static pte_t
reprotected(struct vma *r, pte_t pte, int prot)
{
  uint64 pa = PTE2PA(pte);
  uint64 bits = prot_pte(prot);
  if(!vma_shared(r) && ((pte & PTE_COW) || page_cached(pa)))
    bits &= ~PTE_W;                     // still shared: the first store must copy
  if(shared_file(r) && DIRTY_TRACKING == DIRTY_WP)
    bits &= ~PTE_W;                     // clean again (harvested): W waits for the next store
  return PA2PTE(pa) | (bits ? bits : PTE_PNONE) | (pte & PTE_COW);
}

// Give the pages of region r in [lo, hi) the PTE bits of prot, by compare-and-swap (a hart
// running another thread may be setting A or D), moving dirty records into the pages; the
// harts running the other threads lose the old permissions before this returns.
static void
reprotect_range(struct mm *mm, struct vma *r, uint64 lo, uint64 hi, int prot)
{
  pte_t *pte;
  for(uint64 a = lo; (pte = next_pte(mm->pagetable, r, &a, hi)) != 0; a += pte_span(r)){
    for(;;){
      pte_t old = *pte;
      if(!(old & (PTE_V | PTE_PNONE)))
        break;
      int dirty = shared_file(r) && pte_dirty(old);
      pte_t new = reprotected(r, dirty ? pte_clean(old) : old, prot);
      if(__atomic_compare_exchange_n(pte, &old, new, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)){
        if(dirty)
          pc_set_dirty(PTE2PA(old));
        break;
      }
    }
  }
  tlb_shootdown(mm);
}

// ---- regions ------------------------------------------------------------------------------------

// The part [*lo, *hi) of region r that lies in [start, end) (empty if none).
static void
clamp(struct vma *r, uint64 start, uint64 end, uint64 *lo, uint64 *hi)
{
  *lo = r->start > start ? r->start : start;
  *hi = r->end < end ? r->end : end;
  if(*hi < *lo)
    *hi = *lo;
}

// How many pages of region r lie in [start, end)?
static uint64
overlap_pages(struct vma *r, uint64 start, uint64 end)
{
  uint64 lo, hi;
  clamp(r, start, end, &lo, &hi);
  return (hi - lo) / PGSIZE;
}

// Is every page of [start, end) in one of t's regions?
static int
mapped_throughout(struct vmas *t, uint64 start, uint64 end)
{
  int i = vma_index(t, start);
  for(uint64 a = start; a < end; i++){
    if(i == t->n || vma_at(t, i)->start > a)
      return 0;
    a = vma_at(t, i)->end;
  }
  return 1;
}

// Make addr a region boundary; a new upper part holds what a region holds.
static int
split(struct vmas *t, uint64 addr)
{
  int upper;
  int err = vma_split(t, addr, &upper);
  if(err == 0 && upper >= 0)
    region_hold(vma_at(t, upper));
  return err;
}

// Where [start, end) cuts a MAP_HUGETLB region, it must cut at a 2 MiB boundary: -EINVAL if
// start does not; end is rounded up to one if `round` (munmap, as Linux does), else -EINVAL.
int
mmap_huge_bounds(struct proc *p, uint64 start, uint64 *end, int round)
{
  struct vma *r = vma_find(&p->mm->vmas, start);
  if(r && vma_huge(r) && start % HUGEPGSIZE)
    return -EINVAL;
  r = vma_find(&p->mm->vmas, *end);
  if(r && vma_huge(r) && *end % HUGEPGSIZE){
    if(!round)
      return -EINVAL;
    *end = HUGEPGROUNDUP(*end);
  }
  return 0;
}

// Would cutting regions at start and end pass MAXMAPCOUNT?
static int
splits_too_many(struct vmas *t, uint64 start, uint64 end)
{
  return t->n + vma_splits_at(t, start) + vma_splits_at(t, end) > MAXMAPCOUNT;
}

// Make start and end region boundaries, so [start, end) is made of whole regions.  0, or
// -ENOMEM (past MAXMAPCOUNT, or no memory for the table).
static int
split_range(struct vmas *t, uint64 start, uint64 end)
{
  if(splits_too_many(t, start, end) || split(t, start) != 0 || split(t, end) != 0)
    return -ENOMEM;
  return 0;
}

// Remove [start, end) (page aligned) from the regions in table t, whose pages are in page
// table pt (p's own, or exec's new image): dirty shared pages are written back, pages and
// object references released.  Parts of regions outside the range stay.  0, or -ENOMEM if
// cutting a hole would pass MAXMAPCOUNT (then nothing changed).
static int
unmap_in(struct proc *p, struct vmas *t, pagetable_t pt, uint64 start, uint64 end)
{
  if(!vma_overlaps(t, start, end))
    return 0;
  if(split_range(t, start, end) != 0)
    return -ENOMEM;
  int i = vma_index(t, start);
  while(i < t->n && vma_at(t, i)->start < end){
    struct vma r = *vma_at(t, i);
    release_range(p, pt, &r, r.start, r.end);
    vma_remove(t, i);
    region_uncharge(p, &r);
    region_drop(&r);
  }
  return 0;
}

// munmap: remove [start, end) from p's regions.
int
mmap_unmap(struct proc *p, uint64 start, uint64 end)
{
  return unmap_in(p, &p->mm->vmas, p->mm->pagetable, start, end);
}

// Unmap every region of table t, whose pages are in pt (exit; exec, for the old image, or for
// the new one when it fails).
void
mmap_unmap_table(struct proc *p, struct vmas *t, pagetable_t pt)
{
  for(int i = 0; i < t->n; i++){
    struct vma *r = vma_at(t, i);
    release_range(p, pt, r, r->start, r->end);
    region_uncharge(p, r);
    region_drop(r);
  }
  vma_clear(t);
}

// Unmap everything p maps (exit): pt is the page table the regions live in.
void
mmap_unmap_all(struct proc *p, pagetable_t pt)
{
  mmap_unmap_table(p, &p->mm->vmas, pt);
}

// ---- exec: the program image as mappings ---------------------------------------------------------

static int region_take(struct proc *p, struct vma *r);

// Put region r (whose charges are not taken yet, its object reference is) into table t, where
// nothing is mapped, merging it with compatible neighbours.  0, or -errno with nothing taken
// (the caller's reference included).
static int
add_region(struct proc *p, struct vmas *t, struct vma *r)
{
  int err = region_take(p, r);
  if(err)
    return err;
  if((err = vma_insert(t, vma_index(t, r->start), r)) != 0){
    region_uncharge(p, r);
    region_drop(r);
    return err;
  }
  vma_coalesce(t, r->start, r->end, region_drop);
  return 0;
}

// Add a region [start, end) of object obj (its reference is taken over) at offset off to the
// table t of an image exec is building in page table pt, as MAP_PRIVATE | MAP_FIXED would:
// whatever it overlaps (the last page of the previous segment) is unmapped.  0 or -errno.
int
mmap_image(struct proc *p, struct vmas *t, pagetable_t pt, uint64 start, uint64 end,
           int prot, int flags, struct file *obj, uint64 off)
{
  struct vma r = { .start = start, .end = end, .prot = prot,
                   .flags = (flags & VMA_KEEP_FLAGS & ~MAP_TYPE) | MAP_PRIVATE,
                   .file = obj, .offset = off };
  if(accountable(MAP_PRIVATE, prot, obj))
    r.flags |= VMA_ACCOUNT;
  int err = unmap_in(p, t, pt, start, end);
  if(err){
    if(obj)
      fileclose(obj);
    return err;
  }
  return add_region(p, t, &r);
}

// Put page mem at va in page table pt with the PTE bits of prot (an image being built: no
// other thread, no page there yet).  0, or -ENOMEM (mem is freed).
static int
image_install(pagetable_t pt, uint64 va, char *mem, int prot)
{
  pte_t *pte = walk(pt, va, 1);
  if(pte == 0){
    kfree(mem);
    return -ENOMEM;
  }
  *pte = PA2PTE((uint64)mem) | prot_pte(prot);
  return 0;
}

// Map [start, end) as private anonymous memory with prot (and MAP_STACK, MAP_GROWSDOWN from
// flags) into the image (t, pt) exec or userinit is building, every page present at once and
// holding the n bytes at src from start on, zeros after (exec's stack, the first process's
// code and stack).  0 or -errno.
int
mmap_image_anon(struct proc *p, struct vmas *t, pagetable_t pt, uint64 start, uint64 end,
                int prot, int flags, char *src, uint64 n)
{
  int err = mmap_image(p, t, pt, start, end, prot, flags | MAP_ANONYMOUS, 0, 0);
  for(uint64 a = start; err == 0 && a < end; a += PGSIZE){
    char *mem = kalloc();
    if(mem == 0)
      return -ENOMEM;
    zero_page(mem);
    uint64 off = a - start;
    if(off < n)
      memmove(mem, src + off, n - off < PGSIZE ? n - off : PGSIZE);
    err = image_install(pt, a, mem, prot);
  }
  return err;
}

// The page of an image's data segment where its file bytes end and its bss begins: map a
// private copy of the file page with the bytes from `from` (offset in the page) on zeroed, as
// Linux's exec does, so the bss starts out zero.  va is in a file region of t.  0 or -errno.
int
mmap_image_zero_tail(struct vmas *t, pagetable_t pt, uint64 va, uint from)
{
  struct vma *r = vma_find(t, va);
  if(r == 0 || !is_file(r))
    panic("mmap_image_zero_tail: not a file region");
  uint64 pa;
  int got = pc_get(r->file->ip, (r->offset + (va - r->start)) / PGSIZE, 0, &pa);
  if(got < 0)
    return got == -ENXIO ? -ENOEXEC : got;
  char *mem = kalloc();
  if(mem){
    copy_page(mem, (char *)pa);
    memset(mem + from, 0, PGSIZE - from);
  }
  page_put(pa);
  return mem ? image_install(pt, va, mem, r->prot) : -ENOMEM;
}

// Is [addr, addr+len) a place a mapping may go: above the break, below MMAPTOP?
static int
in_user_area(struct proc *p, uint64 addr, uint64 len)
{
  return addr >= PGROUNDUP(p->mm->brk) && addr + len > addr && addr + len <= MMAPTOP;
}

// Where the new mapping goes, or -errno.
static uint64
place(struct proc *p, uint64 addr, uint64 len, int flags)
{
  struct vmas *t = &p->mm->vmas;
  if(flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)){
    if(!in_user_area(p, addr, len))
      return -ENOMEM;
    if(vma_overlaps(t, addr, addr + len)){
      if(flags & MAP_FIXED_NOREPLACE)
        return -EEXIST;
      int err = mmap_unmap(p, addr, addr + len);   // writes back what it replaces
      if(err)
        return err;
    }
    return addr;
  }
  uint64 align = (flags & MAP_HUGETLB) ? HUGEPGSIZE : PGSIZE;
  uint64 hint = (addr + align - 1) & ~(align - 1);
  if(addr != 0 && in_user_area(p, hint, len) && !vma_overlaps(t, hint, hint + len))
    return hint;
  uint64 a = vma_hole(t, len, align, MMAPMIN, MMAPBASE);
  return a ? a : -ENOMEM;
}

// Fault in every page of [start, end) now (MAP_POPULATE, MAP_LOCKED, mlock).  Pages past end
// of file are left to fault (and fail) when touched.  0, or -errno.
static int
populate(struct proc *p, uint64 start, uint64 end, int noio)
{
  for(uint64 a = start; a < end; a += PGSIZE){
    struct vma *r = vma_find(&p->mm->vmas, a);
    int err = r ? fault_populate(p, r, a, noio) : 0;
    if(r && vma_huge(r))
      a += HUGEPGSIZE - PGSIZE;   // one fault maps the whole megapage
    if(err == -ENXIO)
      a = r->end - PGSIZE;        // the rest of this region is past end of file
    else if(err)
      return err;
  }
  return 0;
}

// Take what a new region needs: object reference (given by the caller), denywrite, commit
// charge, lock quota.  0, or -errno with nothing taken (the caller's reference included).
static int
region_take(struct proc *p, struct vma *r)
{
  int err = 0;
  if((r->flags & MAP_DENYWRITE) && (err = deny_write_access(r->file->ip)) < 0)
    goto drop_file;
  if((r->flags & VMA_ACCOUNT) && (err = commit_charge(npages(r))) < 0)
    goto allow;
  if(r->flags & MAP_LOCKED){
    if(p->mm->locked_pages + npages(r) > MLOCKPAGES){
      err = -EAGAIN;
      goto uncharge;
    }
    p->mm->locked_pages += npages(r);
  }
  return 0;
uncharge:
  if(r->flags & VMA_ACCOUNT)
    commit_uncharge(npages(r));
allow:
  if(r->flags & MAP_DENYWRITE)
    allow_write_access(r->file->ip);
drop_file:
  if(r->file)
    fileclose(r->file);
  return err;
}

// Create a mapping of len bytes (page multiple, > 0) of object obj (0, an FD_INODE file or an
// FD_SHM object) from byte offset off; arguments already checked by sys_mmap.  Takes over the
// caller's reference to obj (released on failure).  Returns the address, or -errno.
uint64
mmap_create(struct proc *p, uint64 addr, uint64 len, int prot, int flags, struct file *obj,
            uint64 off)
{
  struct vmas *t = &p->mm->vmas;
  int type = (flags & MAP_TYPE) == MAP_PRIVATE ? MAP_PRIVATE : MAP_SHARED;
  struct vma r = { .start = 0, .end = len, .prot = prot,
                   .flags = (flags & VMA_KEEP_FLAGS & ~MAP_TYPE) | type,
                   .file = obj, .offset = off };
  if(!obj || obj->type != FD_INODE)
    r.flags &= ~MAP_DENYWRITE;
  if(accountable(flags, prot, obj))
    r.flags |= VMA_ACCOUNT;
  // Take the charges before placing: MAP_FIXED unmaps what it replaces, which cannot be undone.
  int err = region_take(p, &r);
  if(err)
    return err;
  uint64 start = -ENOMEM;
  if(t->n < MAXMAPCOUNT || (flags & MAP_FIXED))
    start = place(p, addr, len, flags);
  if((int64)start >= 0){
    r.start = start;
    r.end = start + len;
    err = vma_insert(t, vma_index(t, start), &r);
  }
  if((int64)start < 0 || err){
    region_uncharge(p, &r);
    region_drop(&r);
    return (int64)start < 0 ? start : err;
  }
  vma_coalesce(t, start, start + len, region_drop);
  if(flags & (MAP_POPULATE | MAP_LOCKED)){
    err = populate(p, start, start + len, (flags & MAP_NONBLOCK) && !(flags & MAP_LOCKED));
    if(err){
      mmap_unmap(p, start, start + len);
      return err;
    }
  }
  return start;
}

// sbrk: move p's break to brk (at least mm->start_brk).  The heap is the private anonymous
// region [start_brk, PGROUNDUP(brk)) -- Linux's brk area: growing adds the new whole pages as
// one more region (merged with the heap below), charged to the commit limit now and faulted
// in when touched; shrinking unmaps the whole pages above the new break, freeing them.  0, or
// -ENOMEM (a region is in the way, or the commit limit), with nothing changed.
int
mmap_brk(struct proc *p, uint64 brk)
{
  struct mm *mm = p->mm;
  uint64 old = PGROUNDUP(mm->brk), new = PGROUNDUP(brk);
  int err = 0;
  if(brk < mm->start_brk || new < brk)
    return -ENOMEM;
  if(new > old){
    if(new > MMAPTOP || vma_overlaps(&mm->vmas, old, new))
      return -ENOMEM;             // the heap may not grow into another region
    struct vma r = { .start = old, .end = new, .prot = PROT_READ | PROT_WRITE,
                     .flags = MAP_PRIVATE | MAP_ANONYMOUS | VMA_ACCOUNT };
    err = add_region(p, &mm->vmas, &r);
  } else if(new < old){
    err = mmap_unmap(p, new, old);   // other threads' harts lose the pages first
  }
  if(err == 0)
    mm->brk = brk;
  return err;
}

// Pages in [start, end) of regions that would need a commit charge under prot but have none.
static uint64
charge_needed(struct vmas *t, uint64 start, uint64 end, int prot)
{
  uint64 n = 0;
  for(int i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++){
    struct vma *r = vma_at(t, i);
    if(!(r->flags & VMA_ACCOUNT) && accountable(r->flags, prot, r->file))
      n += overlap_pages(r, start, end);
  }
  return n;
}

// Set prot on [start, end) (page aligned), which must be mapped throughout (else -ENOMEM),
// splitting regions at the ends and updating the PTEs of pages already there.  -EACCES if a
// shared file region would become writable through a read-only file; -ENOMEM if a private
// region becoming writable cannot be charged.  A region stays charged when it loses
// PROT_WRITE again (as in Linux).
int
mmap_mprotect(struct proc *p, uint64 start, uint64 end, int prot)
{
  struct vmas *t = &p->mm->vmas;
  if(!mapped_throughout(t, start, end))
    return -ENOMEM;
  int i;
  for(i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++){
    struct vma *r = vma_at(t, i);
    if((prot & PROT_WRITE) && shared_file(r) && !r->file->writable)
      return -EACCES;
  }
  if(splits_too_many(t, start, end))
    return -ENOMEM;
  uint64 charge = charge_needed(t, start, end, prot);
  if(charge && commit_charge(charge) != 0)
    return -ENOMEM;
  if(split_range(t, start, end) != 0){
    if(charge)
      commit_uncharge(charge);
    return -ENOMEM;
  }
  for(i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++){
    struct vma *r = vma_at(t, i);
    if(accountable(r->flags, prot, r->file))
      r->flags |= VMA_ACCOUNT;
    r->prot = prot;
    reprotect_range(p->mm, r, r->start, r->end, prot);
  }
  vma_coalesce(t, start, end, region_drop);
  return 0;
}

// The start of the MAP_GROWSDOWN region holding addr (mprotect with PROT_GROWSDOWN extends the
// range down to it), or -EINVAL if addr is not in such a region.
int64
mmap_growsdown_start(struct proc *p, uint64 addr)
{
  struct vma *r = vma_find(&p->mm->vmas, addr);
  if(r == 0 || !(r->flags & MAP_GROWSDOWN))
    return -EINVAL;
  return r->start;
}

// A fault at va outside every region: if va is the page just below a MAP_GROWSDOWN region and
// the guard gap to whatever lies below stays free, grow the region down over it (charging
// the page).  1 if it grew, 0 if not.
int
mmap_grow(struct proc *p, uint64 va)
{
  struct vmas *t = &p->mm->vmas;
  int i = vma_index(t, va);
  if(i == t->n)
    return 0;
  struct vma *r = vma_at(t, i);
  uint64 page = PGROUNDDOWN(va);
  if(!(r->flags & MAP_GROWSDOWN) || r->start <= page || r->start - page != PGSIZE)
    return 0;
  uint64 floor = i > 0 ? vma_at(t, i - 1)->end : 0;   // the heap, or the image, is a region
  if(page < floor || page - floor < GUARDGAP * PGSIZE)
    return 0;
  if((r->flags & VMA_ACCOUNT) && commit_charge(1) != 0)
    return 0;
  if(r->flags & MAP_LOCKED){
    if(p->mm->locked_pages + 1 > MLOCKPAGES){
      if(r->flags & VMA_ACCOUNT)
        commit_uncharge(1);
      return 0;
    }
    p->mm->locked_pages++;
  }
  r->start = page;
  return 1;
}

// mlock (on) or munlock of [start, end): set or clear MAP_LOCKED on the regions there
// (splitting them), and fault in every page of newly locked ones.  -ENOMEM if part of the
// range is unmapped or the lock limit would be passed.
int
mmap_mlock(struct proc *p, uint64 start, uint64 end, int on)
{
  struct vmas *t = &p->mm->vmas;
  if(!mapped_throughout(t, start, end))
    return -ENOMEM;
  int i;
  uint64 more = 0;
  for(i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++)
    if(on && !(vma_at(t, i)->flags & MAP_LOCKED))
      more += overlap_pages(vma_at(t, i), start, end);
  if(p->mm->locked_pages + more > MLOCKPAGES)
    return -ENOMEM;
  if(split_range(t, start, end) != 0)
    return -ENOMEM;
  for(i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++){
    struct vma *r = vma_at(t, i);
    if(on && !(r->flags & MAP_LOCKED)){
      r->flags |= MAP_LOCKED;
      p->mm->locked_pages += npages(r);
    } else if(!on && (r->flags & MAP_LOCKED)){
      r->flags &= ~MAP_LOCKED;
      p->mm->locked_pages -= npages(r);
    }
  }
  vma_coalesce(t, start, end, region_drop);
  return on ? populate(p, start, end, 0) : 0;
}

// madvise(MADV_RANDOM) marks the regions of [start, end) VMA_RANDOM: their file faults read
// no pages ahead and map none around (fault.c).  NORMAL and SEQUENTIAL take the mark off
// (sequential access is what readahead assumes anyway).  Regions are split at start and end
// first.  0, or -ENOMEM (too many regions).
static int
set_random(struct vmas *t, uint64 start, uint64 end, int on)
{
  if(split_range(t, start, end) != 0)
    return -ENOMEM;
  for(int i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++){
    if(on)
      vma_at(t, i)->flags |= VMA_RANDOM;
    else
      vma_at(t, i)->flags &= ~VMA_RANDOM;
  }
  vma_coalesce(t, start, end, region_drop);
  return 0;
}

// madvise: DONTNEED drops the pages of [start, end) (private anonymous memory comes back as
// zeros, file and shared pages from the page cache; dirty shared file pages are written back
// first, so nothing is lost); WILLNEED reads file pages into the page cache; RANDOM turns
// readahead and fault-around off for the range, NORMAL and SEQUENTIAL back on (set_random).
// -EINVAL for DONTNEED on locked memory, -ENOMEM if part of the range is unmapped (the mapped
// parts are still done) or the regions cannot be split.
int
mmap_madvise(struct proc *p, uint64 start, uint64 end, int advice)
{
  struct vmas *t = &p->mm->vmas;
  int err = mapped_throughout(t, start, end) ? 0 : -ENOMEM;
  if(advice == MADV_RANDOM || advice == MADV_NORMAL || advice == MADV_SEQUENTIAL){
    int e = set_random(t, start, end, advice == MADV_RANDOM);
    return e ? e : err;
  }
  for(int i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++){
    struct vma *r = vma_at(t, i);
    uint64 lo, hi;
    clamp(r, start, end, &lo, &hi);
    if(advice == MADV_DONTNEED){
      if(r->flags & MAP_LOCKED)
        return -EINVAL;
      release_range(p, p->mm->pagetable, r, lo, hi);
    } else if(advice == MADV_WILLNEED && is_file(r)){
      for(uint64 v = lo; v < hi; v += PGSIZE){
        uint64 pa;
        uint idx = (r->offset + (v - r->start)) / PGSIZE;
        if(pc_get(r->file->ip, idx, 0, &pa) < 0)
          break;                  // past end of file, or out of memory: it is only a hint
        page_put(pa);
      }
    }
  }
  return err;
}

// mincore: for each page of [start, end), whether it is resident -- for file mappings, in the
// page cache (as Linux reports); otherwise mapped in p.  One byte per page at user address
// vec.  0, -ENOMEM (part of the range unmapped), -EFAULT.
int
mmap_mincore(struct proc *p, uint64 start, uint64 end, uint64 vec)
{
  struct vmas *t = &p->mm->vmas;
  if(!mapped_throughout(t, start, end))
    return -ENOMEM;
  char buf[64];
  int n = 0;
  for(uint64 a = start; a < end; a += PGSIZE){
    struct vma *r = vma_find(t, a);
    int level;
    pte_t *pte = walk_leaf(p->mm->pagetable, a, &level);
    int resident = pte_has_page(pte);
    if(!resident && r->file && r->file->type == FD_INODE)
      resident = pc_cached(r->file->ip, (r->offset + (a - r->start)) / PGSIZE);
    else if(!resident && r->file && r->file->type == FD_SHM)
      resident = pc_cached_shm(r->file->shmid, (r->offset + (a - r->start)) / PGSIZE);
    buf[n++] = resident;
    if(n == sizeof(buf) || a + PGSIZE >= end){
      if(copyout(p->mm->pagetable, vec, buf, n) != 0)
        return -EFAULT;
      vec += n;
      n = 0;
    }
  }
  return 0;
}

// MS_INVALIDATE: drop p's mappings of the clean cached pages of region r in [lo, hi); they
// fault back in from the page cache.  Private copies and dirty pages stay.
static void
invalidate_range(struct proc *p, struct vma *r, uint64 lo, uint64 hi)
{
  struct released rel = { .mm = p->mm };
  for(uint64 a = lo; a < hi; a += PGSIZE){
    pte_t *pte = walk_next(p->mm->pagetable, &a, hi);
    if(pte == 0)
      break;
    uint64 pa = PTE2PA(*pte);
    pte_t old = *pte;
    if(!page_cached(pa) || page_dirty(pa) || (vma_shared(r) && pte_dirty(old)))
      continue;
    if(!__atomic_compare_exchange_n(pte, &old, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      continue;                   // stored to meanwhile (D set): it stays
    release_add(&rel, pa, 0);
  }
  if(rel.n)
    release_flush(&rel);
}

// msync: for the shared file regions in [start, end), move dirty records into the pages
// (MS_ASYNC: the next sync point writes them), write them back (MS_SYNC), and with
// MS_INVALIDATE drop this process's mappings of clean cached pages so later accesses see the
// cache, which is the file.  0, or -ENOMEM if part of the range is unmapped (the mapped parts
// are still done, as in Linux), -EBUSY for MS_INVALIDATE over locked memory, or a writeback
// error.
int
mmap_msync(struct proc *p, uint64 start, uint64 end, int flags)
{
  struct vmas *t = &p->mm->vmas;
  int err = 0;
  for(int i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++)
    if((flags & MS_INVALIDATE) && (vma_at(t, i)->flags & MAP_LOCKED))
      return -EBUSY;              // msync(2): locked pages cannot be invalidated
  for(int i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++){
    struct vma *r = vma_at(t, i);
    uint64 lo, hi;
    clamp(r, start, end, &lo, &hi);
    if(!is_file(r))
      continue;
    if(vma_shared(r)){
      // The stores to these file pages may have come through any of p's mappings of the
      // file: collect them all, then write the range's dirty pages (Linux: the file's range).
      mmap_harvest(p, r->file->ip);
      if(flags & MS_SYNC){
        uint first = (r->offset + (lo - r->start)) / PGSIZE;
        int w = pc_sync_range(r->file->ip, first, first + (hi - lo) / PGSIZE);
        if(w < 0 && err == 0)
          err = w;
        else if(w > 0)
          p->ru.ru_wbpages += w;
      }
    }
    if(flags & MS_INVALIDATE)
      invalidate_range(p, r, lo, hi);
  }
  if(err == 0 && !mapped_throughout(t, start, end))
    err = -ENOMEM;
  return err;
}

// The distinct files p maps shared in [start, end): a new reference to each of the first max
// in out[], and how many there are (more than max: the rest are only counted, at least max + 1).
int
mmap_shared_files(struct proc *p, uint64 start, uint64 end, struct file **out, int max)
{
  struct vmas *t = &p->mm->vmas;
  int n = 0;
  for(int i = vma_index(t, start); i < t->n && vma_at(t, i)->start < end; i++){
    struct vma *r = vma_at(t, i);
    if(!shared_file(r))
      continue;
    int seen = 0;
    for(int j = 0; j < n && !seen; j++)
      seen = out[j]->ip == r->file->ip;
    if(seen)
      continue;
    if(n == max)
      return max + 1;
    out[n++] = filedup(r->file);
  }
  return n;
}

// Harvest the dirty records of p's shared mappings of ip (of every file if ip is 0) into the
// pages, so the page cache's writeback sees them.  1 if there were any (the caller then fences
// the TLBs of the harts running p: a store must set D, or fault, again).
static int
harvest_mm(struct mm *mm, struct inode *ip)
{
  struct vmas *t = &mm->vmas;
  int any = 0;
  for(int i = 0; i < t->n; i++){
    struct vma *r = vma_at(t, i);
    if(!shared_file(r) || (ip && r->file->ip != ip))
      continue;
    for(uint64 a = r->start; a < r->end; a += PGSIZE){
      pte_t *pte = walk_next(mm->pagetable, &a, r->end);
      if(pte == 0)
        break;
      any |= harvest(pte);
    }
  }
  return any;
}

// msync: harvest p's own mappings of ip.  Caller holds p->mm->lock.
void
mmap_harvest(struct proc *p, struct inode *ip)
{
  if(harvest_mm(p->mm, ip))
    tlb_shootdown(p->mm);
}

static void
harvest_one(struct mm *mm, void *ip)
{
  int mine = holding_write(&mm->lock, myproc());
  if(!mine)
    down_write(&mm->lock);
  if(harvest_mm(mm, ip))
    tlb_shootdown(mm);
  if(!mine)
    up_write(&mm->lock);
}

// fsync(ip) and sync() (ip 0): harvest the dirty records of every process's shared mappings of
// ip (of every file), so that the writeback that follows writes every store made so far, by
// anyone, as Linux's does.  The caller holds no address-space lock (see reclaim.c for why
// waiting for each one's is safe then).
void
mmap_harvest_all(struct inode *ip)
{
  mm_foreach(harvest_one, ip);
}

// ---- truncation --------------------------------------------------------------------------------

struct truncation {
  struct inode *ip;
  uint first;                     // first page index wholly past the new end of file
};

// Take out of mm's page table every page of ip's mappings (shared and private copies alike, as
// Linux does) from page index t->first on; the pages go once no hart can reach them.
static void
truncate_mm(struct mm *mm, void *arg)
{
  struct truncation *t = arg;
  struct released rel = { .mm = mm };
  down_write(&mm->lock);
  for(int i = 0; i < mm->vmas.n; i++){
    struct vma *r = vma_at(&mm->vmas, i);
    if(!is_file(r) || r->file->ip != t->ip)
      continue;
    uint64 cut = (uint64)t->first * PGSIZE;   // file offset of the first page to go
    uint64 lo = r->start;
    if(cut > r->offset)
      lo = cut - r->offset >= r->end - r->start ? r->end : r->start + (cut - r->offset);
    for(uint64 a = lo; a < r->end; a += PGSIZE){
      pte_t *pte = walk_next(mm->pagetable, &a, r->end);
      if(pte == 0)
        break;
      pte_t old = __atomic_exchange_n(pte, 0, __ATOMIC_ACQ_REL);   // faults use CAS
      if(!pte_has_page(&old))
        continue;
      release_add(&rel, PTE2PA(old), 0);
    }
  }
  if(rel.n)
    release_flush(&rel);
  up_write(&mm->lock);
}

// File ip was cut to size bytes (itruncate): unmap its pages past the new end from every
// process, so that touching them is a bus error, as in Linux.  Call with no inode lock and no
// transaction held (threads hold their address space's lock while they fault file pages in).
void
mmap_truncate(struct inode *ip, uint size)
{
  struct truncation t = { .ip = ip, .first = (size + PGSIZE - 1) / PGSIZE };
  __sync_synchronize();           // the pages left the cache before we look (fault.c's install)
  mm_foreach(truncate_mm, &t);
}

// ---- fork ---------------------------------------------------------------------------------------

// The child's PTE for a page the parent maps with *src in region r; updates *src too.  Shared
// pages stay shared (the child has not stored to them yet); private pages become
// copy-on-write in both, unless they are still page-cache pages (already copied on store).
static pte_t
fork_pte(struct vma *r, pte_t *src)
{
  if(vma_shared(r))
    return is_file(r) ? pte_clean(*src) : *src;
  if(!page_cached(PTE2PA(*src)))
    *src = (*src & ~PTE_W) | PTE_COW;
  return *src;
}

// fork: give the child the parent's regions, sharing every page faulted in so far (private
// ones copy-on-write), charging its accountable regions anew; memory locks are not inherited.
// 0, or -ENOMEM (the child's regions and pages so far are released).
int
mmap_fork(struct proc *from, struct proc *to)
{
  uint64 charge = 0;
  for(int i = 0; i < from->mm->vmas.n; i++)
    if(vma_at(&from->mm->vmas, i)->flags & VMA_ACCOUNT)
      charge += npages(vma_at(&from->mm->vmas, i));
  if(commit_charge(charge) != 0)
    return -ENOMEM;
  if(vma_dup(&from->mm->vmas, &to->mm->vmas) != 0){
    commit_uncharge(charge);
    return -ENOMEM;
  }
  for(int i = 0; i < to->mm->vmas.n; i++){
    struct vma *r = vma_at(&to->mm->vmas, i);
    r->flags &= ~MAP_LOCKED;      // memory locks are not inherited
    region_hold(r);
  }
  int err = 0;
  for(int i = 0; i < from->mm->vmas.n && err == 0; i++){
    struct vma *r = vma_at(&from->mm->vmas, i);
    pte_t *src;
    for(uint64 a = r->start; (src = next_pte(from->mm->pagetable, r, &a, r->end)) != 0;
        a += pte_span(r)){
      pagetable_t pt = to->mm->pagetable;
      pte_t *dst = vma_huge(r) ? walk_huge(pt, a, 1) : walk(pt, a, 1);
      if(dst == 0){
        err = -ENOMEM;
        break;
      }
      page_dup(PTE2PA(*src));
      *dst = fork_pte(r, src);
    }
  }
  tlb_shootdown(from->mm);        // the parent's PTEs lost W: its other threads' harts too
  if(err)
    mmap_unmap_all(to, to->mm->pagetable);
  return err;
}

// ---- pagemap ------------------------------------------------------------------------------------

// Linux's pagemap entry (vmstat.h) for the page at user address va of p; 0 if none.
uint64
mmap_pagemap(struct proc *p, uint64 va)
{
  if(va >= MAXVA)
    return 0;
  int level;
  pte_t *pte = walk_leaf(p->mm->pagetable, PGROUNDDOWN(va), &level);
  if(!pte_has_page(pte))
    return 0;
  uint64 pa = PTE2PA(*pte);
  uint64 sub = level == 1 ? (va & (HUGEPGSIZE - 1)) / PGSIZE : 0;   // page within a megapage
  uint64 e = PM_PRESENT | ((pa / PGSIZE + sub) & PM_PFRAME_MASK);
  if(*pte & PTE_D)
    e |= PM_SOFT_DIRTY;
  if(page_refs(pa) == 1)
    e |= PM_MMAP_EXCLUSIVE;
  if((*pte & (PTE_V | PTE_W)) == (PTE_V | PTE_W))
    e |= PM_WRITE;
  struct vma *r = vma_find(&p->mm->vmas, va);
  if(page_cached(pa)){
    e |= PM_FILE;
    if(r && !vma_shared(r))
      e |= PM_COW;
  }
  if(*pte & PTE_COW)
    e |= PM_COW;
  return e;
}

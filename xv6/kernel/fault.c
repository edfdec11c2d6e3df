// Page faults: the one path that resolves instruction, load and store page faults (scause 12,
// 13, 15) on user memory, whether the user touched the page (usertrap) or the kernel did, on
// the user's behalf, in copyin/copyout (vm.c's user_page).
//
// A fault is resolved from the process's regions (vma.c) and the PTE already there:
//   - no page yet: private anonymous memory gets a zeroed page; shared anonymous memory and
//     files get the page-cache page (pcache.c), read from disk if it is not cached.  A private
//     file page is mapped read-only (its first store copies it), or copied at once for a store;
//   - a page with PTE_COW (fork shared it): the first store copies it, or just takes it back if
//     nobody else maps it any more;
//   - a clean shared file page under write-protect dirty tracking: the store marks it dirty.
// Everything else -- no region, or an access the region's prot forbids -- is the caller's to
// report: -EFAULT (segmentation fault), -ENXIO (the page lies wholly past end of file: a bus
// error), -ENOMEM.  Each resolved fault is counted in the process's rusage.
//
// Locking: the process's regions and page table are its own (vma.c).  Filling a file page may
// sleep (disk read), so the kernel must not fault on a file page while holding a spinlock:
// pipes and file reads/writes call uvmcheck() on user buffers before taking their locks.

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
#include "errno.h"
#include "defs.h"

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

static void
count_minor(struct proc *p, uint64 *kind)
{
  p->ru.ru_minflt++;
  (*kind)++;
}

// The page number within r's object of the page at va.
static uint
object_index(struct vma *r, uint64 va)
{
  return (r->offset + (va - r->start)) / PGSIZE;
}

// Install pte_bits for page pa at va.  0, or -ENOMEM (no page-table page; pa is released).
static int
install(struct proc *p, uint64 va, uint64 pa, uint64 bits)
{
  pte_t *pte = walk(p->pagetable, va, 1);
  if(pte == 0){
    page_put(pa);
    return -ENOMEM;
  }
  *pte = PA2PTE(pa) | (bits ? bits : PTE_PNONE);
  return 0;
}

// A private copy of page pa (whose reference the caller gives up), or 0 if out of memory.
static uint64
copy_of(uint64 pa)
{
  char *mem = kalloc();
  if(mem)
    memmove(mem, (char *)pa, PGSIZE);
  page_put(pa);
  return (uint64)mem;
}

// The first store to a page marked PTE_COW, or to a private mapping of a page-cache page:
// give the process a page of its own.  If the page is an anonymous page nobody else maps any
// more, that is the page itself.
static int
cow_fault(struct proc *p, pte_t *pte)
{
  uint64 pa = PTE2PA(*pte);
  uint64 bits = (PTE_FLAGS(*pte) & ~PTE_COW) | PTE_W;
  if(page_cached(pa) || page_refs(pa) > 1){
    page_dup(pa);                 // our reference for the copy; the PTE keeps its own
    uint64 mem = copy_of(pa);
    if(mem == 0)
      return -ENOMEM;
    page_put(pa);                 // the PTE's reference: it will map the copy
    pa = mem;
  }
  *pte = PA2PTE(pa) | bits;
  sfence_vma();
  count_minor(p, &p->ru.ru_cowflt);
  return 0;
}

// A page of region r at va that has no page yet.
static int
fill_fault(struct proc *p, struct vma *r, uint64 va, uint64 cause, int noio)
{
  int store = cause == EXC_STORE_PAGE_FAULT;
  uint64 bits = prot_pte(r->prot);
  uint64 pa;

  if(r->file == 0){                              // private anonymous
    char *mem = kalloc();
    if(mem == 0)
      return -ENOMEM;
    memset(mem, 0, PGSIZE);
    count_minor(p, &p->ru.ru_zeroflt);
    return install(p, va, (uint64)mem, bits);
  }

  if(r->file->type == FD_SHM){                   // shared anonymous
    int got = pc_get_shm(r->file->shmid, object_index(r, va), &pa);
    if(got < 0)
      return got;
    count_minor(p, got == PC_HIT ? &p->ru.ru_cacheflt : &p->ru.ru_zeroflt);
    return install(p, va, pa, bits);
  }

  int got = pc_get(r->file->ip, object_index(r, va), noio ? PC_NOIO : 0, &pa);
  if(got < 0)
    return got;
  if(got == PC_READ)
    p->ru.ru_majflt++;
  if(!vma_shared(r)){                            // private file page: copy on (first) store
    if(store){
      if((pa = copy_of(pa)) == 0)
        return -ENOMEM;
      if(got != PC_READ)
        count_minor(p, &p->ru.ru_cowflt);
      return install(p, va, pa, bits);
    }
    bits &= ~PTE_W;
  } else if(DIRTY_TRACKING == DIRTY_WP){         // shared file page: W only once dirty
    if(store)
      pc_set_dirty(pa);
    else
      bits &= ~PTE_W;
  }
  if(got != PC_READ)
    count_minor(p, &p->ru.ru_cacheflt);
  return install(p, va, pa, bits);
}

// A page of region r at va that has a page, for an access r allows.
static int
present_fault(struct proc *p, struct vma *r, pte_t *pte, uint64 cause)
{
  if(cause != EXC_STORE_PAGE_FAULT || (*pte & PTE_W))
    return 0;                     // spurious: the PTE already allows it
  uint64 pa = PTE2PA(*pte);
  if(!vma_shared(r))
    return cow_fault(p, pte);
  if(r->file->type == FD_INODE){  // write-protect dirty tracking: the first store
    pc_set_dirty(pa);
    count_minor(p, &p->ru.ru_dirtyflt);
  }
  *pte |= PTE_W | PTE_D | PTE_A;
  sfence_vma();
  return 0;
}

static int fault_locked(struct proc *p, uint64 va, uint64 cause);

// Resolve a page fault of process p at user address va with the given scause (12, 13, 15).
// 0 when the page is now mapped for the access; else -EFAULT, -ENXIO or -ENOMEM (see above).
// A fault in a file mapping takes p->vmlock (a truncation may be unmapping pages of the file)
// and may sleep on the disk, so it fails with -EFAULT where sleeping is not allowed (a
// spinlock held: interrupts off); system calls fault their buffers in before taking locks.
int
uvm_fault(struct proc *p, uint64 va, uint64 cause)
{
  struct vma *r = va < MAXVA ? vma_find(&p->vmas, va) : 0;
  if(r == 0 || r->file == 0 || r->file->type != FD_INODE || holdingsleep(&p->vmlock))
    return fault_locked(p, va, cause);
  if(!intr_enabled())
    return -EFAULT;
  acquiresleep(&p->vmlock);
  int err = fault_locked(p, va, cause);
  releasesleep(&p->vmlock);
  return err;
}

// uvm_fault, with p->vmlock held if it is a file mapping.
static int
fault_locked(struct proc *p, uint64 va, uint64 cause)
{
  if(va >= MAXVA)
    return -EFAULT;
  uint64 page = PGROUNDDOWN(va);
  pte_t *pte = walk(p->pagetable, page, 0);
  struct vma *r = vma_find(&p->vmas, va);
  if(r == 0 && vma_grow(p, va))
    r = vma_find(&p->vmas, va);   // the page just below a MAP_GROWSDOWN region
  if(r == 0){
    // The program image [0, sz): only copy-on-write stores fault there.
    uint64 need = PTE_V | PTE_U | PTE_COW;
    if(cause == EXC_STORE_PAGE_FAULT && pte && (*pte & need) == need)
      return cow_fault(p, pte);
    return -EFAULT;
  }
  if(!access_ok(r->prot, cause))
    return -EFAULT;
  if(pte_has_page(pte))
    return present_fault(p, r, pte, cause);
  return fill_fault(p, r, page, cause, 0);
}

// Fault in the page at va of region r now (MAP_POPULATE), as the access a program would make
// first: a store for private writable regions, else a load (or fetch).  With noio only pages
// already in the page cache are mapped (MAP_NONBLOCK).  0, or -errno.
int
uvm_populate(struct proc *p, struct vma *r, uint64 va, int noio)
{
  if(prot_pte(r->prot) == 0 || pte_has_page(walk(p->pagetable, va, 0)))
    return 0;
  uint64 cause = EXC_LOAD_PAGE_FAULT;
  if((r->prot & PROT_WRITE) && !vma_shared(r))
    cause = EXC_STORE_PAGE_FAULT;
  else if(!(r->prot & (PROT_READ | PROT_WRITE)))
    cause = EXC_INST_PAGE_FAULT;
  int err = fill_fault(p, r, va, cause, noio);
  return err == -EAGAIN ? 0 : err;
}

// For vm.c's copyin/copyout: fault in the page at va of pagetable, if that is the current
// process's.  0, or -errno.
int
uvm_fault_in(pagetable_t pagetable, uint64 va, int write)
{
  struct proc *p = myproc();
  if(p == 0 || p->pagetable != pagetable)
    return -EFAULT;
  return uvm_fault(p, va, write ? EXC_STORE_PAGE_FAULT : EXC_LOAD_PAGE_FAULT);
}

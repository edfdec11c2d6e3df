// Page faults: the one path that resolves instruction, load and store page faults (scause 12,
// 13, 15) on user memory, whether the user touched the page (usertrap) or the kernel did, on
// the user's behalf, in copyin/copyout (vm.c's user_page).
//
// A fault is resolved from the process's regions (vma.c; every user range is one, the stack
// and the sbrk heap too) and the PTE already there:
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
// Locking: a fault reads the regions; the system calls that change them hold the address
// space's lock for writing (mm.h).  While the space has more than one thread, a fault holds
// that lock for reading (threads fault concurrently, each other's munmap waits); a
// single-threaded process's fault takes no lock at all, since only the faulting thread could
// change its regions.  Other writers of PTEs -- truncation and reclaim by other processes
// (mmap.c, reclaim.c) -- clear PTEs under the lock, and faults change PTEs by compare-and-swap
// and re-check a page-cache page after mapping it (install), so either sees the other; two
// threads faulting on the same page race the same way, and the loser's page goes back.
// Filling a file page may sleep (disk read), so the kernel must not fault on a file page while
// holding a spinlock: pipes and file reads/writes call uvmcheck() on user buffers before
// taking their locks; there, the lock is only tried, and a fault that would wait fails with
// -EFAULT for the caller to retry without its own lock.

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

// Count a resolved fault of this kind: a major one (ru_majflt: the page was read from disk),
// or a minor one of the given sort.  Counted by the fault that installed the page, so threads
// racing for the same page count it once.
static void
count_fault(struct proc *p, uint64 *kind)
{
  if(kind != &p->ru.ru_majflt)
    p->ru.ru_minflt++;
  (*kind)++;
}

// After the faulting thread replaced a valid PTE: its own TLB forgets the old one, and so do
// the harts running its other threads (they could go on using the old page).
static void
flush_replaced(struct proc *p)
{
  if(mm_shared(p->mm))
    tlb_shootdown(p->mm);
  else
    sfence_vma();
}

// The page number within r's object of the page at va.
static uint
object_index(struct vma *r, uint64 va)
{
  return (r->offset + (va - r->start)) / PGSIZE;
}

// Replace *pte, if it still holds old, with new.  A truncation on another hart may clear a PTE
// of a file mapping at any moment (mmap.c's mmap_truncate); PTEs that faults change are
// therefore changed by compare-and-swap, and a fault that loses the race just returns: the
// access retries and faults again.
static int
pte_swap(pte_t *pte, pte_t old, pte_t new)
{
  return __atomic_compare_exchange_n(pte, &old, new, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

// Install bits for page pa (whose reference the PTE takes over) at va, where there was none;
// pte is va's PTE slot if the caller has it (else 0), and the fault counts as kind if the page
// goes in.  A page-cache page of a file is checked again afterwards: if a truncation dropped
// it from the cache meanwhile, it may already have scanned this page table, so the new PTE is
// taken back (the retried access then finds the page past end of file).  0, or -ENOMEM.
static int
install(struct proc *p, uint64 va, pte_t *pte, uint64 pa, uint64 bits, int file_page,
        uint64 *kind)
{
  if(pte == 0 && (pte = walk(p->mm->pagetable, va, 1)) == 0){
    page_put(pa);
    return -ENOMEM;
  }
  pte_t new = PA2PTE(pa) | (bits ? bits : PTE_PNONE);
  if(!pte_swap(pte, 0, new)){
    page_put(pa);                 // another thread mapped it first
    return 0;
  }
  count_fault(p, kind);
  if(file_page && !page_still_cached(pa) && pte_swap(pte, new, 0))
    page_put(pa);
  return 0;
}

// A private copy of page pa (whose reference the caller gives up), or 0 if out of memory.
static uint64
copy_of(uint64 pa)
{
  char *mem = kalloc();
  if(mem)
    copy_page(mem, (char *)pa);
  page_put(pa);
  return (uint64)mem;
}

// The first store to a page marked PTE_COW, or to a private mapping of a page-cache page:
// give the process a page of its own (with huge, a 2 MiB frame of its own).  If the page is an
// anonymous page nobody else maps any more, that is the page itself.  old is the read-only
// PTE the caller found: the PTE is only replaced if it still holds exactly that -- another
// thread may have given the page a copy meanwhile and stored to it, and reading *pte again
// here would take that writable copy for a page to copy, losing those stores.
static int
cow_fault(struct proc *p, pte_t *pte, pte_t old, int huge)
{
  uint64 pa = PTE2PA(old);
  uint64 bits = (PTE_FLAGS(old) & ~PTE_COW) | PTE_W | PTE_A | PTE_D;
  // Without PTE_COW it is a page-cache page mapped read-only into a private mapping: shared.
  if((old & PTE_COW) && page_exclusive(pa)){
    if(!pte_swap(pte, old, PA2PTE(pa) | bits))
      return 0;                   // another thread got there first
    sfence_vma();
  } else {
    uint64 size = huge ? HUGEPGSIZE : PGSIZE;
    char *mem = huge ? kalloc_huge() : kalloc();   // the PTE's reference keeps pa meanwhile
    if(mem == 0)
      return -ENOMEM;
    for(uint64 off = 0; off < size; off += PGSIZE)
      copy_page(mem + off, (char *)pa + off);
    if(!pte_swap(pte, old, PA2PTE((uint64)mem) | bits)){
      if(huge)                    // truncated meanwhile, or another thread copied it
        kfree_huge(mem);
      else
        kfree(mem);
      return 0;
    }
    flush_replaced(p);            // no thread may read the old page after our store
    page_put(pa);                 // the PTE's old reference
  }
  count_fault(p, &p->ru.ru_cowflt);
  return 0;
}

// Megapages (MAP_HUGETLB) take the same path (resolve_huge): one fault maps the whole 2 MiB
// frame holding va with a level-1 leaf PTE (Sv39 megapage); private frames are zero-filled
// (fill_huge), shared ones come from the shared anonymous object's page cache.

// The page of region r holding va (for a megapage: its start) that has no page yet; pte is its
// slot, or 0 if the page-table page is not there yet.  (walk and object_index ignore the
// offset of va in its page.)
static int
fill_fault(struct proc *p, struct vma *r, uint64 va, pte_t *pte, uint64 cause, int noio)
{
  int store = cause == EXC_STORE_PAGE_FAULT;
  uint64 bits = prot_pte(r->prot);
  uint64 pa;

  if(r->file == 0){                              // private anonymous (megapages: fill_huge)
    char *mem = kalloc();
    if(mem == 0)
      return -ENOMEM;
    zero_page(mem);
    return install(p, va, pte, (uint64)mem, bits, 0, &p->ru.ru_zeroflt);
  }

  if(r->file->type == FD_SHM){                   // shared anonymous
    int got = pc_get_shm(r->file->shmid, object_index(r, va), vma_huge(r), &pa);
    if(got < 0)
      return got;
    return install(p, va, pte, pa, bits, 0,
                   got == PC_HIT ? &p->ru.ru_cacheflt : &p->ru.ru_zeroflt);
  }

  int random = (r->flags & VMA_RANDOM) != 0;   // madvise(MADV_RANDOM)
  int got = pc_get(r->file->ip, object_index(r, va),
                   (noio ? PC_NOIO : 0) | (random ? PC_RANDOM : 0), &pa);
  if(got < 0)
    return got;
  uint64 *kind = got == PC_READ ? &p->ru.ru_majflt : &p->ru.ru_cacheflt;
  if(!vma_shared(r)){                            // private file page: copy on (first) store
    if(store){
      if((pa = copy_of(pa)) == 0)
        return -ENOMEM;
      return install(p, va, pte, pa, bits, 0, got == PC_READ ? kind : &p->ru.ru_cowflt);
    }
    bits &= ~PTE_W;
  } else if(DIRTY_TRACKING == DIRTY_WP){         // shared file page: W only once dirty
    if(store)
      pc_set_dirty(pa);
    else
      bits &= ~PTE_W;
  }
  int err = install(p, va, pte, pa, bits, 1, kind);
  if(err == 0 && !store && !random)
    fault_around(p, r, va, bits);          // faultaround.c
  return err;
}

// A page of region r that has a page, for an access r allows; huge: a megapage.
static inline __attribute__((always_inline)) int
present_fault(struct proc *p, struct vma *r, pte_t *pte, uint64 cause, int huge)
{
  pte_t old = *pte;
  if(cause != EXC_STORE_PAGE_FAULT || (old & PTE_W))
    return 0;                     // spurious: the PTE already allows it
  if(!vma_shared(r))
    return cow_fault(p, pte, old, huge);
  if(r->file->type == FD_INODE){  // write-protect dirty tracking: the first store
    pc_set_dirty(PTE2PA(old));
    count_fault(p, &p->ru.ru_dirtyflt);
  }
  if(pte_swap(pte, old, old | PTE_W | PTE_D | PTE_A))
    sfence_vma();
  return 0;
}

#define RESOLVE_NOIO     1        // only pages already in the page cache (MAP_NONBLOCK)
#define RESOLVE_POPULATE 2        // a page already there is left as it is

// A megapage of private anonymous region r at va that has none yet: a zeroed 2 MiB frame.
static int
fill_huge(struct proc *p, struct vma *r, uint64 va, pte_t *pte)
{
  char *mem = kalloc_huge();
  if(mem == 0)
    return -ENOMEM;
  for(uint64 off = 0; off < HUGEPGSIZE; off += PGSIZE)
    zero_page(mem + off);
  return install(p, va, pte, (uint64)mem, prot_pte(r->prot), 0, &p->ru.ru_zeroflt);
}

// resolve() for a MAP_HUGETLB region: the same, for the megapage holding va (one level-1 leaf
// PTE, Sv39's megapage, maps it all).
static int __attribute__((noinline))
resolve_huge(struct proc *p, struct vma *r, uint64 va, uint64 cause, int how)
{
  va = HUGEPGROUNDDOWN(va);
  pte_t *pte = walk_huge(p->mm->pagetable, va, 1);
  if(pte == 0)
    return -ENOMEM;
  if(pte_has_page(pte))
    return (how & RESOLVE_POPULATE) ? 0 : present_fault(p, r, pte, cause, 1);
  if(r->file == 0)
    return fill_huge(p, r, va, pte);
  return fill_fault(p, r, va, pte, cause, how & RESOLVE_NOIO);
}

// Resolve an access of kind cause, which region r allows, at va: fill the page, or copy it,
// or mark it dirty.  0 or -errno.  Inlined: it is the fast path of every fault.
static inline __attribute__((always_inline)) int
resolve(struct proc *p, struct vma *r, uint64 va, uint64 cause, int how)
{
  if(vma_huge(r))
    return resolve_huge(p, r, va, cause, how);
  pte_t *pte = walk(p->mm->pagetable, va, 0);
  if(pte_has_page(pte))
    return (how & RESOLVE_POPULATE) ? 0 : present_fault(p, r, pte, cause, 0);
  return fill_fault(p, r, va, pte, cause, how & RESOLVE_NOIO);
}

// Resolve a page fault of thread p at user address va with the given scause (12, 13, 15).
// 0 when the page is now mapped for the access (or the access should simply be retried);
// else -EFAULT, -ENXIO or -ENOMEM (see above).  Reading a file page may sleep on the disk, and
// so may waiting for the address space's lock: where sleeping is not allowed -- a spinlock held
// (interrupts off), or p->nofault (file reads and writes copy under the inode lock, and fault
// their buffers in before it) -- a fault in a file mapping fails with -EFAULT, and so does
// one that would have to wait for the lock.
#define FAULT_NEEDS_WRITER 1      // fault_once: only the lock's write side may resolve this

static inline int fault_once(struct proc *p, uint64 va, uint64 cause, int reader)
  __attribute__((always_inline));

// A fault in an address space other threads use: under its lock's read side -- only tried
// where sleeping is not allowed (can_sleep clear: -EFAULT if a writer holds it).  A fault that
// must change the regions (growing a stack) retries under the write side.
static int
fault_shared(struct proc *p, uint64 va, uint64 cause, int can_sleep)
{
  struct rwsem *lock = &p->mm->lock;
  if(can_sleep)
    down_read(lock);
  else if(!down_read_trylock(lock))
    return -EFAULT;
  int err = fault_once(p, va, cause, 1);
  up_read(lock);
  if(err == FAULT_NEEDS_WRITER){
    if(!can_sleep)
      return -EFAULT;
    down_write(lock);
    err = fault_once(p, va, cause, 0);
    up_write(lock);
  }
  return err;
}

int
fault_page(struct proc *p, uint64 va, uint64 cause)
{
  struct mm *mm = p->mm;
  // A thread that holds its space's lock for writing (a system call copying to or from the
  // user) has the regions to itself already.
  int mine = holding_write(&mm->lock, p);
  int can_sleep = intr_enabled() && !p->nofault;
  int can_reclaim = can_sleep && !mine;
  if(can_reclaim)
    reclaim_if_low();             // memory short: take file pages back while we hold no lock
  for(int tries = 0;; tries++){
    int err;
    if(mine || !mm_shared(mm))
      err = fault_once(p, va, cause, 0);   // no other thread: no lock (see the top)
    else
      err = fault_shared(p, va, cause, can_sleep);
    if(err != -ENOMEM || !can_reclaim || tries == 3)
      return err;
    reclaim_sweep();              // no memory: sweep now (twice clears A bits, then takes)
  }
}

// A fault at va outside every region (fault_once): the page just below a MAP_GROWSDOWN region
// grows it (mmap.c), which changes the table, so only under the lock's write side.  0 if a
// region now covers va, else -EFAULT or FAULT_NEEDS_WRITER.
static int __attribute__((noinline))
grow_region(struct proc *p, uint64 va, int reader)
{
  if(reader)
    return FAULT_NEEDS_WRITER;
  return mmap_grow(p, va) ? 0 : -EFAULT;
}

static inline int
fault_once(struct proc *p, uint64 va, uint64 cause, int reader)
{
  if(va >= MAXVA)
    return -EFAULT;
  struct vma *r = vma_find(&p->mm->vmas, va);
  if(r == 0){
    int err = grow_region(p, va, reader);
    if(err)
      return err;
    r = vma_find(&p->mm->vmas, va);   // grown
  }
  if(r->file && r->file->type == FD_INODE && (!intr_enabled() || p->nofault))
    return -EFAULT;
  if(!access_ok(r->prot, cause))
    return -EFAULT;
  return resolve(p, r, va, cause, 0);
}

// Fault in the page at va of region r now (MAP_POPULATE), as the access a program would make
// first: a store for private writable regions, else a load (or fetch).  With noio only pages
// already in the page cache are mapped (MAP_NONBLOCK).  0, or -errno.
int
fault_populate(struct proc *p, struct vma *r, uint64 va, int noio)
{
  if(prot_pte(r->prot) == 0)
    return 0;
  uint64 cause = EXC_LOAD_PAGE_FAULT;
  if((r->prot & PROT_WRITE) && !vma_shared(r))
    cause = EXC_STORE_PAGE_FAULT;
  else if(!(r->prot & (PROT_READ | PROT_WRITE)))
    cause = EXC_INST_PAGE_FAULT;
  int err = resolve(p, r, va, cause, RESOLVE_POPULATE | (noio ? RESOLVE_NOIO : 0));
  return err == -EAGAIN ? 0 : err;
}

// For vm.c's copyin/copyout: fault in the page at va of pagetable, if that is the current
// process's.  0, or -errno.
int
fault_in(pagetable_t pagetable, uint64 va, int write)
{
  struct proc *p = myproc();
  if(p == 0 || p->mm == 0 || p->mm->pagetable != pagetable)
    return -EFAULT;
  return fault_page(p, va, write ? EXC_STORE_PAGE_FAULT : EXC_LOAD_PAGE_FAULT);
}

// Sv39 page tables: the kernel's (one, shared by all harts) and each process's.
//
// The kernel page table maps RAM and the devices at their physical addresses, the trampoline
// page at TRAMPOLINE, and a kernel stack per process slot below it (each with an unmapped
// guard page beneath).  A user page table maps the pages of the process's regions (mm.h) with
// PTE_U, plus the trap frames and TRAMPOLINE without it.
//
// copyin/copyout/copyinstr walk the user page table in software, so a bad user pointer is an
// error return (-EFAULT), never a kernel fault.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "errno.h"
#include "mman.h"
#include "defs.h"

extern char etext[];        // kernel.ld: end of kernel text (page aligned)
extern char trampoline[];   // trampoline.S

pagetable_t kernel_pagetable;

// A zeroed page, or 0 if memory is exhausted.
static void *
zalloc(void)
{
  void *pa = kalloc();
  if(pa)
    memset(pa, 0, PGSIZE);
  return pa;
}

static pagetable_t
kvmmake(void)
{
  pagetable_t kpt = zalloc();
  if(kpt == 0)
    panic("kvmmake: out of memory");

  kvmmap(kpt, TESTDEV, TESTDEV, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, CLINT, CLINT, PGSIZE, PTE_R | PTE_W);     // msip: inter-hart interrupts (tlb.c)
  kvmmap(kpt, UART0, UART0, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, VIRTIO0, VIRTIO0, PGSIZE, PTE_R | PTE_W);
  kvmmap(kpt, PLIC, PLIC, 0x4000000, PTE_R | PTE_W);

  // kernel text read-only and executable; data and all the rest of RAM read-write
  kvmmap(kpt, KERNBASE, KERNBASE, (uint64)etext - KERNBASE, PTE_R | PTE_X);
  kvmmap(kpt, (uint64)etext, (uint64)etext, PHYSTOP - (uint64)etext, PTE_R | PTE_W);

  // the trap entry/exit code, at the same virtual address as in user page tables
  kvmmap(kpt, TRAMPOLINE, (uint64)trampoline, PGSIZE, PTE_R | PTE_X);

  proc_mapstacks(kpt);
  return kpt;
}

void
kvminit(void)
{
  kernel_pagetable = kvmmake();
}

// Turn on paging with the kernel page table on this hart.
void
kvminithart(void)
{
  sfence_vma();   // earlier page-table writes become visible to the walker
  csrw_satp(MAKE_SATP(kernel_pagetable));
  sfence_vma();   // drop any stale translations
}

// The page-table page that the empty non-leaf entry *entry should point to: a new zeroed one,
// installed by compare-and-swap -- threads of one address space fault concurrently (under the
// read side of its lock, mm.h), and two may need the same missing page-table page: the loser
// frees its copy and uses the winner's.  0 if out of memory.
static pagetable_t __attribute__((noinline))
table_below(pte_t *entry)
{
  pagetable_t next = zalloc();
  if(next == 0)
    return 0;
  pte_t empty = 0;
  if(__atomic_compare_exchange_n(entry, &empty, PA2PTE(next) | PTE_V, 0, __ATOMIC_ACQ_REL,
                                 __ATOMIC_ACQUIRE))
    return next;
  kfree(next);
  if(!(empty & PTE_V) || (empty & (PTE_R | PTE_W | PTE_X)))
    panic("table_below: entry became a leaf");
  return (pagetable_t)PTE2PA(empty);
}

// The address of the level-0 PTE for va in pagetable.  With alloc set, missing page-table
// pages are created; otherwise (or if kalloc fails) returns 0 when the path is incomplete.
// Returns 0 too where a megapage (MAP_HUGETLB, a leaf at level 1) covers va: walk_leaf()
// finds those.
pte_t *
walk(pagetable_t pagetable, uint64 va, int alloc)
{
  if(va >= MAXVA)
    panic("walk: virtual address out of range");

  for(int level = 2; level > 0; level--){
    pte_t *entry = &pagetable[PX(level, va)];
    if(*entry & PTE_V){
      if(*entry & (PTE_R | PTE_W | PTE_X)){
        if(alloc)
          panic("walk: a megapage is in the way");
        return 0;
      }
      pagetable = (pagetable_t)PTE2PA(*entry);
      continue;
    }
    if(!alloc)
      return 0;
    if((pagetable = table_below(entry)) == 0)
      return 0;
  }
  return &pagetable[PX(0, va)];
}

// The leaf PTE mapping va, at level 0, or at level 1 for a megapage (*level says which); 0 if
// the path has no PTE for va.
pte_t *
walk_leaf(pagetable_t pagetable, uint64 va, int *level)
{
  if(va >= MAXVA)
    return 0;
  for(int l = 2; l > 0; l--){
    pte_t *entry = &pagetable[PX(l, va)];
    if((*entry & PTE_V) && (*entry & (PTE_R | PTE_W | PTE_X))){
      *level = l;
      return entry;
    }
    if(!(*entry & PTE_V)){
      // a PROT_NONE megapage keeps its frame with V clear (vmpte.h)
      if(l == 1 && *entry != 0){
        *level = 1;
        return entry;
      }
      return 0;
    }
    pagetable = (pagetable_t)PTE2PA(*entry);
  }
  *level = 0;
  return &pagetable[PX(0, va)];
}

// The level-1 PTE slot for the megapage at va (2 MiB aligned), creating the level-1 table if
// alloc.  A level-0 table left there by earlier mappings is freed if it is empty (no region
// overlaps a MAP_HUGETLB one, so it is).  0 if out of memory.
pte_t *
walk_huge(pagetable_t pagetable, uint64 va, int alloc)
{
  pte_t *l2 = &pagetable[PX(2, va)];
  if(!(*l2 & PTE_V)){
    if(!alloc)
      return 0;
    if(table_below(l2) == 0)
      return 0;
  }
  pte_t *l1 = &((pagetable_t)PTE2PA(*l2))[PX(1, va)];
  pte_t e = *l1;
  if((e & PTE_V) && !(e & (PTE_R | PTE_W | PTE_X))){
    pagetable_t old = (pagetable_t)PTE2PA(e);
    for(int i = 0; i < 512; i++)
      if(old[i] != 0)
        panic("walk_huge: pages mapped under a megapage");
    // Another thread faulting in the same megapage may be doing this too: one frees it.
    if(__atomic_compare_exchange_n(l1, &e, 0, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
      kfree(old);
  }
  return l1;
}

// The first non-empty leaf PTE (mapped, or PROT_NONE with a page) for a page in [*va, end),
// skipping absent page-table pages whole; *va becomes its address.  0 if there is none.
pte_t *
walk_next(pagetable_t pagetable, uint64 *va, uint64 end)
{
  uint64 a = PGROUNDDOWN(*va);
  while(a < end && a < MAXVA){
    pte_t *l2 = &pagetable[PX(2, a)];
    if(!(*l2 & PTE_V)){
      a = (a | ((1L << 30) - 1)) + 1;          // next gigabyte
      continue;
    }
    pte_t *l1 = &((pagetable_t)PTE2PA(*l2))[PX(1, a)];
    if(!(*l1 & PTE_V) || (*l1 & (PTE_R | PTE_W | PTE_X))){
      a = (a | ((1L << 21) - 1)) + 1;          // next 2 MiB (megapages: see walk_leaf)
      continue;
    }
    pte_t *pte = &((pagetable_t)PTE2PA(*l1))[PX(0, a)];
    if(*pte != 0){
      *va = a;
      return pte;
    }
    a += PGSIZE;
  }
  return 0;
}

// The physical address of user page va, or 0 if it is not mapped for user access.
uint64
walkaddr(pagetable_t pagetable, uint64 va)
{
  if(va >= MAXVA)
    return 0;
  pte_t *pte = walk(pagetable, va, 0);
  if(pte == 0 || (*pte & PTE_V) == 0 || (*pte & PTE_U) == 0)
    return 0;
  return PTE2PA(*pte);
}

// Map [va, va+size) to [pa, pa+size) in the kernel page table during boot; panics on failure.
void
kvmmap(pagetable_t kpgtbl, uint64 va, uint64 pa, uint64 sz, int perm)
{
  if(mappages(kpgtbl, va, sz, pa, perm) != 0)
    panic("kvmmap: out of memory");
}

// Create PTEs for [va, va+size) -> [pa, pa+size); va, size and pa page aligned.
// Returns 0, or -ENOMEM if a page-table page could not be allocated (some pages may then be
// mapped already: the caller unmaps them).
int
mappages(pagetable_t pagetable, uint64 va, uint64 size, uint64 pa, int perm)
{
  if(va % PGSIZE || size % PGSIZE || pa % PGSIZE)
    panic("mappages: not page aligned");
  if(size == 0)
    panic("mappages: empty range");

  for(uint64 off = 0; off < size; off += PGSIZE){
    pte_t *pte = walk(pagetable, va + off, 1);
    if(pte == 0)
      return -ENOMEM;
    if(*pte & PTE_V)
      panic("mappages: page already mapped");
    *pte = PA2PTE(pa + off) | perm | PTE_V;
  }
  return 0;
}

// Remove npages mappings starting at va (page aligned), which must exist; with do_free, also
// drop the references to the physical pages (freeing those nobody else maps).
void
uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int do_free)
{
  if(va % PGSIZE)
    panic("uvmunmap: not page aligned");

  for(uint64 a = va; a < va + npages * PGSIZE; a += PGSIZE){
    pte_t *pte = walk(pagetable, a, 0);
    if(pte == 0 || (*pte & PTE_V) == 0)
      panic("uvmunmap: page not mapped");
    if(PTE_FLAGS(*pte) == PTE_V)
      panic("uvmunmap: not a leaf");
    if(do_free)
      page_put(PTE2PA(*pte));
    *pte = 0;
  }
}

// An empty user page table, or 0 if out of memory.
pagetable_t
uvmcreate(void)
{
  return zalloc();
}

// Free the page-table pages of a table whose leaf mappings are all gone.
static void
freewalk(pagetable_t pagetable)
{
  for(int i = 0; i < 512; i++){
    pte_t pte = pagetable[i];
    if((pte & PTE_V) == 0)
      continue;
    if(pte & (PTE_R | PTE_W | PTE_X))
      panic("freewalk: leaf still mapped");
    freewalk((pagetable_t)PTE2PA(pte));
    pagetable[i] = 0;
  }
  kfree(pagetable);
}

// Free a user page table whose user pages are all unmapped (the regions are gone, exit or
// exec; the trampoline and trap frames too).
void
uvmfree(pagetable_t pagetable)
{
  freewalk(pagetable);
}

// The user page at va (page aligned) as a kernel pointer, if it is mapped for user access and,
// when `write` is set, writable.  0 otherwise.
static char *
mapped_page(pagetable_t pagetable, uint64 va, int write)
{
  int level;
  pte_t *pte = walk_leaf(pagetable, va, &level);
  if(pte == 0)
    return 0;
  uint64 need = PTE_V | PTE_U | (write ? PTE_W : 0);
  if((*pte & need) != need)
    return 0;
  *pte |= PTE_A | (write ? PTE_D : 0);   // as the hardware would: dirty tracking reads D
  uint64 pa = PTE2PA(*pte);
  if(level == 1)
    pa += va & (HUGEPGSIZE - 1) & ~(PGSIZE - 1);
  return (char *)pa;
}

// As mapped_page, but a page of a region not touched yet is faulted in first (fault.c), so a
// system call may use a fresh mapping, or fresh heap, as its buffer.
static char *
user_page(pagetable_t pagetable, uint64 va, int write)
{
  char *pa = mapped_page(pagetable, va, write);
  if(pa == 0 && va < MAXVA && fault_in(pagetable, va, write) == 0)
    pa = mapped_page(pagetable, va, write);
  return pa;
}

// Is all of [va, va+len) mapped for user access (and writable, when `write` is set)?  0, or
// -EFAULT.  Lets a system call refuse a bad buffer before it blocks waiting for data.
int
uvmcheck(pagetable_t pagetable, uint64 va, uint64 len, int write)
{
  if(len == 0)
    return 0;
  if(va + len < va)
    return -EFAULT;
  for(uint64 page = PGROUNDDOWN(va); page < va + len; page += PGSIZE){
    if(user_page(pagetable, page, write) == 0)
      return -EFAULT;
  }
  return 0;
}

// Copy len bytes between kernel memory kva and user address uva, page by page (faulting in
// mapped pages not touched yet): to the user when to_user, else from.  0, or -EFAULT.
// Each page is translated and copied with interrupts off: a hart that answers a TLB shootdown
// (tlb.c) thereby promises it is not using a physical page it translated before.
static int
copyuser(pagetable_t pagetable, uint64 uva, char *kva, uint64 len, int to_user)
{
  while(len > 0){
    uint64 page = PGROUNDDOWN(uva);
    uint64 n = PGSIZE - (uva - page);
    if(n > len)
      n = len;
    push_off();
    char *pa = mapped_page(pagetable, page, to_user);
    if(pa){
      if(to_user)
        memmove(pa + (uva - page), kva, n);
      else
        memmove(kva, pa + (uva - page), n);
    }
    pop_off();
    if(pa == 0){
      if(page >= MAXVA || fault_in(pagetable, page, to_user) != 0)
        return -EFAULT;
      continue;                   // translate again, now that it is mapped
    }
    len -= n;
    kva += n;
    uva += n;
  }
  return 0;
}

// Copy len bytes from kernel src to user dstva.  0, or -EFAULT.
int
copyout(pagetable_t pagetable, uint64 dstva, char *src, uint64 len)
{
  return copyuser(pagetable, dstva, src, len, 1);
}

// Copy len bytes from user srcva to kernel dst.  0, or -EFAULT.
int
copyin(pagetable_t pagetable, char *dst, uint64 srcva, uint64 len)
{
  return copyuser(pagetable, srcva, dst, len, 0);
}

// Copy a NUL-terminated string from user srcva to dst, at most max bytes including the NUL.
// 0 on success; -EFAULT for a bad address; -ENAMETOOLONG if there is no NUL within max bytes.
int
copyinstr(pagetable_t pagetable, char *dst, uint64 srcva, uint64 max)
{
  while(max > 0){
    uint64 page = PGROUNDDOWN(srcva);
    uint64 n = PGSIZE - (srcva - page);
    if(n > max)
      n = max;
    push_off();                   // as in copyuser
    char *pa = mapped_page(pagetable, page, 0);
    int found = 0;
    uint64 i = 0;
    if(pa){
      char *p = pa + (srcva - page);
      for(; i < n; i++){
        dst[i] = p[i];
        if(p[i] == 0){
          found = 1;
          break;
        }
      }
    }
    pop_off();
    if(pa == 0){
      if(page >= MAXVA || fault_in(pagetable, page, 0) != 0)
        return -EFAULT;
      continue;
    }
    if(found)
      return 0;
    dst += n;
    max -= n;
    srcva += n;
  }
  return -ENAMETOOLONG;
}

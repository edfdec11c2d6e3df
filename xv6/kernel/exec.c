// exec(): replace the current process's memory with a program from an ELF file.
//
// The new image is built in a fresh page table; the old one is dropped only when nothing can
// fail any more, so a failed exec returns an error to the unchanged caller.
//
// New user memory, from 0 up:
//   the PT_LOAD segments, in file order (page gaps between them are mapped too)
//   one guard page (no PTE_U): a stack overflow faults instead of overwriting data
//   USERSTACK stack pages, holding argv strings and the argv[] array at the top
// sz ends at the top of the stack; sbrk grows the heap above it.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "proc.h"
#include "fs.h"
#include "file.h"
#include "stat.h"
#include "elf.h"
#include "errno.h"
#include "defs.h"

// Is the ELF header one we can run?  0 or -ENOEXEC.  ip is locked.
static int
check_header(struct elfhdr *eh, struct inode *ip)
{
  static const uchar magic[4] = { 0x7f, 'E', 'L', 'F' };

  if(memcmp(eh->ident, magic, sizeof(magic)) != 0)
    return -ENOEXEC;
  if(eh->ident[EI_CLASS] != ELFCLASS64 || eh->ident[EI_DATA] != ELFDATA2LSB ||
     eh->ident[EI_VERSION] != EV_CURRENT)
    return -ENOEXEC;
  if(eh->type != ET_EXEC || eh->machine != EM_RISCV)
    return -ENOEXEC;
  if(eh->phentsize != sizeof(struct proghdr) || eh->phnum == 0)
    return -ENOEXEC;
  // the program-header table must lie inside the file
  uint64 table_end = eh->phoff + (uint64)eh->phnum * sizeof(struct proghdr);
  if(table_end < eh->phoff || table_end > ip->size)
    return -ENOEXEC;
  return 0;
}

// Is this PT_LOAD segment sane?  Segments must come in increasing address order without
// overlapping (the gABI requires the order), lie below the trap frame, and their file bytes
// must exist.  prev_end: end of the previous segment.
static int
check_segment(struct proghdr *ph, uint64 prev_end, struct inode *ip)
{
  uint64 mem_end = ph->vaddr + ph->memsz;
  uint64 file_end = ph->off + ph->filesz;

  if(ph->filesz > ph->memsz)
    return -ENOEXEC;
  if(mem_end < ph->vaddr || mem_end > TRAPFRAME)
    return -ENOEXEC;
  if(file_end < ph->off || file_end > ip->size)
    return -ENOEXEC;
  if(ph->vaddr < prev_end)
    return -ENOEXEC;
  return 0;
}

static int
segment_perm(uint32 flags)
{
  int perm = 0;
  if(flags & PF_W)
    perm |= PTE_W;
  if(flags & PF_X)
    perm |= PTE_X;
  return perm;   // uvmalloc adds PTE_R | PTE_U
}

// Read n bytes at file offset off into user memory at va (already mapped).
static int
load_bytes(pagetable_t pt, uint64 va, struct inode *ip, uint off, uint n)
{
  uint done = 0;
  while(done < n){
    uint64 a = va + done;
    uint64 pa = walkaddr(pt, PGROUNDDOWN(a));
    if(pa == 0)
      panic("exec: segment page not mapped");
    uint chunk = PGSIZE - a % PGSIZE;
    if(chunk > n - done)
      chunk = n - done;
    if(readi(ip, 0, pa + a % PGSIZE, off + done, chunk) != chunk)
      return -EIO;
    done += chunk;
  }
  return 0;
}

// Map and fill one PT_LOAD segment; *szp is the image size so far and grows.
static int
load_segment(pagetable_t pt, struct proghdr *ph, struct inode *ip, uint64 *szp)
{
  uint64 old_top = PGROUNDUP(*szp);
  int perm = segment_perm(ph->flags);

  if(ph->memsz == 0)
    return 0;
  uint64 newsz = uvmalloc(pt, *szp, ph->vaddr + ph->memsz, perm);
  if(newsz == 0)
    return -ENOMEM;
  *szp = newsz;

  // A segment that starts in the previous segment's last page shares that page: it needs
  // both segments' permissions.
  if(PGROUNDDOWN(ph->vaddr) < old_top){
    pte_t *pte = walk(pt, PGROUNDDOWN(ph->vaddr), 0);
    if(pte == 0)
      panic("exec: shared page not mapped");
    *pte |= perm;
  }
  return load_bytes(pt, ph->vaddr, ip, ph->off, ph->filesz);
}

// Read the program headers and load every PT_LOAD segment into pt.  *szp: size of the image.
static int
load_program(pagetable_t pt, struct elfhdr *eh, struct inode *ip, uint64 *szp)
{
  uint64 prev_end = 0;
  for(int i = 0; i < eh->phnum; i++){
    struct proghdr ph;
    uint off = eh->phoff + i * sizeof(ph);
    if(readi(ip, 0, (uint64)&ph, off, sizeof(ph)) != sizeof(ph))
      return -EIO;
    if(ph.type != PT_LOAD)
      continue;
    int err = check_segment(&ph, prev_end, ip);
    if(err == 0)
      err = load_segment(pt, &ph, ip, szp);
    if(err != 0)
      return err;
    prev_end = ph.vaddr + ph.memsz;
  }
  if(eh->entry >= *szp)
    return -ENOEXEC;   // entry point outside the program
  return 0;
}

// Open path and load the program it holds into pt.
static int
load_file(char *path, pagetable_t pt, uint64 *entry, uint64 *szp)
{
  struct elfhdr eh;
  int err;

  begin_op();
  struct inode *ip;
  err = namei_err(path, &ip);
  if(err < 0){
    end_op();
    return err;
  }
  ilock(ip);
  if(ip->type != T_FILE)
    err = -EACCES;
  else if(readi(ip, 0, (uint64)&eh, 0, sizeof(eh)) != sizeof(eh))
    err = -ENOEXEC;
  else
    err = check_header(&eh, ip);
  if(err == 0)
    err = load_program(pt, &eh, ip, szp);
  iunlockput(ip);
  end_op();

  *entry = eh.entry;
  return err;
}

// Add the guard page and the stack above the image.  *szp grows; *stack_low is the lowest
// usable stack address.
static int
make_stack(pagetable_t pt, uint64 *szp, uint64 *stack_low)
{
  uint64 base = PGROUNDUP(*szp);
  uint64 top = uvmalloc(pt, base, base + (USERSTACK + 1) * PGSIZE, PTE_W);
  if(top == 0)
    return -ENOMEM;
  uvmclear(pt, base);          // the guard page
  *stack_low = base + PGSIZE;
  *szp = top;
  return 0;
}

// Copy the argument strings and the argv[] array (NULL terminated) onto the new stack, whose
// top is *spp.  Returns argc, or -E2BIG.  The stack pointer stays 16-byte aligned (psABI).
static int
push_args(pagetable_t pt, char **argv, uint64 *spp, uint64 stack_low)
{
  uint64 uargv[MAXARG];
  uint64 sp = *spp;
  int argc = 0;

  for(; argc < MAXARG && argv[argc]; argc++){
    uint64 len = strlen(argv[argc]) + 1;
    sp = (sp - len) & ~15UL;
    if(sp < stack_low || copyout(pt, sp, argv[argc], len) != 0)
      return -E2BIG;
    uargv[argc] = sp;
  }
  if(argc == MAXARG)
    return -E2BIG;             // no room for the terminating NULL
  uargv[argc] = 0;

  uint64 bytes = (argc + 1) * sizeof(uint64);
  sp = (sp - bytes) & ~15UL;
  if(sp < stack_low || copyout(pt, sp, (char *)uargv, bytes) != 0)
    return -E2BIG;
  *spp = sp;
  return argc;
}

static char *
last_element(char *path)
{
  char *name = path;
  for(char *s = path; *s; s++){
    if(*s == '/')
      name = s + 1;
  }
  return name;
}

// Run the program at path with arguments argv (kernel strings, at most MAXARG - 1 of them,
// then a 0).  On success returns argc, which becomes a0 for the new program's main; argv is in
// a1.  On failure returns -errno (-ENOENT, -ENOTDIR, -EACCES, -ENOEXEC, -ENOMEM, -E2BIG, -EIO...)
// and the caller's image is untouched.
int
exec(char *path, char **argv)
{
  struct proc *p = myproc();
  uint64 entry = 0, sz = 0, stack_low = 0, sp = 0;
  int argc = 0;

  pagetable_t pt = proc_pagetable(p);
  if(pt == 0)
    return -ENOMEM;

  int err = load_file(path, pt, &entry, &sz);
  if(err == 0)
    err = make_stack(pt, &sz, &stack_low);
  if(err == 0){
    sp = sz;
    argc = push_args(pt, argv, &sp, stack_low);
    if(argc < 0)
      err = argc;
  }
  if(err != 0){
    proc_freepagetable(pt, sz);
    return err;
  }

  // Point of no return: switch the process over to the new image.
  safestrcpy(p->name, last_element(path), sizeof(p->name));
  acquiresleep(&p->vmlock);   // truncation must not look at old regions in the new table
  pagetable_t old_pt = p->pagetable;
  uint64 old_sz = p->sz;
  p->pagetable = pt;
  p->sz = sz;
  p->trapframe->epc = entry;
  p->trapframe->sp = sp;
  p->trapframe->a1 = sp;       // argv
  vma_unmap_all(p, old_pt);
  releasesleep(&p->vmlock);
  proc_freepagetable(old_pt, old_sz);
  return argc;
}

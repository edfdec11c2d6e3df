// exec(): replace the current process's memory with a program from an ELF file.
//
// The new image is built in a fresh page table; the old one is dropped only when nothing can
// fail any more, so a failed exec returns an error to the unchanged caller.
//
// New user memory, from 0 up:
//   the PT_LOAD segments, mapped from the file like mmap(MAP_PRIVATE | MAP_FIXED |
//   MAP_EXECUTABLE | MAP_DENYWRITE): demand-paged, copy-on-write, and while the program runs
//   its file cannot be opened for writing (ETXTBSY); bss is private anonymous memory
//   one guard page, in no region: a stack overflow faults instead of overwriting data
//   the stack: USERSTACK pages of private anonymous memory (MAP_STACK | MAP_GROWSDOWN, but
//   too close to the image to grow), holding argv strings and the argv[] array at the top
//   the heap, empty: sbrk grows it from the top of the stack, a region faulted in lazily.

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
#include "mman.h"
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

// The PROT_* bits of a segment's p_flags.
static int
segment_prot(uint32 flags)
{
  int prot = 0;
  if(flags & PF_R)
    prot |= PROT_READ;
  if(flags & PF_W)
    prot |= PROT_WRITE;
  if(flags & PF_X)
    prot |= PROT_EXEC;
  return prot;
}

// Map one PT_LOAD segment into the image (table t, page table pt) from the program file f:
// its file bytes as a private mapping of the file (copy-on-write, demand-paged, read-only
// pages shared with every other process running the program through the page cache), the
// rest of its memory (bss) as private anonymous memory.  As for mmap, the file offset and
// the address must agree modulo the page size.  *endp: the image's end so far grows.
static int
map_segment(struct proc *p, struct vmas *t, pagetable_t pt, struct proghdr *ph,
            struct file *f, uint64 *endp)
{
  if(ph->memsz == 0)
    return 0;
  if(ph->vaddr % PGSIZE != ph->off % PGSIZE)
    return -ENOEXEC;            // cannot be mapped (Linux refuses it too)
  int prot = segment_prot(ph->flags);
  int flags = MAP_PRIVATE | MAP_FIXED | MAP_EXECUTABLE | MAP_DENYWRITE;
  uint64 start = PGROUNDDOWN(ph->vaddr);
  uint64 file_end = ph->vaddr + ph->filesz;        // where the file bytes end in memory
  uint64 mem_end = PGROUNDUP(ph->vaddr + ph->memsz);
  int err = 0;
  if(ph->filesz > 0){
    err = mmap_image(p, t, pt, start, PGROUNDUP(file_end), prot, flags, filedup(f),
                     PGROUNDDOWN(ph->off));
    if(err == 0 && file_end % PGSIZE && ph->memsz > ph->filesz)
      err = mmap_image_zero_tail(t, pt, PGROUNDDOWN(file_end), file_end % PGSIZE);
    start = PGROUNDUP(file_end);
  }
  if(err == 0 && start < mem_end)
    err = mmap_image(p, t, pt, start, mem_end, prot, MAP_PRIVATE | MAP_FIXED, 0, 0);
  if(err == 0 && mem_end > *endp)
    *endp = mem_end;
  return err;
}

// Read and check the ELF header and the program headers of ip (locked) into *eh and ph[]
// (at most MAXPH).  The number of program headers, or -errno.
#define MAXPH (PGSIZE / sizeof(struct proghdr))
static int
read_headers(struct inode *ip, struct elfhdr *eh, struct proghdr *ph)
{
  if(ip->type != T_FILE)
    return -EACCES;
  if(readi(ip, 0, (uint64)eh, 0, sizeof(*eh)) != sizeof(*eh))
    return -ENOEXEC;
  int err = check_header(eh, ip);
  if(err)
    return err;
  if(eh->phnum > MAXPH)
    return -ENOEXEC;
  uint n = eh->phnum * sizeof(struct proghdr);
  if(readi(ip, 0, (uint64)ph, eh->phoff, n) != n)
    return -EIO;
  uint64 prev_end = 0;
  for(int i = 0; i < eh->phnum; i++){
    if(ph[i].type != PT_LOAD)
      continue;
    if((err = check_segment(&ph[i], prev_end, ip)) != 0)
      return err;
    prev_end = ph[i].vaddr + ph[i].memsz;
  }
  return eh->phnum;
}

// Map the program at path into the new image: table t, page table pt.  *entry: its entry
// point; *endp: the end of its highest segment.
static int
load_file(struct proc *p, char *path, struct vmas *t, pagetable_t pt, uint64 *entry,
          uint64 *endp)
{
  struct elfhdr eh;
  struct proghdr *ph = kalloc();
  if(ph == 0)
    return -ENOMEM;

  // Look the program up and read its headers inside a transaction (namei may drop inodes);
  // the mappings are made after it, as mmap makes them.
  begin_op();
  struct inode *ip;
  int n = namei_err(path, &ip);
  if(n == 0){
    ilock(ip);
    n = read_headers(ip, &eh, ph);
    iunlock(ip);
    if(n < 0)
      iput(ip);
  }
  end_op();
  if(n < 0){
    kfree(ph);
    return n;
  }

  int err = 0;
  struct file *f = fileopen_image(ip);   // takes over our reference to ip
  if(f == 0){
    begin_op();
    iput(ip);
    end_op();
    err = -ENFILE;
  }
  for(int i = 0; err == 0 && i < n; i++)
    if(ph[i].type == PT_LOAD)
      err = map_segment(p, t, pt, &ph[i], f, endp);
  if(err == 0 && (eh.entry >= *endp || !vma_find(t, eh.entry) ||
                  !(vma_find(t, eh.entry)->prot & PROT_EXEC)))
    err = -ENOEXEC;               // the entry point must be in an executable segment
  if(f)
    fileclose(f);                 // the regions hold their own references
  kfree(ph);
  *entry = eh.entry;
  return err;
}

// Add the guard page and the stack above the image, from base: the stack's pages are present
// at once (the arguments go there).  *top: the top of the stack; *stack_low: its lowest
// address.
static int
make_stack(struct proc *p, struct vmas *t, pagetable_t pt, uint64 base, uint64 *top,
           uint64 *stack_low)
{
  *stack_low = base + PGSIZE;
  *top = *stack_low + USERSTACK * PGSIZE;
  if(*top > MMAPTOP)
    return -ENOMEM;               // no room under the trap frames
  return mmap_image_anon(p, t, pt, *stack_low, *top, PROT_READ | PROT_WRITE,
                         MAP_STACK | MAP_GROWSDOWN, 0, 0);
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
  uint64 entry = 0, end = 0, top = 0, stack_low = 0, sp = 0;
  int argc = 0;

  pagetable_t pt = proc_pagetable(p);
  _Static_assert(sizeof(struct vmas) <= PGSIZE, "exec keeps the new table in a page");
  struct vmas *t = kalloc();          // the new image's regions, until it is p's
  if(pt == 0 || t == 0){
    if(pt)
      proc_freepagetable(p, pt);
    if(t)
      kfree(t);
    return -ENOMEM;
  }
  memset(t, 0, sizeof(*t));

  int err = load_file(p, path, t, pt, &entry, &end);
  if(err == 0)
    err = make_stack(p, t, pt, PGROUNDUP(end), &top, &stack_low);
  if(err == 0){
    sp = top;
    argc = push_args(pt, argv, &sp, stack_low);
    if(argc < 0)
      err = argc;
  }
  if(err == 0)
    err = de_thread();            // the other threads end: the new image runs alone
  if(err != 0){
    mmap_unmap_table(p, t, pt);
    kfree(t);
    proc_freepagetable(p, pt);
    return err;
  }

  // Point of no return: switch the process over to the new image.
  safestrcpy(p->name, last_element(path), sizeof(p->name));
  down_write(&p->mm->lock);   // truncation must not look at old regions in the new table
  pagetable_t old_pt = p->mm->pagetable;
  struct vmas old = p->mm->vmas;
  p->mm->vmas = *t;
  p->mm->pagetable = pt;
  p->mm->start_brk = p->mm->brk = top;
  p->trapframe->epc = entry;
  p->trapframe->sp = sp;
  p->trapframe->a1 = sp;       // argv
  up_write(&p->mm->lock);
  kfree(t);
  mmap_unmap_table(p, &old, old_pt);
  proc_freepagetable(p, old_pt);
  return argc;
}

// System calls of the memory system: mmap, munmap, mprotect, msync, fsync, sync, and the
// counters (getrusage, vmstat, pagemap).  Argument checking with Linux's errno rules lives
// here; what the calls do to regions and pages is mmap.c.

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
#include "mman.h"
#include "vmstat.h"
#include "vmpte.h"
#include "errno.h"
#include "defs.h"

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

// Run one operation on the caller's regions under its address space's lock (mm.h): `p` is the
// caller.
#define locked(call)                       \
  ({                                       \
    struct proc *p = myproc();             \
    down_write(&p->mm->lock);              \
    uint64 _r = (call);                    \
    up_write(&p->mm->lock);                \
    _r;                                    \
  })

// Every MAP_* bit Linux defines (MAP_SHARED_VALIDATE refuses the others).
#define MAP_KNOWN (MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE | \
                   MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |          \
                   MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_SYNC | MAP_FIXED_NOREPLACE | \
                   (MAP_HUGE_MASK << MAP_HUGE_SHIFT))

// The checks that do not depend on the process.  0 or -errno.
static int
check_mmap_args(uint64 addr, uint64 len, int prot, int flags, uint64 off)
{
  int type = flags & MAP_TYPE;
  if(type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
    return -EINVAL;
  if(type == MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN))
    return -EOPNOTSUPP;
  if(type == MAP_SHARED_VALIDATE && (flags & MAP_SYNC))
    return -EOPNOTSUPP;     // no file here lives on a device with synchronous page faults
  if(prot & ~PROT_ALL)
    return -EINVAL;
  if(off % PGSIZE)
    return -EINVAL;
  if(len == 0)
    return -EINVAL;
  uint64 rlen = PGROUNDUP(len);
  if(rlen < len || rlen > MMAPTOP)
    return -ENOMEM;
  if(off / PGSIZE + rlen / PGSIZE < off / PGSIZE)
    return -EOVERFLOW;
  if((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && addr % PGSIZE)
    return -EINVAL;
  if((flags & MAP_GROWSDOWN) && (!(flags & MAP_ANONYMOUS) || type != MAP_PRIVATE))
    return -EINVAL;         // a stack is private anonymous memory
  if(flags & MAP_HUGETLB){
    int size = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
    if(!(flags & MAP_ANONYMOUS) || (size != 0 && size != 21))
      return -EINVAL;       // anonymous memory, in 2 MiB pages (the default size) only
    if((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && addr % HUGEPGSIZE)
      return -EINVAL;
    if(len > MMAPTOP - HUGEPGSIZE)
      return -ENOMEM;
    if(!(flags & MAP_NORESERVE) && !khuge_available())
      return -ENOMEM;       // no contiguous 2 MiB frame is free
  }
  return 0;
}

// The object a file mapping maps: a new reference to fd's file in *obj.  0 or -errno.
static int
file_object(int fd, int prot, int flags, uint64 off, uint64 len, struct file **obj)
{
  struct file *f;
  if((f = fd_file(fd)) == 0)
    return -EBADF;
  if(f->type != FD_INODE || f->ip->type != T_FILE)
    return -ENODEV;         // pipes, devices and directories cannot be mapped
  if(!f->readable)
    return -EACCES;
  if((flags & MAP_TYPE) != MAP_PRIVATE && (prot & PROT_WRITE) && !f->writable)
    return -EACCES;
  // Pages past MAXFILE could never be in the file; refuse offsets the page cache cannot index.
  if(off / PGSIZE + len / PGSIZE > 0xffffffffUL)
    return -EOVERFLOW;
  *obj = filedup(f);
  return 0;
}

// void *mmap(void *addr, uint64 len, int prot, int flags, int fd, long offset)
uint64
sys_mmap(void)
{
  uint64 addr, len, off;
  int prot, flags, fd;
  argaddr(0, &addr);
  argaddr(1, &len);
  argint(2, &prot);
  argint(3, &flags);
  argint(4, &fd);
  argaddr(5, &off);

  int err = check_mmap_args(addr, len, prot, flags, off);
  if(err)
    return err;
  len = (flags & MAP_HUGETLB) ? HUGEPGROUNDUP(len) : PGROUNDUP(len);
  struct file *obj = 0;
  if(!(flags & MAP_ANONYMOUS)){
    err = file_object(fd, prot, flags, off, len, &obj);
    if(err)
      return err;
  } else if((flags & MAP_TYPE) != MAP_PRIVATE){
    if(len / PGSIZE > 0xffffffffUL)
      return -ENOMEM;
    if((obj = shmalloc(len / PGSIZE)) == 0)
      return -ENOMEM;
    off = 0;
  } else {
    off = 0;                // ignored for private anonymous memory, as in Linux
  }
  // MAP_STACK, MAP_EXECUTABLE and (without VALIDATE) MAP_SYNC: accepted, no effect.
  return locked(mmap_create(p, addr, len, prot, flags, obj, off));
}

// The page-aligned range [*start, *end) of an (addr, len) argument pair.  0; -EINVAL for an
// unaligned addr; `wrap` (the call's errno for it) when addr + len overflows or len rounds up
// past the end of the address space (~0UL); -ENOMEM when the range leaves user space (no
// mapping can be there).
static int
range_arg(uint64 addr, uint64 len, int wrap, uint64 *start, uint64 *end)
{
  if(addr % PGSIZE)
    return -EINVAL;
  uint64 rlen = PGROUNDUP(len);
  if(rlen < len || addr + rlen < addr)
    return wrap;
  if(addr + rlen > MAXVA)
    return -ENOMEM;
  *start = addr;
  *end = addr + rlen;
  return 0;
}

// int munmap(void *addr, uint64 len): unmapping a hole is not an error.  As Linux: EINVAL for
// an unaligned addr, a length of 0 (also one that rounds up to 0, such as ~0UL), or a range
// that leaves user space.
uint64
sys_munmap(void)
{
  uint64 addr, len;
  argaddr(0, &addr);
  argaddr(1, &len);
  if(addr % PGSIZE || addr > MAXVA || len > MAXVA - addr)
    return -EINVAL;
  uint64 end = addr + PGROUNDUP(len);
  if(end == addr)
    return -EINVAL;
  int err = mmap_huge_bounds(myproc(), addr, &end, 1);
  if(err)
    return err;
  return locked(mmap_unmap(p, addr, end));
}

// int mprotect(void *addr, uint64 len, int prot)
uint64
sys_mprotect(void)
{
  uint64 addr, len;
  int prot;
  argaddr(0, &addr);
  argaddr(1, &len);
  argint(2, &prot);
  if(addr % PGSIZE || (prot & ~(PROT_ALL | PROT_GROWSDOWN)))
    return -EINVAL;        // PROT_GROWSUP too: nothing grows up on RISC-V
  uint64 start, end;
  int err = range_arg(addr, len, -ENOMEM, &start, &end);
  if(err || start == end)
    return err;
  if(prot & PROT_GROWSDOWN){
    // The change extends down to the start of the grows-down region holding addr.
    int64 s = mmap_growsdown_start(myproc(), addr);
    if(s < 0)
      return s;
    addr = s;
    prot &= ~PROT_GROWSDOWN;
  }
  err = mmap_huge_bounds(myproc(), addr, &end, 0);
  if(err)
    return err;
  return locked(mmap_mprotect(p, addr, end, prot));
}

// MS_SYNC makes durable every store made so far to the file pages of [start, end), whoever
// made it (Linux's msync writes the file's dirty pages): the dirty records other processes
// hold in their own PTEs of those files are moved into the pages first.  Outside the caller's
// address-space lock: mmap_harvest_all takes every space's lock in turn, and holding one while
// waiting for another could deadlock with a second msync.  More files than fit here: all files.
static void
harvest_mappers(uint64 start, uint64 end)
{
  enum { MAXF = 8 };
  struct file *f[MAXF];
  int n = locked(mmap_shared_files(p, start, end, f, MAXF));
  if(n > MAXF)
    mmap_harvest_all(0);
  for(int i = 0; i < n && i < MAXF; i++){
    mmap_harvest_all(f[i]->ip);
    fileclose(f[i]);
  }
}

// int msync(void *addr, uint64 len, int flags)
uint64
sys_msync(void)
{
  uint64 addr, len;
  int flags;
  argaddr(0, &addr);
  argaddr(1, &len);
  argint(2, &flags);
  if(addr % PGSIZE || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)))
    return -EINVAL;
  if((flags & MS_SYNC) && (flags & MS_ASYNC))
    return -EINVAL;
  uint64 start, end;
  int err = range_arg(addr, len, -ENOMEM, &start, &end);   // ~0UL: not all mapped
  if(err || start == end)
    return err;
  err = mmap_huge_bounds(myproc(), addr, &end, 0);
  if(err)
    return err;
  if(flags & MS_SYNC)
    harvest_mappers(addr, end);
  return locked(mmap_msync(p, addr, end, flags));
}

// int fsync(int fd): write the file's dirty pages to disk -- every process's stores to it.
uint64
sys_fsync(void)
{
  int fd;
  struct file *f;
  argint(0, &fd);
  if((f = fd_file(fd)) == 0)
    return -EBADF;
  if(f->type != FD_INODE)
    return -EINVAL;
  if(f->ip->type != T_FILE)
    return 0;               // directories and devices: nothing is ever held back
  struct proc *p = myproc();
  mmap_harvest_all(f->ip);         // every process's stores to it, not only ours
  int n = pc_sync_inode(f->ip);
  if(n < 0)
    return n;
  p->ru.ru_wbpages += n;
  return 0;
}

// int sync(void): fsync for every file.
uint64
sys_sync(void)
{
  struct proc *p = myproc();
  mmap_harvest_all(0);
  int n = pc_sync_all();
  if(n < 0)
    return n;
  p->ru.ru_wbpages += n;
  return 0;
}

// int getrusage(int who, struct rusage *ru)
uint64
sys_getrusage(void)
{
  int who;
  uint64 addr;
  argint(0, &who);
  argaddr(1, &addr);
  struct proc *p = myproc();
  struct rusage copy;
  if(who == RUSAGE_SELF)
    proc_rusage(&copy);           // every thread of the process
  else if(who == RUSAGE_THREAD)
    copy = p->ru;
  else if(who == RUSAGE_CHILDREN)
    copy = p->leader->cru;
  else
    return -EINVAL;
  return copyout(p->mm->pagetable, addr, (char *)&copy, sizeof(copy));
}

// int vmstat(struct vmstat *st)
uint64
sys_vmstat(void)
{
  uint64 addr;
  argaddr(0, &addr);
  struct vmstat st;
  memset(&st, 0, sizeof(st));
  st.total_pages = ktotalpages();
  st.free_pages = kfreepages();
  pc_stats(&st);
  virtio_disk_stats(&st.disk_reads, &st.disk_writes, &st.disk_requests);
  st.dirty_mode = DIRTY_TRACKING;
  st.tlb_shootdowns = tlb_shootdowns();
  st.commit_limit = commit_limit();
  st.committed_pages = committed_pages();
  return copyout(myproc()->mm->pagetable, addr, (char *)&st, sizeof(st));
}

// int pagemap(void *addr, uint64 *entry)
uint64
sys_pagemap(void)
{
  uint64 addr, out;
  argaddr(0, &addr);
  argaddr(1, &out);
  uint64 e = mmap_pagemap(myproc(), addr);
  return copyout(myproc()->mm->pagetable, out, (char *)&e, sizeof(e));
}

// int madvise(void *addr, uint64 len, int advice)
uint64
sys_madvise(void)
{
  uint64 addr, len, start, end;
  int advice;
  argaddr(0, &addr);
  argaddr(1, &len);
  argint(2, &advice);
  if(advice < MADV_NORMAL || advice > MADV_DONTNEED)
    return -EINVAL;
  int err = range_arg(addr, len, -EINVAL, &start, &end);   // Linux: a "negative" length
  if(err == 0 && start != end)
    err = mmap_huge_bounds(myproc(), start, &end, 0);
  if(err || start == end)
    return err;
  return locked(mmap_madvise(p, start, end, advice));
}

// int mincore(void *addr, uint64 len, unsigned char *vec)
uint64
sys_mincore(void)
{
  uint64 addr, len, vec, start, end;
  argaddr(0, &addr);
  argaddr(1, &len);
  argaddr(2, &vec);
  int err = range_arg(addr, len, -ENOMEM, &start, &end);
  if(err || start == end)
    return err;
  uint64 n = (end - start) / PGSIZE;
  if(vec + n < vec || vec + n > MAXVA)
    return -EFAULT;         // as Linux, a vec outside user space is refused before the range
  return locked(mmap_mincore(p, start, end, vec));
}

// mlock (on) or munlock: addr is rounded down to a page, as in Linux.  EINVAL when addr + len
// overflows (mlock(2)); a length that rounds up past the end of the address space (~0UL)
// covers unmapped memory: ENOMEM.
static uint64
mlock_call(int on)
{
  uint64 addr, len, start, end;
  argaddr(0, &addr);
  argaddr(1, &len);
  if(addr + len < addr)
    return -EINVAL;
  int err = range_arg(PGROUNDDOWN(addr), len + addr % PGSIZE, -ENOMEM, &start, &end);
  if(err == 0 && start != end)
    err = mmap_huge_bounds(myproc(), start, &end, 0);
  if(err || start == end)
    return err;
  return locked(mmap_mlock(p, start, end, on));
}

// int mlock(void *addr, uint64 len)
uint64
sys_mlock(void)
{
  return mlock_call(1);
}

// int munlock(void *addr, uint64 len)
uint64
sys_munlock(void)
{
  return mlock_call(0);
}

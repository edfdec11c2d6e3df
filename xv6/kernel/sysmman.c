// System calls mmap, munmap, mprotect: argument checking with Linux's errno rules.  The
// regions themselves live in vma.c.
//
// This increment maps anonymous private memory only; file-backed and shared mappings come
// next (TODO(next increment): they return -ENODEV for now).

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "mman.h"
#include "errno.h"
#include "defs.h"

#define PROT_ALL (PROT_READ | PROT_WRITE | PROT_EXEC)

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
  return 0;
}

// The kinds of mapping this increment cannot make yet.  0 or -errno.
static int
check_supported(int flags, int fd)
{
  struct proc *p = myproc();
  if(!(flags & MAP_ANONYMOUS)){
    if(fd < 0 || fd >= NOFILE || p->ofile[fd] == 0)
      return -EBADF;
    return -ENODEV;        // TODO(next increment): file-backed mappings
  }
  if((flags & MAP_TYPE) != MAP_PRIVATE)
    return -ENODEV;        // TODO(next increment): shared anonymous mappings
  if(flags & (MAP_GROWSDOWN | MAP_HUGETLB))
    return -EOPNOTSUPP;    // TODO(next increment): grows-down stacks, 2 MiB pages
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
  if(err == 0)
    err = check_supported(flags, fd);
  if(err)
    return err;
  // MAP_NORESERVE, MAP_STACK, MAP_DENYWRITE, MAP_EXECUTABLE, MAP_NONBLOCK, MAP_SYNC (private):
  // accepted, no effect here.
  return vma_mmap(myproc(), addr, PGROUNDUP(len), prot, flags);
}

// int munmap(void *addr, uint64 len): unmapping a hole is not an error.
uint64
sys_munmap(void)
{
  uint64 addr, len;
  argaddr(0, &addr);
  argaddr(1, &len);
  if(addr % PGSIZE || len == 0)
    return -EINVAL;
  uint64 end = PGROUNDUP(addr + len);
  if(end < addr || addr + len < addr || end > MAXVA)
    return -EINVAL;
  return vma_unmap(myproc(), addr, end);
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
  if(addr % PGSIZE || (prot & ~PROT_ALL))
    return -EINVAL;        // TODO(next increment): PROT_GROWSDOWN / PROT_GROWSUP
  if(len == 0)
    return 0;
  uint64 end = PGROUNDUP(addr + len);
  if(end < addr || addr + len < addr || end > MAXVA)
    return -ENOMEM;
  return vma_mprotect(myproc(), addr, end, prot);
}

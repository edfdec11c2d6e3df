// System call dispatch and argument fetching.
//
// A user program puts the call number in a7 and up to six arguments in a0..a5, then runs
// ecall; usertrap() calls syscall(), whose result goes back in a0: a value >= 0 on success,
// -errno on failure (the user library turns that into -1 and errno).

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "syscall.h"
#include "errno.h"
#include "defs.h"

// Read the 8-byte word at user address addr into *ip.  0, or -EFAULT.
int
fetchaddr(uint64 addr, uint64 *ip)
{
  return copyin(myproc()->mm->pagetable, (char *)ip, addr, sizeof(*ip));
}

// Copy the NUL-terminated string at user address addr into buf (at most max bytes with the
// NUL).  Returns its length, or -EFAULT / -ENAMETOOLONG.
int
fetchstr(uint64 addr, char *buf, int max)
{
  int err = copyinstr(myproc()->mm->pagetable, buf, addr, max);
  if(err < 0)
    return err;
  return strlen(buf);
}

// The raw value of argument n (0..5).
static uint64
argraw(int n)
{
  if(n < 0 || n > 5)
    panic("argraw: no such argument register");
  return myproc()->trapframe->x[10 + n];   // a0 is x10
}

void
argint(int n, int *ip)
{
  *ip = argraw(n);
}

// An address argument.  Not checked here: copyin/copyout check it when it is used.
void
argaddr(int n, uint64 *ip)
{
  *ip = argraw(n);
}

// A string argument, copied into buf.  Its length, or -EFAULT / -ENAMETOOLONG.
int
argstr(int n, char *buf, int max)
{
  uint64 addr;
  argaddr(n, &addr);
  return fetchstr(addr, buf, max);
}

// sysproc.c
extern uint64 sys_fork(void);
extern uint64 sys_exit(void);
extern uint64 sys_wait(void);
extern uint64 sys_kill(void);
extern uint64 sys_getpid(void);
extern uint64 sys_sbrk(void);
extern uint64 sys_sleep(void);
extern uint64 sys_uptime(void);
extern uint64 sys_poweroff(void);
// sysfile.c
extern uint64 sys_pipe(void);
extern uint64 sys_read(void);
extern uint64 sys_exec(void);
extern uint64 sys_fstat(void);
extern uint64 sys_chdir(void);
extern uint64 sys_dup(void);
extern uint64 sys_open(void);
extern uint64 sys_write(void);
extern uint64 sys_mknod(void);
extern uint64 sys_unlink(void);
extern uint64 sys_link(void);
extern uint64 sys_mkdir(void);
extern uint64 sys_close(void);
extern uint64 sys_ftruncate(void);
// sysmman.c
extern uint64 sys_mmap(void);
extern uint64 sys_munmap(void);
extern uint64 sys_mprotect(void);
extern uint64 sys_msync(void);
extern uint64 sys_fsync(void);
extern uint64 sys_sync(void);
extern uint64 sys_getrusage(void);
extern uint64 sys_vmstat(void);
extern uint64 sys_pagemap(void);
extern uint64 sys_madvise(void);
extern uint64 sys_mincore(void);
extern uint64 sys_mlock(void);
extern uint64 sys_munlock(void);
// proc.c threads (sysproc.c)
extern uint64 sys_clone(void);
extern uint64 sys_join(void);
extern uint64 sys_texit(void);
extern uint64 sys_gettid(void);

// Indexed by the numbers in syscall.h.
static uint64 (*const syscalls[])(void) = {
  [SYS_fork]     = sys_fork,
  [SYS_exit]     = sys_exit,
  [SYS_wait]     = sys_wait,
  [SYS_pipe]     = sys_pipe,
  [SYS_read]     = sys_read,
  [SYS_kill]     = sys_kill,
  [SYS_exec]     = sys_exec,
  [SYS_fstat]    = sys_fstat,
  [SYS_chdir]    = sys_chdir,
  [SYS_dup]      = sys_dup,
  [SYS_getpid]   = sys_getpid,
  [SYS_sbrk]     = sys_sbrk,
  [SYS_sleep]    = sys_sleep,
  [SYS_uptime]   = sys_uptime,
  [SYS_open]     = sys_open,
  [SYS_write]    = sys_write,
  [SYS_mknod]    = sys_mknod,
  [SYS_unlink]   = sys_unlink,
  [SYS_link]     = sys_link,
  [SYS_mkdir]    = sys_mkdir,
  [SYS_close]    = sys_close,
  [SYS_poweroff] = sys_poweroff,
  [SYS_mmap]     = sys_mmap,
  [SYS_munmap]   = sys_munmap,
  [SYS_mprotect] = sys_mprotect,
  [SYS_msync]    = sys_msync,
  [SYS_fsync]    = sys_fsync,
  [SYS_sync]     = sys_sync,
  [SYS_getrusage] = sys_getrusage,
  [SYS_vmstat]   = sys_vmstat,
  [SYS_pagemap]  = sys_pagemap,
  [SYS_madvise]  = sys_madvise,
  [SYS_mincore]  = sys_mincore,
  [SYS_mlock]    = sys_mlock,
  [SYS_munlock]  = sys_munlock,
  [SYS_ftruncate] = sys_ftruncate,
  [SYS_clone]    = sys_clone,
  [SYS_join]     = sys_join,
  [SYS_texit]    = sys_texit,
  [SYS_gettid]   = sys_gettid,
};

void
syscall(void)
{
  struct proc *p = myproc();
  struct trapframe *tf = p->trapframe;
  uint64 num = tf->a7;

  if(num < NELEM(syscalls) && syscalls[num] != 0)
    tf->a0 = syscalls[num]();
  else
    tf->a0 = -ENOSYS;
  fd_release_held(p);             // the files the call looked up by descriptor (fdtable.c)
}

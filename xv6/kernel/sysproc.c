// System calls about processes and time.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "errno.h"
#include "defs.h"

uint64
sys_exit(void)
{
  int status;
  argint(0, &status);
  exit(status);
}

// The process id, the same in all its threads (the leader's pid).
uint64
sys_getpid(void)
{
  return myproc()->leader->pid;
}

uint64
sys_fork(void)
{
  return fork();
}

uint64
sys_wait(void)
{
  uint64 status_addr;
  argaddr(0, &status_addr);
  return wait(status_addr);
}

// sbrk(n): grow (or shrink) the heap by n bytes; returns the old end of memory.
uint64
sys_sbrk(void)
{
  int n;
  argint(0, &n);
  uint64 old_end;
  int err = growproc(n, &old_end);
  if(err < 0)
    return err;
  return old_end;
}

// sleep(n): wait n clock ticks.
uint64
sys_sleep(void)
{
  int n;
  argint(0, &n);
  if(n < 0)
    n = 0;

  acquire(&tickslock);
  uint start = ticks;
  while(ticks - start < (uint)n){
    if(killed(myproc())){
      release(&tickslock);
      return -EINTR;
    }
    sleep(&ticks, &tickslock);
  }
  release(&tickslock);
  return 0;
}

uint64
sys_kill(void)
{
  int pid;
  argint(0, &pid);
  return kill(pid);
}

// Clock ticks since boot.
uint64
sys_uptime(void)
{
  acquire(&tickslock);
  uint now = ticks;
  release(&tickslock);
  return now;
}

// poweroff(code): stop the machine; the emulator exits with status code.
uint64
sys_poweroff(void)
{
  int code;
  argint(0, &code);
  poweroff(code);
}

// ---- threads (proc.c)

// clone(fn, arg, stack, ret): a new thread of this process running fn(arg) on stack, returning
// to ret; its tid.
uint64
sys_clone(void)
{
  uint64 fn, arg, stack, ret;
  argaddr(0, &fn);
  argaddr(1, &arg);
  argaddr(2, &stack);
  argaddr(3, &ret);
  return clone(fn, arg, stack, ret);
}

// join(tid, int *status): wait for a thread of this process to end.
uint64
sys_join(void)
{
  int tid;
  uint64 status_addr;
  argint(0, &tid);
  argaddr(1, &status_addr);
  return join(tid, status_addr);
}

// texit(status): end the calling thread (the last one ends the process).
uint64
sys_texit(void)
{
  int status;
  argint(0, &status);
  thread_exit(status);
}

uint64
sys_gettid(void)
{
  return myproc()->pid;
}

// Pipes: a fixed-size byte ring shared by a read end and a write end (two struct files).
// Readers sleep while it is empty, writers while it is full.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "proc.h"
#include "fs.h"
#include "file.h"
#include "errno.h"
#include "defs.h"

#define PIPESIZE 512

// One page per pipe.  The counters only grow: the ring holds nwrite - nread bytes, byte i
// at data[i % PIPESIZE].  Everything is guarded by lock.
struct pipe {
  struct spinlock lock;
  uint nread;        // bytes read so far
  uint nwrite;       // bytes written so far
  int readopen;      // the read end is still open
  int writeopen;     // the write end is still open
  char data[PIPESIZE];
};

_Static_assert(sizeof(struct pipe) <= PGSIZE, "struct pipe must fit in a page");

// Create a pipe: *rf is its read end, *wf its write end.  0, or -ENFILE / -ENOMEM.
int
pipealloc(struct file **rf, struct file **wf)
{
  struct pipe *pi = 0;
  int err = -ENFILE;

  *rf = filealloc();
  *wf = *rf ? filealloc() : 0;
  if(*wf != 0){
    pi = kalloc();
    err = -ENOMEM;
  }
  if(pi == 0){
    if(*rf)
      fileclose(*rf);
    if(*wf)
      fileclose(*wf);
    *rf = *wf = 0;
    return err;
  }

  initlock(&pi->lock, "pipe");
  pi->nread = pi->nwrite = 0;
  pi->readopen = pi->writeopen = 1;

  (*rf)->type = FD_PIPE;
  (*rf)->readable = 1;
  (*rf)->writable = 0;
  (*rf)->pipe = pi;
  (*wf)->type = FD_PIPE;
  (*wf)->readable = 0;
  (*wf)->writable = 1;
  (*wf)->pipe = pi;
  return 0;
}

// One end is closed; the pipe goes away with its last end.
void
pipeclose(struct pipe *pi, int writable)
{
  acquire(&pi->lock);
  if(writable){
    pi->writeopen = 0;
    wakeup(&pi->nread);    // readers see end of file
  } else {
    pi->readopen = 0;
    wakeup(&pi->nwrite);   // writers see a broken pipe
  }
  int gone = !pi->readopen && !pi->writeopen;
  release(&pi->lock);
  if(gone)
    kfree(pi);
}

// Bytes that can be copied in one piece: at most want, within the ring's contiguous part.
static uint
contiguous(uint index, uint avail, uint want)
{
  uint n = PIPESIZE - index % PIPESIZE;
  if(n > avail)
    n = avail;
  if(n > want)
    n = want;
  return n;
}

#define COPY_RETRIES 4

// A copy under pi->lock failed: fault [addr, addr+n) in with the lock let go (faults on file
// mappings may sleep), then take it again.  1 if the range is good now.
static int
refault(struct pipe *pi, uint64 addr, uint n, int write)
{
  release(&pi->lock);
  int ok = uvmcheck(myproc()->mm->pagetable, addr, n, write) == 0;
  acquire(&pi->lock);
  return ok;
}

// Write n bytes from user address addr.  Returns n, or fewer if the reader went away or a
// user address was bad part way; -EPIPE, -EINTR or -EFAULT if nothing was written.
int
pipewrite(struct pipe *pi, uint64 addr, int n)
{
  struct proc *p = myproc();
  int done = 0, err = 0, tries = 0;

  if(uvmcheck(p->mm->pagetable, addr, n, 0) != 0)
    return -EFAULT;                  // refused before waiting for room

  acquire(&pi->lock);
  while(done < n){
    if(!pi->readopen){
      err = -EPIPE;
      break;
    }
    if(killed(p)){
      err = -EINTR;
      break;
    }
    uint space = PIPESIZE - (pi->nwrite - pi->nread);
    if(space == 0){
      wakeup(&pi->nread);
      sleep(&pi->nwrite, &pi->lock);
      continue;
    }
    uint chunk = contiguous(pi->nwrite, space, n - done);
    if(copyin(p->mm->pagetable, &pi->data[pi->nwrite % PIPESIZE], addr + done, chunk) != 0){
      // Under the lock a fault may not sleep: a page of a file mapping that went away since
      // uvmcheck (reclaimed) fails the copy.  Fault it in without the lock and try again.
      if(++tries > COPY_RETRIES || !refault(pi, addr + done, chunk, 0)){
        err = -EFAULT;
        break;
      }
      continue;
    }
    pi->nwrite += chunk;
    done += chunk;
  }
  wakeup(&pi->nread);
  release(&pi->lock);
  return done > 0 ? done : err;
}

// Read up to n bytes into user address addr, waiting until there is at least one byte or
// the write end is closed (then 0: end of file).  -EINTR or -EFAULT on failure.
int
piperead(struct pipe *pi, uint64 addr, int n)
{
  struct proc *p = myproc();
  int done = 0, tries = 0;

  if(uvmcheck(p->mm->pagetable, addr, n, 1) != 0)
    return -EFAULT;                  // refused before waiting for data

  acquire(&pi->lock);
  while(pi->nread == pi->nwrite && pi->writeopen){
    if(killed(p)){
      release(&pi->lock);
      return -EINTR;
    }
    sleep(&pi->nread, &pi->lock);
  }
  while(done < n && pi->nread != pi->nwrite){
    uint chunk = contiguous(pi->nread, pi->nwrite - pi->nread, n - done);
    if(copyout(p->mm->pagetable, addr + done, &pi->data[pi->nread % PIPESIZE], chunk) != 0){
      if(++tries <= COPY_RETRIES && refault(pi, addr + done, chunk, 1))
        continue;                    // as in pipewrite
      if(done == 0)
        done = -EFAULT;
      break;
    }
    pi->nread += chunk;
    done += chunk;
  }
  wakeup(&pi->nwrite);
  release(&pi->lock);
  return done;
}

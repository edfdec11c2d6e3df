// File descriptor tables (file.h): which open file each descriptor of a process names.  The
// threads of a process share one table, so a descriptor one opens or closes is opened or
// closed for all; fork copies it.  A system call that uses a descriptor holds a reference to
// its file until it returns (fd_file), so another thread closing the descriptor meanwhile
// cannot free the file under it.
//
// Locking: t->lock guards t->fd[] and t->ref; never held across anything that sleeps
// (fileclose may write the inode), so files are closed after it is released.

#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "riscv.h"
#include "proc.h"
#include "errno.h"
#include "defs.h"

static struct fdtable fdtables[NPROC];   // every table has a process, so NPROC is enough

void
fdtinit(void)
{
  for(int i = 0; i < NPROC; i++)
    initlock(&fdtables[i].lock, "fdtable");
}

// An empty table with one reference.
struct fdtable *
fdt_alloc(void)
{
  for(struct fdtable *t = fdtables; t < &fdtables[NPROC]; t++){
    acquire(&t->lock);
    int free = t->ref == 0;
    if(free)
      t->ref = 1;
    release(&t->lock);
    if(free)
      return t;
  }
  panic("fdt_alloc: table full");   // more than NPROC processes
}

// A new table naming the same files as from (fork).
struct fdtable *
fdt_copy(struct fdtable *from)
{
  struct fdtable *t = fdt_alloc();
  acquire(&from->lock);
  for(int fd = 0; fd < NOFILE; fd++)
    if(from->fd[fd])
      t->fd[fd] = filedup(from->fd[fd]);
  release(&from->lock);
  return t;
}

// Another thread uses t (clone).
void
fdt_get(struct fdtable *t)
{
  acquire(&t->lock);
  t->ref++;
  release(&t->lock);
}

// A thread is done with t; the last one closes every file.
void
fdt_put(struct fdtable *t)
{
  struct file *close[NOFILE];
  acquire(&t->lock);
  int last = --t->ref == 0;
  for(int fd = 0; fd < NOFILE; fd++){
    close[fd] = last ? t->fd[fd] : 0;
    if(last)
      t->fd[fd] = 0;
  }
  release(&t->lock);               // with ref 0 and fd[] empty, t is free for fdt_alloc
  for(int fd = 0; fd < NOFILE; fd++)
    if(close[fd])
      fileclose(close[fd]);
}

// The file descriptor fd of the calling thread names, held until the current system call
// returns (fd_release_held), or 0 if fd is not open.
struct file *
fd_file(int fd)
{
  struct proc *p = myproc();
  struct fdtable *t = p->fdt;
  if(fd < 0 || fd >= NOFILE)
    return 0;
  acquire(&t->lock);
  struct file *f = t->fd[fd];
  if(f)
    filedup(f);
  release(&t->lock);
  if(f == 0)
    return 0;
  for(int i = 0; i < NELEM(p->held); i++){
    if(p->held[i] == 0){
      p->held[i] = f;
      return f;
    }
  }
  panic("fd_file: too many descriptors in one call");
}

// The system call is over: drop the files fd_file() held for it.
void
fd_release_held(struct proc *p)
{
  for(int i = 0; i < NELEM(p->held); i++){
    if(p->held[i]){
      struct file *f = p->held[i];
      p->held[i] = 0;
      fileclose(f);
    }
  }
}

// Give f (whose reference the table takes over) the lowest free descriptor.  The descriptor,
// or -EMFILE.
int
fd_install(struct file *f)
{
  struct fdtable *t = myproc()->fdt;
  acquire(&t->lock);
  for(int fd = 0; fd < NOFILE; fd++){
    if(t->fd[fd] == 0){
      t->fd[fd] = f;
      release(&t->lock);
      return fd;
    }
  }
  release(&t->lock);
  return -EMFILE;
}

// Take fd out of the table; its file (whose reference the caller now owns), or 0 if fd was
// not open.
struct file *
fd_take(int fd)
{
  struct fdtable *t = myproc()->fdt;
  if(fd < 0 || fd >= NOFILE)
    return 0;
  acquire(&t->lock);
  struct file *f = t->fd[fd];
  t->fd[fd] = 0;
  release(&t->lock);
  return f;
}

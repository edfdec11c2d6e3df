// Open files: the system-wide table of struct file, shared by file descriptors (dup, fork),
// and reading/writing through whatever a file is -- a pipe, an inode, or a device found in
// devsw[] by its major number.
//
// Errors are -errno (errno.h).

#include "types.h"
#include "param.h"
#include "stat.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "errno.h"
#include "riscv.h"
#include "proc.h"
#include "page.h"
#include "defs.h"

// Device drivers fill in their entry at boot (console.c: devsw[CONSOLE]).
struct devsw devsw[NDEV];

static struct {
  struct spinlock lock;     // ref of every entry
  struct file file[NFILE];
} ftable;

void
fileinit(void)
{
  initlock(&ftable.lock, "ftable");
}

// An unused file structure with one reference, or 0 if the table is full.
struct file*
filealloc(void)
{
  acquire(&ftable.lock);
  for(struct file *f = ftable.file; f < ftable.file + NFILE; f++){
    if(f->ref == 0){
      f->ref = 1;
      release(&ftable.lock);
      return f;
    }
  }
  release(&ftable.lock);
  return 0;
}

struct file*
filedup(struct file *f)
{
  acquire(&ftable.lock);
  if(f->ref < 1)
    panic("filedup: file not open");
  f->ref++;
  release(&ftable.lock);
  return f;
}

// Drop a reference; the last one releases what the file refers to.
void
fileclose(struct file *f)
{
  acquire(&ftable.lock);
  if(f->ref < 1)
    panic("fileclose: file not open");
  if(--f->ref > 0){
    release(&ftable.lock);
    return;
  }
  struct file old = *f;     // the slot is free as soon as we let go of the lock
  f->type = FD_NONE;
  f->readable = f->writable = 0;
  f->pipe = 0;
  f->ip = 0;
  release(&ftable.lock);

  if(old.type == FD_PIPE){
    pipeclose(old.pipe, old.writable);
  } else if(old.type == FD_SHM){
    pc_drop(SHMDEV, old.shmid, 0, old.shmpages);
  } else if(old.type == FD_INODE || old.type == FD_DEVICE){
    if(old.type == FD_INODE && old.writable && old.ip->type == T_FILE)
      put_write_access(old.ip);
    begin_op();             // the inode may have no links left: iput frees it
    iput(old.ip);
    end_op();
  }
}

// A new shared anonymous memory object of npages pages (MAP_SHARED|MAP_ANONYMOUS), with one
// reference, or 0 if the file table is full.
struct file*
shmalloc(uint npages)
{
  static uint nextid;       // under ftable.lock
  struct file *f = filealloc();
  if(f == 0)
    return 0;
  acquire(&ftable.lock);
  f->shmid = ++nextid;
  release(&ftable.lock);
  f->type = FD_SHM;
  f->shmpages = npages;
  return f;
}

// A read-only open file of ip for exec's mappings of a program, taking over the caller's
// reference to ip: one reference, or 0 if the file table is full (the caller keeps ip then).
struct file*
fileopen_image(struct inode *ip)
{
  struct file *f = filealloc();
  if(f == 0)
    return 0;
  f->type = FD_INODE;
  f->ip = ip;
  f->off = 0;
  f->readable = 1;
  f->writable = 0;
  return f;
}

// Copy the file's metadata to the struct stat at user address addr.
int
filestat(struct file *f, uint64 addr)
{
  struct stat st;

  if(f->type != FD_INODE && f->type != FD_DEVICE)
    return -EINVAL;         // pipes have no inode to describe
  ilock(f->ip);
  stati(f->ip, &st);
  iunlock(f->ip);
  if(copyout(myproc()->mm->pagetable, addr, (char *)&st, sizeof(st)) < 0)
    return -EFAULT;
  return 0;
}

// The device switch entry for major number major, or 0 if there is none.
static struct devsw*
device(short major)
{
  if(major < 0 || major >= NDEV)
    return 0;
  return &devsw[major];
}

// How many bytes a read of n at f's offset can return, going by the size read without the
// lock.
static uint
prefault_len(struct file *f, int n)
{
  uint size = f->ip->size;
  if(n <= 0 || f->off >= size)
    return 0;
  return (uint)n < size - f->off ? (uint)n : size - f->off;
}

// How many times a read or write retries after a page of its buffer went away (reclaimed)
// while it held the inode lock.
#define RETRIES 4

// Read from an inode.  The copy to user memory runs under the inode lock, where a fault must
// not sleep (a fault on a mapping of this very file would need the lock; reclaim would need
// others): so the part of the buffer the read will fill is faulted in first (the size is read
// unlocked: it only bounds the work), the copy runs with p->nofault, and if a page went away
// meanwhile the read is tried again.
static int
inode_read(struct file *f, uint64 addr, int n)
{
  struct proc *p = myproc();
  for(int tries = 0;; tries++){
    if(uvmcheck(p->mm->pagetable, addr, prefault_len(f, n), 1) != 0)
      return -EFAULT;
    ilock(f->ip);
    p->nofault = 1;
    int r = readi(f->ip, 1, addr, f->off, n);
    p->nofault = 0;
    if(r > 0)
      f->off += r;
    iunlock(f->ip);
    if(r != -EFAULT || tries == RETRIES)
      return r;
  }
}

// Read up to n bytes into user memory at addr.  Returns the bytes read (0 at end of file).
int
fileread(struct file *f, uint64 addr, int n)
{
  struct devsw *d;

  if(!f->readable)
    return -EBADF;

  switch(f->type){
  case FD_PIPE:
    return piperead(f->pipe, addr, n);
  case FD_DEVICE:
    if((d = device(f->major)) == 0 || d->read == 0)
      return -EINVAL;
    return d->read(1, addr, n);
  case FD_INODE:
    return inode_read(f, addr, n);
  default:
    panic("fileread: bad file type");
  }
}

// Largest write to an inode done as one transaction, chosen so it can never write more than
// MAXOPBLOCKS distinct blocks: count two per data block (the block and a bitmap block for
// allocating it), plus the inode, the indirect block and two for a write that starts and
// ends part way into a block.
#define MAXWRITE (((MAXOPBLOCKS - 1 - 1 - 2) / 2) * BSIZE)
_Static_assert(MAXWRITE <= PGSIZE, "fileresize writes zeros from one page");

// Write n bytes from user memory at addr.  Returns the bytes written; fewer than n only if the
// disk filled up, the file reached its maximum size or addr went bad part way; an error if
// nothing was written.
int
filewrite(struct file *f, uint64 addr, int n)
{
  struct devsw *d;

  if(!f->writable)
    return -EBADF;

  switch(f->type){
  case FD_PIPE:
    return pipewrite(f->pipe, addr, n);
  case FD_DEVICE:
    if((d = device(f->major)) == 0 || d->write == 0)
      return -EINVAL;
    return d->write(1, addr, n);
  case FD_INODE:
    if(write_denied(f->ip))
      return -ETXTBSY;      // cannot happen through open(), but say so if it does
    break;
  default:
    panic("filewrite: bad file type");
  }

  // A big write is several transactions, so a crash may leave a prefix of it on disk -- but
  // never a broken file system.  As in inode_read, each chunk of the buffer is faulted in
  // before the transaction and the inode lock, copied with p->nofault, and tried again if a
  // page of it went away meanwhile.
  struct proc *p = myproc();
  int done = 0, tries = 0;
  while(done < n){
    int chunk = n - done < MAXWRITE ? n - done : MAXWRITE;
    if(uvmcheck(p->mm->pagetable, addr + done, chunk, 0) != 0)
      return done > 0 ? done : -EFAULT;
    begin_op();
    ilock(f->ip);
    p->nofault = 1;
    int r = writei(f->ip, 1, addr + done, f->off, chunk);
    p->nofault = 0;
    if(r > 0)
      f->off += r;
    iunlock(f->ip);
    end_op();
    if(r > 0)
      done += r;
    if(r == chunk){
      tries = 0;
      continue;
    }
    // Short or failed: the disk or the file is full, or a page went away under the lock.
    if((r == -EFAULT || r > 0) && ++tries <= RETRIES)
      continue;
    return done > 0 ? done : (r < 0 ? r : -ENOSPC);
  }
  return done;
}

// ftruncate: make f's file exactly length bytes.  Shrinking frees the blocks past the end and
// unmaps the pages past it from every process; growing appends zeros (files here have no
// holes), in transactions of at most MAXWRITE bytes like write().  0, or -errno.
int
fileresize(struct file *f, uint64 length)
{
  if(f->type != FD_INODE || f->ip->type != T_FILE || !f->writable)
    return -EINVAL;
  if(length > MAXFILE * BSIZE)
    return -EFBIG;
  struct inode *ip = f->ip;
  begin_op();
  ilock(ip);
  int shrunk = length < ip->size;
  if(shrunk)
    itruncate(ip, length);
  iunlock(ip);
  end_op();
  if(shrunk){
    mmap_truncate(ip, length);
    return 0;
  }
  char *zeros = kalloc();
  if(zeros == 0)
    return -ENOMEM;
  memset(zeros, 0, PGSIZE);
  int err = 0;
  for(;;){
    begin_op();
    ilock(ip);
    uint size = ip->size;
    uint n = length - size < MAXWRITE ? length - size : MAXWRITE;
    int r = n ? writei(ip, 0, (uint64)zeros, size, n) : 0;
    iunlock(ip);
    end_op();
    if(n == 0)
      break;
    if(r < 0 || (uint)r < n){
      err = r < 0 ? r : -ENOSPC;
      break;
    }
  }
  kfree(zeros);
  return err;
}

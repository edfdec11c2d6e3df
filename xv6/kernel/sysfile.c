// File-system system calls.  Each one checks its arguments, and each one that touches the disk
// is one transaction (begin_op ... end_op).  Every failure is -errno with Linux's number, and no
// argument a user passes can make the kernel panic.
//
// On a read-only file system (fs_readonly(): the disk offered VIRTIO_BLK_F_RO) every call that
// would change it fails with EROFS, as on Linux: open of a regular file for writing or with
// O_TRUNC, a new name from open(O_CREATE), mkdir or mknod (an existing name still gets EEXIST
// or is opened), link and unlink.  Devices stay writable; ftruncate and writable MAP_SHARED
// mappings need a file open for writing, which cannot exist (EINVAL, EACCES).

#include "types.h"
#include "param.h"
#include "stat.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "fcntl.h"
#include "errno.h"
#include "riscv.h"
#include "proc.h"
#include "defs.h"

#define NLINK_MAX 32767            // struct dinode's nlink is a short

// System call argument n as a file descriptor: 0 and the descriptor and file (either pointer
// may be 0), or -EBADF.
static int
argfd(int n, int *pfd, struct file **pf)
{
  int fd;
  struct file *f;

  argint(n, &fd);
  if((f = fd_file(fd)) == 0)      // held until the system call returns
    return -EBADF;
  if(pfd)
    *pfd = fd;
  if(pf)
    *pf = f;
  return 0;
}

uint64
sys_dup(void)
{
  struct file *f;
  int r, fd;

  if((r = argfd(0, 0, &f)) < 0)
    return r;
  if((fd = fd_install(f)) < 0)
    return fd;
  filedup(f);
  return fd;
}

// The (fd, buffer, count) arguments of read and write: 0, or -EBADF / -EINVAL.
static int
rwargs(struct file **f, uint64 *addr, int *n)
{
  int r;

  if((r = argfd(0, 0, f)) < 0)
    return r;
  argaddr(1, addr);
  argint(2, n);
  return *n < 0 ? -EINVAL : 0;
}

uint64
sys_read(void)
{
  struct file *f;
  uint64 addr;
  int n, r;

  if((r = rwargs(&f, &addr, &n)) < 0)
    return r;
  return fileread(f, addr, n);
}

uint64
sys_write(void)
{
  struct file *f;
  uint64 addr;
  int n, r;

  if((r = rwargs(&f, &addr, &n)) < 0)
    return r;
  return filewrite(f, addr, n);
}

uint64
sys_close(void)
{
  struct file *f;
  int fd;

  argint(0, &fd);
  if((f = fd_take(fd)) == 0)
    return -EBADF;
  fileclose(f);
  return 0;
}

uint64
sys_fstat(void)
{
  struct file *f;
  uint64 st;
  int r;

  if((r = argfd(0, 0, &f)) < 0)
    return r;
  argaddr(1, &st);
  return filestat(f, st);
}

// Is directory dp empty apart from "." and ".." (always its first two entries)?  Caller holds
// dp->lock.
static int
isdirempty(struct inode *dp)
{
  struct dirent de;

  for(uint off = 2 * sizeof(de); off < dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      panic("isdirempty: short directory read");
    if(de.inum != 0)
      return 0;
  }
  return 1;
}

// link(old, new): another name for the non-directory old.
uint64
sys_link(void)
{
  char old[MAXPATH], new[MAXPATH], name[DIRSIZ];
  struct inode *ip, *dp;
  int r;

  if((r = argstr(0, old, MAXPATH)) < 0 || (r = argstr(1, new, MAXPATH)) < 0)
    return r;

  begin_op();
  if((r = namei_err(old, &ip)) < 0){
    end_op();
    return r;
  }
  if(fs_readonly()){
    iput(ip);
    end_op();
    return -EROFS;
  }
  ilock(ip);
  if(ip->type == T_DIR || ip->nlink >= NLINK_MAX){
    r = ip->type == T_DIR ? -EPERM : -EMLINK;
    iunlockput(ip);
    end_op();
    return r;
  }
  // Count the new link first: a crash or failure in between leaves nlink too high, which
  // only wastes an inode, never a link count too low, which would free a file still named.
  ip->nlink++;
  iupdate(ip);
  iunlock(ip);

  if((r = nameiparent_err(new, name, &dp)) < 0)
    goto undo;
  ilock(dp);
  if(dp->dev != ip->dev)
    r = -EXDEV;
  else if(dp->nlink == 0)
    r = -ENOENT;                   // the directory itself has been removed
  else
    r = dirlink(dp, name, ip->inum);
  iunlockput(dp);
  if(r < 0)
    goto undo;

  iput(ip);
  end_op();
  return 0;

undo:
  ilock(ip);
  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);
  end_op();
  return r;
}

// unlink(path): remove a name; a directory must be empty.  The inode goes when its last link
// and last open reference are gone.
uint64
sys_unlink(void)
{
  char path[MAXPATH], name[DIRSIZ];
  struct inode *ip, *dp;
  struct dirent de;
  uint off;
  int r;

  if((r = argstr(0, path, MAXPATH)) < 0)
    return r;

  begin_op();
  if((r = nameiparent_err(path, name, &dp)) < 0){
    end_op();
    return r == -EEXIST ? -EBUSY : r;      // "/" cannot be removed
  }
  if(fs_readonly()){
    iput(dp);
    end_op();
    return -EROFS;
  }
  ilock(dp);

  if(namecmp(name, ".") == 0 || namecmp(name, "..") == 0){
    r = -EINVAL;
    goto out_dp;
  }
  if((r = dirlookup_err(dp, name, &off, &ip)) < 0)
    goto out_dp;
  ilock(ip);
  if(ip->nlink < 1)
    panic("unlink: inode with no links has a name (corrupt file system?)");
  if(ip->type == T_DIR && !isdirempty(ip)){
    iunlockput(ip);
    r = -ENOTEMPTY;
    goto out_dp;
  }

  memset(&de, 0, sizeof(de));
  if(writei(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
    panic("unlink: clearing the directory entry failed");
  if(ip->type == T_DIR){
    dp->nlink--;                   // the child's ".." no longer names dp
    iupdate(dp);
  }
  iunlockput(dp);

  ip->nlink--;
  iupdate(ip);
  iunlockput(ip);                  // frees the inode if that was the last reference
  end_op();
  return 0;

out_dp:
  iunlockput(dp);
  end_op();
  return r;
}

// Make a new inode named path, or (for type T_FILE) find the file or device already named
// path.  0 with the inode locked and referenced in *ipp, or -errno.  Inside a transaction.
static int
create(char *path, short type, short major, short minor, struct inode **ipp)
{
  char name[DIRSIZ];
  struct inode *ip, *dp;
  int r;

  if((r = nameiparent_err(path, name, &dp)) < 0)
    return r;
  ilock(dp);

  if(dp->nlink == 0){
    iunlockput(dp);
    return -ENOENT;                // no creating inside a removed directory
  }

  r = dirlookup_err(dp, name, 0, &ip);
  if(r == 0){
    // The name exists.  open(O_CREATE) of a file or device just opens it.
    iunlockput(dp);
    ilock(ip);
    if(type == T_FILE && (ip->type == T_FILE || ip->type == T_DEVICE)){
      *ipp = ip;
      return 0;
    }
    r = (type == T_FILE && ip->type == T_DIR) ? -EISDIR : -EEXIST;
    iunlockput(ip);
    return r;
  }
  if(r != -ENOENT){
    iunlockput(dp);
    return r;
  }
  if(fs_readonly()){
    iunlockput(dp);
    return -EROFS;                 // as Linux: an existing name gets EEXIST, a new one EROFS
  }
  if(type == T_DIR && dp->nlink >= NLINK_MAX){
    iunlockput(dp);
    return -EMLINK;                // the new ".." would overflow dp's link count
  }

  if((r = ialloc_err(dp->dev, type, &ip)) < 0){
    iunlockput(dp);
    return r;
  }
  ilock(ip);
  ip->major = major;
  ip->minor = minor;
  ip->nlink = 1;
  iupdate(ip);

  if(type == T_DIR){
    // "." is not counted in ip->nlink (it would keep a directory alive forever); ".." is
    // counted in dp's, below.
    if((r = dirlink(ip, ".", ip->inum)) < 0 || (r = dirlink(ip, "..", dp->inum)) < 0)
      goto fail;
  }
  if((r = dirlink(dp, name, ip->inum)) < 0)
    goto fail;
  if(type == T_DIR){
    dp->nlink++;
    iupdate(dp);
  }
  iunlockput(dp);
  *ipp = ip;
  return 0;

fail:
  // Nothing names ip: with no links, iput frees it and whatever blocks it got.
  ip->nlink = 0;
  iupdate(ip);
  iunlockput(ip);
  iunlockput(dp);
  return r;
}

uint64
sys_open(void)
{
  char path[MAXPATH];
  int omode, r, fd;
  struct file *f;
  struct inode *ip;

  argint(1, &omode);
  if((r = argstr(0, path, MAXPATH)) < 0)
    return r;
  int acc = omode & 3;
  if(acc != O_RDONLY && acc != O_WRONLY && acc != O_RDWR)
    return -EINVAL;

  begin_op();
  if(omode & O_CREATE){
    if((r = create(path, T_FILE, 0, 0, &ip)) < 0){
      end_op();
      return r == -EEXIST ? -EISDIR : r;   // only "/" gets here: a directory
    }
  } else {
    if((r = namei_err(path, &ip)) < 0){
      end_op();
      return r;
    }
    ilock(ip);
  }

  if(ip->type == T_DIR && acc != O_RDONLY){
    r = -EISDIR;
    goto fail;
  }
  if(ip->type == T_DEVICE &&
     (ip->major < 0 || ip->major >= NDEV ||
      (devsw[ip->major].read == 0 && devsw[ip->major].write == 0))){
    r = -ENXIO;                    // no driver for this device number
    goto fail;
  }

  if(ip->type == T_FILE && (acc != O_RDONLY || (omode & O_TRUNC)) && fs_readonly()){
    r = -EROFS;                    // devices stay writable, as on Linux
    goto fail;
  }

  int writer = acc != O_RDONLY && ip->type == T_FILE;
  if(writer && (r = get_write_access(ip)) < 0)
    goto fail;                     // mapped with MAP_DENYWRITE: ETXTBSY
  if((f = filealloc()) == 0){
    r = -ENFILE;
    goto fail_writer;
  }
  if((fd = fd_install(f)) < 0){
    fileclose(f);                  // still FD_NONE: just frees the slot
    r = fd;
    goto fail_writer;
  }

  if(ip->type == T_DEVICE){
    f->type = FD_DEVICE;
    f->major = ip->major;
  } else {
    f->type = FD_INODE;
    f->off = 0;
  }
  f->ip = ip;
  f->readable = acc != O_WRONLY;
  f->writable = acc != O_RDONLY;

  int truncated = (omode & O_TRUNC) && ip->type == T_FILE && ip->size > 0;
  if(truncated)
    itrunc(ip);

  iunlock(ip);
  end_op();
  if(truncated)
    mmap_truncate(ip, 0);          // mappings lose the pages too (f holds ip)
  return fd;

fail_writer:
  if(writer)
    put_write_access(ip);
fail:
  iunlockput(ip);
  end_op();
  return r;
}

uint64
sys_mkdir(void)
{
  char path[MAXPATH];
  struct inode *ip;
  int r;

  if((r = argstr(0, path, MAXPATH)) < 0)
    return r;
  begin_op();
  if((r = create(path, T_DIR, 0, 0, &ip)) < 0){
    end_op();
    return r;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

uint64
sys_mknod(void)
{
  char path[MAXPATH];
  struct inode *ip;
  int major, minor, r;

  if((r = argstr(0, path, MAXPATH)) < 0)
    return r;
  argint(1, &major);
  argint(2, &minor);
  if(major < 0 || major > MAXMAJOR || minor < 0 || minor > MAXMINOR)
    return -EINVAL;                // what the on-disk inode can hold (fs.h)
  begin_op();
  if((r = create(path, T_DEVICE, major, minor, &ip)) < 0){
    end_op();
    return r;
  }
  iunlockput(ip);
  end_op();
  return 0;
}

uint64
sys_chdir(void)
{
  char path[MAXPATH];
  struct inode *ip;
  struct proc *p = myproc();
  int r;

  if((r = argstr(0, path, MAXPATH)) < 0)
    return r;
  begin_op();
  if((r = namei_err(path, &ip)) < 0){
    end_op();
    return r;
  }
  ilock(ip);
  if(ip->type != T_DIR){
    iunlockput(ip);
    end_op();
    return -ENOTDIR;
  }
  iunlock(ip);
  iput(p->cwd);
  end_op();
  p->cwd = ip;
  return 0;
}

// exec(path, argv): argv is a user array of string pointers ending with 0.  Each string is
// copied into a kernel page of its own for exec().
uint64
sys_exec(void)
{
  char path[MAXPATH];
  char *argv[MAXARG];
  uint64 uargv, uarg;
  int r, i;

  if((r = argstr(0, path, MAXPATH)) < 0)
    return r;
  argaddr(1, &uargv);

  memset(argv, 0, sizeof(argv));
  for(i = 0; ; i++){
    if(i >= MAXARG){
      r = -E2BIG;                  // no room for the terminating 0
      goto out;
    }
    if(fetchaddr(uargv + sizeof(uint64) * i, &uarg) < 0){
      r = -EFAULT;
      goto out;
    }
    if(uarg == 0)
      break;
    if((argv[i] = kalloc()) == 0){
      r = -ENOMEM;
      goto out;
    }
    if((r = fetchstr(uarg, argv[i], PGSIZE)) < 0){
      if(r == -ENAMETOOLONG)
        r = -E2BIG;                // one argument longer than a page
      goto out;
    }
  }
  r = exec(path, argv);

out:
  for(i = 0; i < MAXARG && argv[i] != 0; i++)
    kfree(argv[i]);
  return r;
}

// pipe(fds): fds[0] the read end, fds[1] the write end.
uint64
sys_pipe(void)
{
  uint64 fdarray;
  struct file *rf, *wf;
  int fd0, fd1, r;
  struct proc *p = myproc();

  argaddr(0, &fdarray);
  if((r = pipealloc(&rf, &wf)) < 0)
    return r;
  if((fd0 = fd_install(rf)) < 0){
    r = fd0;
    goto fail;
  }
  if((fd1 = fd_install(wf)) < 0){
    fd_take(fd0);
    r = fd1;
    goto fail;
  }
  if(copyout(p->mm->pagetable, fdarray, (char *)&fd0, sizeof(fd0)) < 0 ||
     copyout(p->mm->pagetable, fdarray + sizeof(fd0), (char *)&fd1, sizeof(fd1)) < 0){
    fd_take(fd0);
    fd_take(fd1);
    r = -EFAULT;
    goto fail;
  }
  return 0;

fail:
  fileclose(rf);
  fileclose(wf);
  return r;
}

// int ftruncate(int fd, long length)
uint64
sys_ftruncate(void)
{
  int fd;
  uint64 length;
  struct file *f;
  argint(0, &fd);
  argaddr(1, &length);
  if((f = fd_file(fd)) == 0)
    return -EBADF;
  if((int64)length < 0)
    return -EINVAL;
  return fileresize(f, length);
}

// Open files, in-memory inodes and the device switch.
#ifndef XV6_FILE_H
#define XV6_FILE_H

// An open file, or (FD_SHM) a shared anonymous memory object, which only mmap regions refer
// to: its pages live in the page cache under (SHMDEV, shmid, index) and go with its last
// reference.
struct file {
  enum { FD_NONE, FD_PIPE, FD_INODE, FD_DEVICE, FD_SHM } type;
  int ref;               // references (dup, fork)                  (ftable.lock)
  char readable;
  char writable;
  struct pipe *pipe;     // FD_PIPE
  struct inode *ip;      // FD_INODE and FD_DEVICE
  uint off;              // FD_INODE: file offset                   (ip->lock)
  short major;           // FD_DEVICE
  uint shmid;            // FD_SHM: object id
  uint shmpages;         // FD_SHM: size in pages
};

// A process's file descriptors, shared by its threads (clone); fork gives the child a copy.
// fdtable.c.
struct fdtable {
  struct spinlock lock;  // guards fd[] and ref
  int ref;               // threads using it
  struct file *fd[NOFILE];
};

#define major(dev)  ((dev) >> 16 & 0xFFFF)
#define minor(dev)  ((dev) & 0xFFFF)
#define mkdev(m,n)  ((uint)((m)<<16| (n)))

// An inode in memory.  The fields above `lock` are guarded by itable.lock, the copy of the disk
// inode below it by the inode's sleeplock.
struct inode {
  uint dev;
  uint inum;
  int ref;               // in-memory references
  int writers;           // open files that may write it (get_write_access)
  int denywrite;         // MAP_DENYWRITE mappings of it (deny_write_access)
  struct sleeplock lock;
  int valid;             // the fields below have been read from disk

  short type;            // copy of struct dinode
  short major;
  short minor;
  short nlink;
  uint size;
  uint addrs[NDIRECT+1];

  uint ra_next;          // readahead (pcache.c, under lock): the page a sequential reader
  uint ra_pages;         //   misses next, and the last window read (0: none yet)
};

// Device switch: read/write entry points per major device number.
struct devsw {
  int (*read)(int user_dst, uint64 dst, int n);
  int (*write)(int user_src, uint64 src, int n);
};

extern struct devsw devsw[];

#define CONSOLE 1

#endif

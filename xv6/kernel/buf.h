// A cached disk block.  Lock order: bcache.lock, then buf.lock (a sleeplock).
#ifndef XV6_BUF_H
#define XV6_BUF_H

struct buf {
  int valid;             // data holds the disk's contents        (buf.lock)
  int disk;              // the disk driver owns the buffer        (virtio disk lock)
  uint dev;              //                                        (bcache.lock)
  uint blockno;          //                                        (bcache.lock)
  struct sleeplock lock;
  uint refcnt;           // users holding it (0 = may be recycled)  (bcache.lock)
  struct buf *prev;      // LRU list, most recent first             (bcache.lock)
  struct buf *next;
  uchar data[BSIZE];     //                                        (buf.lock)
};

#endif

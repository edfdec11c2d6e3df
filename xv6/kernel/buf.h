// A cached disk block.  Lock order: bcache.lock, then buf.lock (a sleeplock).
#ifndef XV6_BUF_H
#define XV6_BUF_H

struct buf {
  int valid;             // data holds the disk's contents        (buf.lock)
  uint dev;              //                                        (bcache.lock)
  uint blockno;          //                                        (bcache.lock)
  struct sleeplock lock;
  uint refcnt;           // users holding it (0 = may be recycled)  (bcache.lock)
  struct buf *prev;      // LRU list, most recent first             (bcache.lock)
  struct buf *next;
  uchar data[BSIZE];     //                                        (buf.lock)
};

// A batch of virtio-blk requests (virtio_disk_add, virtio_disk_wait): zeroed by the submitter,
// then the driver's (virtio_disk.c, under its lock) until virtio_disk_wait returns.
struct disk_batch {
  int pending;           // requests the device has not finished
  int waiting;           // the submitter sleeps on the batch
  uint failed;           // the first failed request: its first block,
  uchar failed_write;    //   whether it was a write,
  uchar status;          //   and its VIRTIO_BLK_S_* (0, OK, while none failed)
};

// A page of file data for bio_page: the page, and the disk block behind each BSIZE piece of it
// (0: none).
#define PAGEBLOCKS 4           // PGSIZE / BSIZE (checked in bio.c)
struct pageio {
  char *data;
  uint block[PAGEBLOCKS];
};

#endif

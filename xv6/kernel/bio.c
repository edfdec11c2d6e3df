// Buffer cache: NBUF in-memory copies of disk blocks.
//
// It does two jobs.  It saves disk reads for blocks used again soon, and it guarantees that a
// block has at most one copy in memory, so two processes changing the same block are serialised
// by that copy's sleeplock.
//
// Interface:
//   bread(dev, blockno)  a locked buffer holding the block's contents
//   bread_overwrite      the same for a caller that overwrites all of it (not read from disk)
//   bwrite(b)            write a locked buffer's data to its block on disk
//   brelse(b)            unlock it; the caller must not touch it afterwards
//   bpin/bunpin          an extra reference that keeps a buffer cached (the log's dirty blocks)
//
// Every buffer sits on one circular list with a dummy head; head.next is the most recently
// released buffer and head.prev the least recently released.  A lookup that misses recycles
// the least recently used buffer nobody references.

#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "defs.h"

static struct {
  struct spinlock lock;   // the list, and dev/blockno/refcnt of every buffer
  struct buf buf[NBUF];
  struct buf head;        // list sentinel; its data is never used
} bcache;

static void
list_remove(struct buf *b)
{
  b->prev->next = b->next;
  b->next->prev = b->prev;
}

// Insert b right after the head: the most recently used position.
static void
list_push_front(struct buf *b)
{
  b->next = bcache.head.next;
  b->prev = &bcache.head;
  bcache.head.next->prev = b;
  bcache.head.next = b;
}

void
binit(void)
{
  initlock(&bcache.lock, "bcache");
  bcache.head.next = bcache.head.prev = &bcache.head;
  for(struct buf *b = bcache.buf; b < bcache.buf + NBUF; b++){
    initsleeplock(&b->lock, "buffer");
    b->refcnt = 0;
    b->valid = 0;
    list_push_front(b);
  }
}

// Find the buffer for (dev, blockno), or make one by recycling an unused buffer, and return it
// locked.  Its data is only meaningful if b->valid.
static struct buf*
bget(uint dev, uint blockno)
{
  struct buf *b;

  acquire(&bcache.lock);

  for(b = bcache.head.next; b != &bcache.head; b = b->next){
    if(b->dev == dev && b->blockno == blockno){
      b->refcnt++;
      release(&bcache.lock);
      acquiresleep(&b->lock);
      return b;
    }
  }

  // Not cached: take the least recently used buffer that nobody holds.
  for(b = bcache.head.prev; b != &bcache.head; b = b->prev){
    if(b->refcnt == 0){
      b->dev = dev;
      b->blockno = blockno;
      b->valid = 0;
      b->refcnt = 1;
      release(&bcache.lock);
      acquiresleep(&b->lock);
      return b;
    }
  }

  panic("bget: every buffer is in use");
}

struct buf*
bread(uint dev, uint blockno)
{
  struct buf *b = bget(dev, blockno);
  if(!b->valid){
    virtio_disk_rw(b, 0);
    b->valid = 1;
  }
  return b;
}

// As bread, for a caller that will overwrite the whole block: no disk read.
struct buf*
bread_overwrite(uint dev, uint blockno)
{
  struct buf *b = bget(dev, blockno);
  b->valid = 1;
  return b;
}

void
bwrite(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("bwrite: buffer not locked");
  virtio_disk_rw(b, 1);
}

void
brelse(struct buf *b)
{
  if(!holdingsleep(&b->lock))
    panic("brelse: buffer not locked");
  releasesleep(&b->lock);

  acquire(&bcache.lock);
  if(b->refcnt == 0)
    panic("brelse: refcnt already 0");
  b->refcnt--;
  if(b->refcnt == 0){
    // Now recyclable, and the most recently used.
    list_remove(b);
    list_push_front(b);
  }
  release(&bcache.lock);
}

void
bpin(struct buf *b)
{
  acquire(&bcache.lock);
  b->refcnt++;
  release(&bcache.lock);
}

void
bunpin(struct buf *b)
{
  acquire(&bcache.lock);
  if(b->refcnt == 0)
    panic("bunpin: refcnt already 0");
  b->refcnt--;
  release(&bcache.lock);
}

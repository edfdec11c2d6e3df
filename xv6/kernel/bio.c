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
//   bio_page             read or write a whole page of file data straight between the disk
//                        and a page-cache page, in a batch of requests (see "Pages" below)
//
// Every buffer sits on one circular list with a dummy head; head.next is the most recently
// released buffer and head.prev the least recently released.  A lookup that misses recycles
// the least recently used buffer nobody references.

#include "types.h"
#include "param.h"
#include "riscv.h"
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

// ---- Pages ------------------------------------------------------------------------------------
//
// The page cache's I/O does not go through buffers: a file page's blocks move between the disk
// and the page itself, one request per run of consecutive blocks, and the requests of many
// pages in flight together.  This cache must still never disagree with it: a block the cache holds
// may be newer than the disk (logged, not yet installed), so a read takes a cached block from
// the cache, and a write copies its new contents into the cached copy too.  That is safe
// because the blocks of a file's data change only under the file's inode lock, which the
// caller holds, and a block that is not cached is as new on the disk as anywhere: the log pins
// the buffers it has not installed.

_Static_assert(PAGEBLOCKS * BSIZE == PGSIZE, "PAGEBLOCKS is PGSIZE / BSIZE");

// The valid cached buffers of block[0..PAGEBLOCKS) (0 entries skipped), each referenced and
// locked, in found[]; returns the mask of those found.
static uint
cached_blocks(uint dev, uint *block, struct buf **found)
{
  uint mask = 0;
  acquire(&bcache.lock);
  for(struct buf *b = bcache.head.next; b != &bcache.head; b = b->next){
    if(b->dev != dev)
      continue;
    for(int k = 0; k < PAGEBLOCKS; k++){
      if(block[k] != 0 && b->blockno == block[k]){
        b->refcnt++;
        found[k] = b;
        mask |= 1 << k;
      }
    }
  }
  release(&bcache.lock);
  for(int k = 0; k < PAGEBLOCKS; k++){
    if(!(mask & (1 << k)))
      continue;
    acquiresleep(&found[k]->lock);
    if(!found[k]->valid){          // nobody has read it yet: the disk is the newest copy
      brelse(found[k]);
      mask &= ~(1 << k);
    }
  }
  return mask;
}

// Bring the cached copies of page pg's blocks in line: a read copies them into the page, a
// write copies the page into them.  The mask of blocks the disk must still move.
static uint
sync_cached(uint dev, struct pageio *pg, int write)
{
  struct buf *found[PAGEBLOCKS];
  uint todo = 0;
  for(int k = 0; k < PAGEBLOCKS; k++)
    if(pg->block[k] != 0)
      todo |= 1 << k;
  uint mask = cached_blocks(dev, pg->block, found);
  for(int k = 0; k < PAGEBLOCKS; k++){
    if(!(mask & (1 << k)))
      continue;
    if(write){
      memmove(found[k]->data, pg->data + k * BSIZE, BSIZE);
    } else {
      memmove(pg->data + k * BSIZE, found[k]->data, BSIZE);
      todo &= ~(1 << k);
    }
    brelse(found[k]);
  }
  return todo;
}

// Add to batch bt the requests that read (write == 0) or write page pg: block k of the page is
// pg->block[k], its data pg->data + k*BSIZE, one request per run of consecutive blocks.  A 0
// block is skipped (a read zero-fills it).  The data moves once the caller waits for the batch
// (virtio_disk_wait); cached copies are dealt with now.  Caller holds the inode lock of the
// file the blocks belong to, and for a write is inside a transaction (begin_op), so that no
// commit installs an older logged copy of a block over the new data.
void
bio_page(struct disk_batch *bt, uint dev, struct pageio *pg, int write)
{
  uint todo = sync_cached(dev, pg, write);
  uint run = 0, start = 0;         // the run being built: blocks [start, start + run)
  for(int k = 0; k <= PAGEBLOCKS; k++){
    if(k < PAGEBLOCKS && pg->block[k] == 0 && !write)
      memset(pg->data + k * BSIZE, 0, BSIZE);
    int more = k < PAGEBLOCKS && (todo & (1 << k));
    if(more && run > 0 && pg->block[start] + run == pg->block[k]){
      run++;
      continue;
    }
    if(run > 0)
      virtio_disk_add(bt, pg->block[start], run, pg->data + start * BSIZE, write);
    run = more ? 1 : 0;
    start = k;
  }
}

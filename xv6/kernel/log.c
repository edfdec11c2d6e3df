// Write-ahead log: makes each file-system system call atomic with respect to crashes.
//
// A system call brackets its disk updates with begin_op() ... end_op() and, instead of
// bwrite(), calls log_write() on every block it changes.  log_write() only notes the block
// number and pins the buffer in the cache; nothing reaches its home location yet.  When the last
// outstanding operation ends, the whole group of operations is committed at once:
//
//   1. copy every noted block into the log area (blocks logstart+1 ...)
//   2. write the header block (logstart) with the count and the home block numbers:
//      THE COMMIT POINT.  A crash before it loses the group, a crash after it keeps the group.
//   3. install: write each block to its home location
//   4. write the header again with count 0: the log is empty
//
// At boot, recovery (called from initlog) finds a non-zero count only if a crash hit between
// 2 and 4, and then redoes step 3 and 4.  Redoing is harmless because the log holds whole
// blocks, so a crash during recovery is handled by the next boot doing the same again.  On a
// read-only disk (VIRTIO_BLK_F_RO) recovery would have to write, so a log that needs it makes
// the mount fail (panic, with the way out); an empty log needs no write and mounts.
//
// Space: an operation may write at most MAXOPBLOCKS distinct blocks, and begin_op() admits an
// operation only if every admitted operation could still do that without overflowing the log.
//
// The log area belongs to this file: its blocks never go through the buffer cache.  The header
// (and recovery) use one private buffer; a commit copies the transaction's blocks into a private
// staging area and writes it twice, each time as one batch of requests behind one doorbell:
// into the log, then home.  So committing never needs a free cache buffer (the cache may be
// full of pinned blocks), holds no buffer lock while the disk works, and the cache never holds
// stale copies of log blocks.

#include "types.h"
#include "param.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "defs.h"

_Static_assert(sizeof(struct logheader) <= BSIZE, "log header must fit in one block");

static struct {
  struct spinlock lock;
  int dev;
  uint start;          // the header block; data blocks follow it
  int capacity;        // data blocks a transaction may use: min(LOGSIZE, nlog - 1)
  int outstanding;     // operations between begin_op and end_op
  int committing;      // a commit is in progress: begin_op must wait
  struct logheader lh; // blocks of the open transaction, in the order first written
} log;

// Only the committer (or recovery, before anything else runs) uses these: the header's buffer,
// and the staged copies of the transaction's blocks with the pinned cache buffers they came
// from (log.committing keeps a second committer out).
static struct buf logbuf;
static char staged[LOGSIZE][BSIZE] __attribute__((aligned(BSIZE)));
static struct buf *pinned[LOGSIZE];

// Raw I/O on log block `blockno` (0 = header) through logbuf, which the caller holds.
static void
logdisk(uint blockno, int write)
{
  logbuf.dev = log.dev;
  logbuf.blockno = log.start + blockno;
  virtio_disk_rw(&logbuf, write);
}

// Write the in-memory header to disk.  With a non-zero count this commits the transaction;
// with zero it empties the log.
static void
write_head(void)
{
  acquiresleep(&logbuf.lock);
  memset(logbuf.data, 0, BSIZE);
  struct logheader *h = (struct logheader *)logbuf.data;
  h->n = log.lh.n;
  for(int i = 0; i < log.lh.n; i++)
    h->block[i] = log.lh.block[i];
  logdisk(0, 1);
  releasesleep(&logbuf.lock);
}

// Boot-time recovery: if the header shows a committed transaction, install it, then empty the
// log.
static void
recover(struct superblock *sb)
{
  acquiresleep(&logbuf.lock);
  logdisk(0, 0);
  struct logheader *h = (struct logheader *)logbuf.data;
  int n = h->n;
  if(n < 0 || n > log.capacity){
    printf("log: header claims %d blocks, the log holds at most %d\n", n, log.capacity);
    panic("initlog: corrupt log header");
  }
  if(n > 0 && virtio_disk_readonly()){
    // Replaying in memory only would need every logged block pinned in a cache no bigger
    // than the log; refuse to mount instead.
    printf("log: %d blocks of a committed transaction need recovery, but the disk is "
           "read-only; attach it read-write once (or: python -m rvemu.xv6fs replay IMG)\n", n);
    panic("initlog: log needs recovery on a read-only disk");
  }
  for(int i = 0; i < n; i++){
    uint home = h->block[i];
    if(home < sb->logstart + sb->nlog || home >= sb->size){
      printf("log: entry %d names block %d, outside the file system's blocks\n", i, (int)home);
      panic("initlog: corrupt log header");
    }
    log.lh.block[i] = home;
  }
  log.lh.n = n;

  for(int i = 0; i < n; i++){
    logdisk(1 + i, 0);                             // logbuf = logged copy
    struct buf *b = bread(log.dev, log.lh.block[i]);
    memmove(b->data, logbuf.data, BSIZE);
    bwrite(b);
    brelse(b);
  }
  releasesleep(&logbuf.lock);

  log.lh.n = 0;
  if(n > 0){
    write_head();                  // an empty log needs no write (nor does a read-only disk)
    printf("log: recovered %d blocks of a committed transaction\n", n);
  }
}

void
initlog(int dev, struct superblock *sb)
{
  initlock(&log.lock, "log");
  initsleeplock(&logbuf.lock, "logbuf");
  log.dev = dev;
  log.start = sb->logstart;
  if(sb->nlog < 1 + MAXOPBLOCKS)
    panic("initlog: the log area is smaller than one operation");
  log.capacity = sb->nlog - 1 < LOGSIZE ? (int)sb->nlog - 1 : LOGSIZE;
  log.outstanding = 0;
  log.committing = 0;
  recover(sb);
}

// Write staged[0..n) to the log area (home == 0: blocks 1..n after the header) or to their home
// blocks, as one batch: consecutive blocks go in one request of up to a page (staged[] is
// contiguous), and this returns when the device has finished them all.
static void
write_staged(int n, int home)
{
  struct disk_batch bt = {0};
  for(int i = 0; i < n; ){
    uint first = home ? log.lh.block[i] : log.start + 1 + i;
    int run = 1;
    while(i + run < n && run < PAGEBLOCKS &&
          (home ? log.lh.block[i + run] : log.start + 1 + i + run) == first + run)
      run++;
    virtio_disk_add(&bt, first, run, staged[i], 1);
    i += run;
  }
  virtio_disk_wait(&bt);
}

// Commit the open transaction.  Called with no operation outstanding and log.committing set,
// so nobody changes a logged block while this runs.
static void
commit(void)
{
  int n = log.lh.n;
  if(n == 0)
    return;

  // 1. The logged copies.  The home buffers are pinned, so bread finds them in the cache, and
  //    nobody changes them while this runs: the staged copies are what each block will hold.
  for(int i = 0; i < n; i++){
    struct buf *b = bread(log.dev, log.lh.block[i]);
    memmove(staged[i], b->data, BSIZE);
    pinned[i] = b;
    brelse(b);                     // still pinned: the pointer stays good until bunpin
  }
  write_staged(n, 0);

  // 2. Commit point (after every logged copy is on disk: write_staged waits).
  write_head();

  // 3. Install the same copies home, then unpin the buffers.
  write_staged(n, 1);
  for(int i = 0; i < n; i++)
    bunpin(pinned[i]);

  // 4. Empty the log.
  log.lh.n = 0;
  write_head();
}

// Start a file-system operation: wait until no commit is running and the log has room for
// this operation's worst case on top of everyone else's.
void
begin_op(void)
{
  acquire(&log.lock);
  for(;;){
    if(log.committing){
      sleep(&log, &log.lock);
    } else if(log.lh.n + (log.outstanding + 1) * MAXOPBLOCKS > log.capacity){
      sleep(&log, &log.lock);      // wait for the current group to commit
    } else {
      log.outstanding++;
      break;
    }
  }
  release(&log.lock);
}

// End an operation; the last one out commits the group.
void
end_op(void)
{
  int do_commit = 0;

  acquire(&log.lock);
  if(log.outstanding < 1)
    panic("end_op: no operation in progress");
  if(log.committing)
    panic("end_op: commit in progress");
  log.outstanding--;
  if(log.outstanding == 0){
    do_commit = 1;
    log.committing = 1;
  } else {
    // Our reservation is free again: a begin_op waiting for space may fit now.
    wakeup(&log);
  }
  release(&log.lock);

  if(do_commit){
    commit();                      // sleeps on disk I/O, so not under log.lock
    acquire(&log.lock);
    log.committing = 0;
    wakeup(&log);
    release(&log.lock);
  }
}

// Record that the current operation changed b (which the caller holds locked).  Replaces
// bwrite(): the block reaches the disk at commit.  A block written twice in one transaction
// takes one log slot ("absorption").
void
log_write(struct buf *b)
{
  acquire(&log.lock);
  if(log.outstanding < 1)
    panic("log_write: outside of a transaction");
  for(int i = 0; i < log.lh.n; i++){
    if(log.lh.block[i] == b->blockno){
      release(&log.lock);
      return;
    }
  }
  if(log.lh.n >= log.capacity)
    panic("log_write: transaction too big for the log");
  log.lh.block[log.lh.n++] = b->blockno;
  bpin(b);                         // keep it cached until it is installed
  release(&log.lock);
}

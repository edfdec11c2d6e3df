// Driver for the virtio block device behind the virtio-mmio (version 2) window at VIRTIO0.
//
// One virtqueue (queue 0) carries every request.  A request always takes three descriptors
// (header, data, status byte), so instead of allocating descriptors one at a time the table is
// cut into fixed "slots" of three pre-linked descriptors: slot s owns descriptors 3s, 3s+1 and
// 3s+2, and its chain always starts at 3s.  The data descriptor covers a run of consecutive
// blocks in physically contiguous memory (at most a page: the page cache moves a page in one
// request, the buffer cache a block).
//
// Interface: a batch of requests (struct disk_batch, buf.h) is built with virtio_disk_add(),
// each request going into the ring at once; virtio_disk_wait() then rings the doorbell once and
// returns when all are done (so one interrupt can finish a whole batch).  virtio_disk_rw(b,
// write) is the one-block batch of the buffer cache.  Before sleeping, the waiter looks at the
// used ring itself: a device that finished at once (as rvemu's does) costs no sleep and no
// context switch.
//
// Interrupts are only asked for while somebody sleeps (disk.sleepers): with nobody asleep the
// doorbell goes out with VIRTQ_AVAIL_F_NO_INTERRUPT set, and the submitter collects its own
// completions from the used ring.  A waiter about to sleep first clears the flag, then looks at
// the used ring once more (a completion that landed while the flag was set raised nothing), and
// only then sleeps; while it sleeps nobody sets the flag again.  The flag is a hint (a device
// may interrupt anyway, and the handler then finds nothing or less to do).
//
// The kernel maps RAM one-to-one, so kernel addresses of the rings, the per-slot headers and the
// data are also the physical addresses the device needs.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "virtio.h"
#include "defs.h"

#define RINGPAGE 4096           // kalloc() hands out pages of this size
#define QMAX     128            // descriptors we would like in the queue (a power of two)
#define NSLOTMAX (QMAX / 3)

// The whole split virtqueue lives in one zeroed page, in the order the spec lays it out.
struct vring {
  struct virtq_desc desc[QMAX];             // page-aligned, so 16-byte aligned
  struct {
    uint16 flags;                           // 0: we want an interrupt per completion
    uint16 idx;                             // where we will put the next entry (mod 2^16)
    uint16 ring[QMAX];                      // heads of chains handed to the device
    uint16 used_event;                      // unused (no VIRTIO_F_EVENT_IDX)
  } avail;
  struct {
    uint16 flags;
    uint16 idx;                             // where the device will put its next entry
    struct {
      uint32 id;                            // head of a finished chain
      uint32 len;                           // bytes the device wrote
    } ring[QMAX];
    uint16 avail_event;
  } used;                                   // the uint32s make this 4-byte aligned
};

_Static_assert(sizeof(struct vring) <= RINGPAGE, "virtqueue must fit in one page");
_Static_assert(sizeof(struct virtio_blk_req_hdr) == 16, "virtio-blk header is 16 bytes");

// One request in flight.
struct slot {
  struct virtio_blk_req_hdr hdr;   // read by the device
  volatile uint8 status;           // written by the device
  uchar busy;
  struct disk_batch *bt;           // the batch of the request it carries
};

static struct disk {
  struct spinlock lock;            // guards everything here and the batches being waited for
  volatile struct vring *q;
  uint qsize;                      // descriptors in the queue (power of two, <= QMAX)
  uint nslot;                      // usable slots: qsize / 3
  uint nfree;                      // slots not busy
  uint slot_waiters;               // submitters asleep until a slot frees up
  uint sleepers;                   // processes asleep here (on a batch or a slot): while
                                   // any is, used-buffer interrupts stay on
  uint16 used_seen;                // used.idx as far as we have processed it
  uint16 unkicked;                 // entries put in the available ring, index not yet moved
  uint64 capacity;                 // disk size in 512-byte sectors
  int readonly;                    // VIRTIO_BLK_F_RO: set once by init, then only read
  struct slot slot[NSLOTMAX];
  uint64 reads, writes;            // blocks requested since boot
  uint64 requests;                 // requests since boot
} disk;

static inline volatile uint32 *
reg(int off)
{
  return (volatile uint32 *)(VIRTIO0 + off);
}

static inline uint32
rd(int off)
{
  return *reg(off);
}

static inline void
wr(int off, uint32 v)
{
  *reg(off) = v;
}

// Tell the device we give up, then stop.
static void __attribute__((noreturn))
fail(char *why)
{
  wr(VIRTIO_MMIO_STATUS, rd(VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_FAILED);
  printf("virtio disk: %s\n", why);
  panic("virtio_disk_init");
}

void
virtio_disk_init(void)
{
  initlock(&disk.lock, "virtio_disk");

  // 4.2.3.1.1: make sure this really is a modern virtio block device.
  if(rd(VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MAGIC)
    panic("virtio disk: no virtio-mmio device at VIRTIO0 (bad magic)");
  if(rd(VIRTIO_MMIO_VERSION) != 2)
    panic("virtio disk: device is not virtio-mmio version 2 (legacy devices unsupported)");
  if(rd(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_DEVICE_BLOCK)
    panic("virtio disk: the device at VIRTIO0 is not a block device (no disk attached?)");

  // 3.1.1 steps 1-3: reset, and say we noticed the device and can drive it.  A reset is
  // finished once Status reads back 0.
  wr(VIRTIO_MMIO_STATUS, 0);
  while(rd(VIRTIO_MMIO_STATUS) != 0)
    ;
  uint32 status = VIRTIO_STATUS_ACKNOWLEDGE;
  wr(VIRTIO_MMIO_STATUS, status);
  status |= VIRTIO_STATUS_DRIVER;
  wr(VIRTIO_MMIO_STATUS, status);

  // Step 4: read all 64 offered feature bits and accept VIRTIO_F_VERSION_1, and
  // VIRTIO_BLK_F_RO if offered (the disk refuses writes: the file system is mounted read-only).
  // We leave VIRTIO_BLK_F_FLUSH off, which obliges the device to make every completed write
  // durable -- exactly what the write-ahead log relies on.
  wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
  uint64 offered = rd(VIRTIO_MMIO_DEVICE_FEATURES);
  wr(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  offered |= (uint64)rd(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
  if((offered & (1UL << VIRTIO_F_VERSION_1)) == 0)
    fail("device does not offer VIRTIO_F_VERSION_1");
  uint64 accepted = offered & ((1UL << VIRTIO_F_VERSION_1) | (1UL << VIRTIO_BLK_F_RO));
  disk.readonly = (accepted & (1UL << VIRTIO_BLK_F_RO)) != 0;
  wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32)accepted);
  wr(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  wr(VIRTIO_MMIO_DRIVER_FEATURES, (uint32)(accepted >> 32));
  if(disk.readonly)
    printf("virtio disk: read-only (VIRTIO_BLK_F_RO)\n");

  // Steps 5-6: close negotiation; the device clears FEATURES_OK again if it disagrees.
  status |= VIRTIO_STATUS_FEATURES_OK;
  wr(VIRTIO_MMIO_STATUS, status);
  if((rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK) == 0)
    fail("device refused our features (FEATURES_OK did not stick)");

  // Step 7, device-specific setup: queue 0 (4.2.3.2).
  wr(VIRTIO_MMIO_QUEUE_SEL, 0);
  if(rd(VIRTIO_MMIO_QUEUE_READY) != 0)
    fail("queue 0 is already in use");
  uint32 max = rd(VIRTIO_MMIO_QUEUE_NUM_MAX);
  uint qsize = QMAX;
  while(qsize > max)
    qsize /= 2;                 // the largest power of two both of us can live with
  if(qsize < 4)
    fail("queue 0 is too small (QueueNumMax < 4)");
  disk.qsize = qsize;
  disk.nslot = qsize / 3;

  struct vring *q = kalloc();
  if(q == 0)
    fail("out of memory for the virtqueue");
  memset(q, 0, RINGPAGE);
  disk.q = q;
  disk.used_seen = 0;

  // Link each slot's three descriptors once; only addresses and directions change later.
  for(int s = 0; s < disk.nslot; s++){
    struct virtq_desc *d = &q->desc[3 * s];
    d[0].addr = (uint64)&disk.slot[s].hdr;
    d[0].len = sizeof(struct virtio_blk_req_hdr);
    d[0].flags = VIRTQ_DESC_F_NEXT;
    d[0].next = 3 * s + 1;
    d[1].flags = VIRTQ_DESC_F_NEXT;
    d[1].next = 3 * s + 2;
    d[2].addr = (uint64)&disk.slot[s].status;
    d[2].len = 1;
    d[2].flags = VIRTQ_DESC_F_WRITE;
    d[2].next = 0;
    disk.slot[s].busy = 0;
  }
  disk.nfree = disk.nslot;

  uint64 desc = (uint64)q->desc, avail = (uint64)&q->avail, used = (uint64)&q->used;
  __sync_synchronize();          // the rings' contents reach memory before the device looks
  wr(VIRTIO_MMIO_QUEUE_NUM, qsize);
  wr(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32)desc);
  wr(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32)(desc >> 32));
  wr(VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32)avail);
  wr(VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32)(avail >> 32));
  wr(VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32)used);
  wr(VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32)(used >> 32));
  wr(VIRTIO_MMIO_QUEUE_READY, 1);
  if(rd(VIRTIO_MMIO_QUEUE_READY) != 1)
    fail("device did not accept queue 0");

  // The configuration space: how big the disk is (read twice around ConfigGeneration so the
  // two halves of the 64-bit value belong together, 2.4.1).
  uint32 gen;
  do {
    gen = rd(VIRTIO_MMIO_CONFIG_GENERATION);
    uint64 lo = rd(VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY);
    uint64 hi = rd(VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY + 4);
    disk.capacity = lo | (hi << 32);
  } while(gen != rd(VIRTIO_MMIO_CONFIG_GENERATION));

  // Step 8: go.
  status |= VIRTIO_STATUS_DRIVER_OK;
  wr(VIRTIO_MMIO_STATUS, status);
  if(rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
    fail("device needs a reset right after initialisation");
}

// Check a request before it goes out: a broken one is a kernel bug.
static void
check(uint blockno, uint nblocks, int write)
{
  uint64 sector = (uint64)blockno * (BSIZE / VIRTIO_BLK_SECTOR);
  uint64 nsect = (uint64)nblocks * (BSIZE / VIRTIO_BLK_SECTOR);
  if(write && disk.readonly)
    panic("virtio_disk_add: write to a read-only disk (the file system should not write)");
  if(nblocks == 0 || nblocks * BSIZE > PGSIZE)
    panic("virtio_disk_add: request of no blocks or more than a page");
  if(sector + nsect > disk.capacity){
    printf("virtio disk: block %d is past the end of the disk (%d blocks)\n",
           (int)(blockno + nblocks - 1), (int)(disk.capacity / (BSIZE / VIRTIO_BLK_SECTOR)));
    panic("virtio_disk_add: block out of range");
  }
}

// Put a request in a free slot and in the available ring, without telling the device yet.
// Caller holds disk.lock and has seen disk.nfree > 0.
static void
publish(struct disk_batch *bt, uint blockno, uint nblocks, char *data, int write)
{
  int s = 0;
  while(disk.slot[s].busy)
    s++;
  struct slot *sl = &disk.slot[s];
  sl->busy = 1;
  disk.nfree--;
  sl->bt = bt;
  sl->hdr.type = write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN;
  sl->hdr.reserved = 0;
  sl->hdr.sector = (uint64)blockno * (BSIZE / VIRTIO_BLK_SECTOR);
  sl->status = 0xff;             // anything but OK, in case the device never writes it
  bt->pending++;

  volatile struct virtq_desc *d = &disk.q->desc[3 * s];
  d[1].addr = (uint64)data;
  d[1].len = nblocks * BSIZE;
  d[1].flags = VIRTQ_DESC_F_NEXT | (write ? 0 : VIRTQ_DESC_F_WRITE);

  if(write)
    disk.writes += nblocks;
  else
    disk.reads += nblocks;
  disk.requests++;

  // The ring entry now; the index moves (after a fence) in kick().
  volatile struct vring *q = disk.q;
  q->avail.ring[(uint16)(q->avail.idx + disk.unkicked) % disk.qsize] = 3 * s;
  disk.unkicked++;
}

// Hand the requests published since the last kick (anybody's) to the device: first the ring
// entries (a fence, so the device never sees the new index before them), then the index, then
// the doorbell.  With nobody asleep here, without asking for an interrupt.  Caller holds
// disk.lock.
static void
kick(void)
{
  if(disk.unkicked == 0)
    return;
  volatile struct vring *q = disk.q;
  if(disk.sleepers == 0)
    q->avail.flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
  __sync_synchronize();
  q->avail.idx = q->avail.idx + disk.unkicked;
  disk.unkicked = 0;
  __sync_synchronize();
  wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

// Finish every request the device has put in the used ring since we last looked: note a
// failure in its batch, free its slot, wake the batch's submitter if that was the last one.
// Caller holds disk.lock.
static void
reap(void)
{
  volatile struct vring *q = disk.q;
  while(disk.used_seen != q->used.idx){
    __sync_synchronize();        // read the entry only after seeing the index move
    uint32 id = q->used.ring[disk.used_seen % disk.qsize].id;
    uint s = id / 3;
    if(id % 3 != 0 || s >= disk.nslot || !disk.slot[s].busy || disk.slot[s].bt == 0)
      panic("virtio_disk: used ring names a chain we did not submit");
    struct slot *sl = &disk.slot[s];
    struct disk_batch *bt = sl->bt;
    if(sl->status != VIRTIO_BLK_S_OK && bt->status == VIRTIO_BLK_S_OK){
      bt->status = sl->status;
      bt->failed = sl->hdr.sector / (BSIZE / VIRTIO_BLK_SECTOR);
      bt->failed_write = sl->hdr.type == VIRTIO_BLK_T_OUT;
    }
    sl->bt = 0;
    sl->busy = 0;
    disk.nfree++;
    if(--bt->pending == 0 && bt->waiting)
      wakeup(bt);
    disk.used_seen++;
  }
  if(disk.slot_waiters)
    wakeup(&disk.nfree);
}

// Sleep until batch bt is finished, or (bt == 0) until a slot frees up, with interrupts on (see
// the top of the file): ask for them, then look at the used ring once more for what finished
// while they were off.  Caller holds disk.lock and found the wait necessary after reaping.
static void
sleep_until(struct disk_batch *bt)
{
  disk.sleepers++;
  disk.q->avail.flags = 0;
  __sync_synchronize();          // the flag before the look at the used ring
  reap();
  if(bt && bt->pending > 0){
    bt->waiting = 1;
    sleep(bt, &disk.lock);
  } else if(!bt && disk.nfree == 0){
    disk.slot_waiters++;
    sleep(&disk.nfree, &disk.lock);
    disk.slot_waiters--;
  }
  disk.sleepers--;
}

// Add to batch bt (zeroed before its first request) a request to read (write == 0) or write
// nblocks consecutive blocks from blockno, to or from data (contiguous, at most a page).  It may
// not go out before virtio_disk_wait(bt); the data must stay put until that returns.
void
virtio_disk_add(struct disk_batch *bt, uint blockno, uint nblocks, char *data, int write)
{
  check(blockno, nblocks, write);
  acquire(&disk.lock);
  while(disk.nfree == 0){        // the ring is full: start what is there, wait for a slot
    kick();
    reap();
    if(disk.nfree == 0)
      sleep_until(0);
  }
  publish(bt, blockno, nblocks, data, write);
  release(&disk.lock);
}

// Start every request of batch bt and return once the device has finished them all: the
// doorbell rings once, and the used ring is looked at before sleeping, so a device that
// finished at once (as rvemu's does) costs no sleep.  A failed request panics: the file
// system has no way to go on.
void
virtio_disk_wait(struct disk_batch *bt)
{
  acquire(&disk.lock);
  kick();
  while(bt->pending > 0){
    reap();
    if(bt->pending > 0)
      sleep_until(bt);
  }
  release(&disk.lock);
  if(bt->status != VIRTIO_BLK_S_OK){
    uint8 st = bt->status;
    printf("virtio disk: %s of block %d failed with status %d (%s)\n",
           bt->failed_write ? "write" : "read", (int)bt->failed, st,
           st == VIRTIO_BLK_S_IOERR ? "I/O error" :
           st == VIRTIO_BLK_S_UNSUPP ? "unsupported" : "no status written");
    panic("virtio_disk_wait: disk I/O error");
  }
}

// Read (write == 0) or write block b->blockno of the disk to or from b->data, and return once
// the device has finished.  The caller holds b->lock.
void
virtio_disk_rw(struct buf *b, int write)
{
  struct disk_batch bt = {0};
  virtio_disk_add(&bt, b->blockno, 1, (char *)b->data, write);
  virtio_disk_wait(&bt);
}

// Does the disk refuse writes (VIRTIO_BLK_F_RO)?  Fixed once virtio_disk_init has run.
int
virtio_disk_readonly(void)
{
  return disk.readonly;
}

// Blocks read and written, and requests, since boot (vmstat).
void
virtio_disk_stats(uint64 *reads, uint64 *writes, uint64 *requests)
{
  acquire(&disk.lock);
  *reads = disk.reads;
  *writes = disk.writes;
  *requests = disk.requests;
  release(&disk.lock);
}

void
virtio_disk_intr(void)
{
  acquire(&disk.lock);

  // Acknowledge first: a completion that lands after this raises a new interrupt, and reap()
  // picks up everything that landed before.
  uint32 why = rd(VIRTIO_MMIO_INTERRUPT_STATUS) & (VIRTIO_INT_USED_BUFFER | VIRTIO_INT_CONFIG_CHANGE);
  wr(VIRTIO_MMIO_INTERRUPT_ACK, why);
  __sync_synchronize();

  if((why & VIRTIO_INT_CONFIG_CHANGE) &&
     (rd(VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET))
    panic("virtio_disk_intr: device reports DEVICE_NEEDS_RESET (broken virtqueue?)");

  reap();
  release(&disk.lock);
}

// The file system above the log: blocks, inodes, directories and path names.
//
// Layers, lowest first:
//   blocks        balloc/bfree: the free-block bitmap
//   inodes        the on-disk inode array, and the in-memory inode table (itable) that caches
//                 the inodes in use; reading and writing file contents (readi/writei, bmap)
//   directories   an inode of type T_DIR whose contents are struct dirent records
//   path names    "/a/b/c" or "b/c" (relative to the current directory), resolved one element
//                 at a time (namei, nameiparent)
//
// Anything here that changes the disk must run inside a transaction (begin_op/end_op), and
// writes blocks with log_write(), never bwrite().
//
// In-memory inodes.  itable holds up to NINODE inodes that somebody references (ip->ref > 0:
// open files, current directories, lookups in progress).  iget() finds or makes an entry
// without reading the disk and without locking; ilock() locks it and, the first time, reads
// the disk inode (ip->valid).  So a typical user is
//     ip = iget(dev, inum);  ilock(ip);  ... use or change ip->xxx ...  iunlock(ip);  iput(ip);
// and a changed inode is written back with iupdate() while locked.  iput() drops a reference;
// the last reference to an inode with no links left frees it on disk (so it must be in a
// transaction).  Keeping "referenced" separate from "locked" lets a path lookup hold the
// current directory without blocking everybody else, and avoids deadlock when looking up ".".
//
// Failures a user can cause come back as -errno (errno.h) or as 0 from functions that return a
// pointer; broken invariants (a corrupt file system, a caller bug) panic.

#include "types.h"
#include "param.h"
#include "stat.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "buf.h"
#include "file.h"
#include "errno.h"
#include "riscv.h"
#include "proc.h"
#include "defs.h"

#define MIN(a, b) ((a) < (b) ? (a) : (b))

// The superblock of the (one) file system, read once by fsinit().
static struct superblock sb;
static uint datastart;             // first block after the bitmap
static int readonly;               // mounted read-only: set by fsinit, then only read

static void
readsb(int dev, struct superblock *out)
{
  struct buf *bp = bread(dev, 1);
  memmove(out, bp->data, sizeof(*out));
  brelse(bp);
}

// Check the superblock's layout: boot block, superblock, log, inodes, bitmap, data.
static void
checksb(void)
{
  uint inodeblocks = (sb.ninodes + IPB - 1) / IPB;
  uint bitmapblocks = (sb.size + BPB - 1) / BPB;
  char *why = 0;

  if(sb.logstart < 2 || sb.nlog < 2 || sb.logstart + sb.nlog > sb.inodestart)
    why = "log area overlaps something";
  else if(sb.ninodes < 2 || sb.inodestart + inodeblocks > sb.bmapstart)
    why = "inode area overlaps the bitmap";
  else if(sb.bmapstart + bitmapblocks > sb.size)
    why = "bitmap runs past the end of the image";
  if(why){
    printf("fsinit: size %d, log %d+%d, inodes %d at %d, bitmap at %d\n", (int)sb.size,
           (int)sb.logstart, (int)sb.nlog, (int)sb.ninodes, (int)sb.inodestart,
           (int)sb.bmapstart);
    printf("fsinit: %s\n", why);
    panic("fsinit: bad superblock");
  }
  datastart = sb.bmapstart + bitmapblocks;
}

static void reclaim_orphans(int dev);

// Mount the file system on dev: read and check the superblock, let the log recover any
// committed transaction, then free inodes orphaned by a crash.  Runs in the first process
// (it sleeps on the disk).  A disk that refuses writes (VIRTIO_BLK_F_RO) is mounted
// read-only: nothing here writes to it (orphans stay), and the system calls that would change
// it fail with EROFS (sysfile.c); a log that needs recovery is refused (log.c).
void
fsinit(int dev)
{
  readonly = virtio_disk_readonly();
  readsb(dev, &sb);
  if(sb.magic != FSMAGIC){
    printf("fsinit: superblock magic is %x, expected %x\n", sb.magic, FSMAGIC);
    panic("fsinit: the disk does not hold an xv6 file system");
  }
  checksb();
  initlog(dev, &sb);
  if(!readonly)
    reclaim_orphans(dev);
}

// Is the file system mounted read-only?  Then every change fails with EROFS.
int
fs_readonly(void)
{
  return readonly;
}

// ---- blocks ---------------------------------------------------------------------------------

// Fill block bno with zeros (through the log).
static void
bzero(int dev, uint bno)
{
  struct buf *bp = bread_overwrite(dev, bno);
  memset(bp->data, 0, BSIZE);
  log_write(bp);
  brelse(bp);
}

// Allocate a zeroed disk block; 0 if the disk is full.
static uint
balloc(uint dev)
{
  for(uint base = 0; base < sb.size; base += BPB){
    struct buf *bp = bread(dev, BBLOCK(base, sb));
    uint limit = MIN(sb.size - base, BPB);
    for(uint bi = 0; bi < limit; bi++){
      if(bi % 8 == 0 && bp->data[bi / 8] == 0xff){
        bi += 7;                           // a whole byte of used blocks
        continue;
      }
      uchar mask = 1 << (bi % 8);
      if((bp->data[bi / 8] & mask) == 0){
        bp->data[bi / 8] |= mask;
        log_write(bp);
        brelse(bp);
        bzero(dev, base + bi);
        return base + bi;
      }
    }
    brelse(bp);
  }
  return 0;
}

static void
bfree(int dev, uint b)
{
  if(b < datastart || b >= sb.size)
    panic("bfree: block number outside the data area");
  struct buf *bp = bread(dev, BBLOCK(b, sb));
  uint bi = b % BPB;
  uchar mask = 1 << (bi % 8);
  if((bp->data[bi / 8] & mask) == 0)
    panic("bfree: block is already free");
  bp->data[bi / 8] &= ~mask;
  log_write(bp);
  brelse(bp);
}

// ---- inodes ---------------------------------------------------------------------------------

static struct {
  struct spinlock lock;    // ref, dev and inum of every entry
  struct inode inode[NINODE];
} itable;

void
iinit(void)
{
  initlock(&itable.lock, "itable");
  for(int i = 0; i < NINODE; i++)
    initsleeplock(&itable.inode[i].lock, "inode");
}

// The in-memory inode for (dev, inum), with one more reference; neither locked nor read from
// disk.  0 if the table is full.
static struct inode*
iget(uint dev, uint inum)
{
  struct inode *ip, *free = 0;

  acquire(&itable.lock);
  for(ip = itable.inode; ip < itable.inode + NINODE; ip++){
    if(ip->ref > 0 && ip->dev == dev && ip->inum == inum){
      ip->ref++;
      release(&itable.lock);
      return ip;
    }
    if(free == 0 && ip->ref == 0)
      free = ip;
  }
  if(free){
    free->dev = dev;
    free->inum = inum;
    free->ref = 1;
    free->valid = 0;
    free->writers = 0;
    free->denywrite = 0;
    free->ra_next = 0;
    free->ra_pages = 0;
  }
  release(&itable.lock);
  return free;
}

// The same, for the page cache's writeback of a file it knows only by number.
struct inode*
iget_ref(uint dev, uint inum)
{
  return iget(dev, inum);
}

// Allocate a free on-disk inode of the given type: 0 and the inode, referenced and unlocked, in
// *ipp; or -ENOSPC if every inode is in use, -ENFILE if the inode table is full.
int
ialloc_err(uint dev, short type, struct inode **ipp)
{
  for(uint first = 0; first < sb.ninodes; first += IPB){
    struct buf *bp = bread(dev, IBLOCK(first, sb));
    for(uint inum = first; inum < first + IPB && inum < sb.ninodes; inum++){
      struct dinode *dip = (struct dinode *)bp->data + inum % IPB;
      if(inum == 0 || dip->type != 0)
        continue;                        // inode 0 is never used: inum 0 means "none"
      // Get the table entry before claiming the disk inode, so running out of entries
      // cannot leave an allocated inode that nothing refers to.
      struct inode *ip = iget(dev, inum);
      if(ip == 0){
        brelse(bp);
        return -ENFILE;
      }
      memset(dip, 0, sizeof(*dip));
      dip->type = type;
      log_write(bp);
      brelse(bp);
      *ipp = ip;
      return 0;
    }
    brelse(bp);
  }
  return -ENOSPC;
}

// The same, 0 for any failure.
struct inode*
ialloc(uint dev, short type)
{
  struct inode *ip;
  return ialloc_err(dev, type, &ip) < 0 ? 0 : ip;
}

// Copy the in-memory inode to disk.  Caller holds ip->lock.
void
iupdate(struct inode *ip)
{
  struct buf *bp = bread(ip->dev, IBLOCK(ip->inum, sb));
  struct dinode *dip = (struct dinode *)bp->data + ip->inum % IPB;
  dip->type = ip->type;
  dip->major = ip->major;
  dip->minor = ip->minor;
  dip->nlink = ip->nlink;
  dip->size = ip->size;
  memmove(dip->addrs, ip->addrs, sizeof(ip->addrs));
  log_write(bp);
  brelse(bp);
}

// Writers and MAP_DENYWRITE exclude each other, in the flag's historic meaning: while a file
// is mapped with MAP_DENYWRITE (exec maps programs so) it cannot be opened for writing or
// written, and a file open for writing cannot be mapped so.  0, or -ETXTBSY.
int
get_write_access(struct inode *ip)
{
  acquire(&itable.lock);
  int ok = ip->denywrite == 0;
  if(ok)
    ip->writers++;
  release(&itable.lock);
  return ok ? 0 : -ETXTBSY;
}

void
put_write_access(struct inode *ip)
{
  acquire(&itable.lock);
  if(--ip->writers < 0)
    panic("put_write_access: no writer");
  release(&itable.lock);
}

int
deny_write_access(struct inode *ip)
{
  acquire(&itable.lock);
  int ok = ip->writers == 0;
  if(ok)
    ip->denywrite++;
  release(&itable.lock);
  return ok ? 0 : -ETXTBSY;
}

void
allow_write_access(struct inode *ip)
{
  acquire(&itable.lock);
  if(--ip->denywrite < 0)
    panic("allow_write_access: not denied");
  release(&itable.lock);
}

// Is ip mapped with MAP_DENYWRITE right now?
int
write_denied(struct inode *ip)
{
  acquire(&itable.lock);
  int d = ip->denywrite > 0;
  release(&itable.lock);
  return d;
}

struct inode*
idup(struct inode *ip)
{
  acquire(&itable.lock);
  ip->ref++;
  release(&itable.lock);
  return ip;
}

// Lock ip, reading it from disk if this is the first time.
void
ilock(struct inode *ip)
{
  if(ip == 0 || ip->ref < 1)
    panic("ilock: not a referenced inode");
  acquiresleep(&ip->lock);
  if(!ip->valid){
    struct buf *bp = bread(ip->dev, IBLOCK(ip->inum, sb));
    struct dinode *dip = (struct dinode *)bp->data + ip->inum % IPB;
    ip->type = dip->type;
    ip->major = dip->major;
    ip->minor = dip->minor;
    ip->nlink = dip->nlink;
    ip->size = dip->size;
    memmove(ip->addrs, dip->addrs, sizeof(ip->addrs));
    brelse(bp);
    ip->valid = 1;
    if(ip->type == 0){
      printf("ilock: inode %d is free but something refers to it\n", (int)ip->inum);
      panic("ilock: no type (corrupt file system?)");
    }
  }
}

void
iunlock(struct inode *ip)
{
  if(ip == 0 || !holdingsleep(&ip->lock) || ip->ref < 1)
    panic("iunlock: inode not locked");
  releasesleep(&ip->lock);
}

// Drop a reference.  If it was the last one and no directory entry names the inode any more,
// free its blocks and the inode itself.  Must be called inside a transaction.
void
iput(struct inode *ip)
{
  acquire(&itable.lock);
  if(ip->ref == 1 && ip->valid && ip->nlink == 0){
    // Nobody else holds a reference, so nobody holds the lock either and nobody can find the
    // inode through a directory: acquiresleep will not block.
    acquiresleep(&ip->lock);
    release(&itable.lock);

    itrunc(ip);
    ip->type = 0;
    iupdate(ip);
    ip->valid = 0;

    releasesleep(&ip->lock);
    acquire(&itable.lock);
  }
  ip->ref--;
  release(&itable.lock);
}

void
iunlockput(struct inode *ip)
{
  iunlock(ip);
  iput(ip);
}

// An inode whose last link is gone lives on only while something still has it open; the last
// iput frees it.  If the machine stopped before that (a crash while a file was open and
// unlinked), the disk is left with an allocated inode nothing names and nothing can ever
// reach.  At boot nothing is open, so every allocated inode with no links is such an orphan:
// free each one, with its blocks, in a transaction of its own.
static void
reclaim_orphans(int dev)
{
  int freed = 0;

  for(uint inum = 1; inum < sb.ninodes; inum++){
    struct buf *bp = bread(dev, IBLOCK(inum, sb));
    struct dinode *dip = (struct dinode *)bp->data + inum % IPB;
    int orphan = dip->type != 0 && dip->nlink == 0;
    brelse(bp);
    if(!orphan)
      continue;

    struct inode *ip = iget(dev, inum);
    if(ip == 0)
      panic("reclaim_orphans: inode table full at boot");
    begin_op();
    ilock(ip);                     // read it, so iput sees nlink == 0
    iunlock(ip);
    iput(ip);                      // the only reference: frees it
    end_op();
    freed++;
  }
  if(freed)
    printf("fs: freed %d inodes left open but unlinked by a crash\n", freed);
}

// ---- file contents --------------------------------------------------------------------------
//
// An inode's data blocks: addrs[0..NDIRECT-1] point at the first NDIRECT blocks directly,
// addrs[NDIRECT] at an indirect block holding the numbers of the next NINDIRECT blocks.  A
// zero entry means "not allocated yet".

// Disk block holding block bn of the file, or 0 if there is none.  With alloc, missing blocks
// (and the indirect block) are allocated; 0 then means the disk is full.  Allocation changes
// ip->addrs: the caller must iupdate().  Caller holds ip->lock.
static uint
bmap(struct inode *ip, uint bn, int alloc)
{
  if(bn < NDIRECT){
    uint addr = ip->addrs[bn];
    if(addr == 0 && alloc){
      addr = balloc(ip->dev);
      ip->addrs[bn] = addr;
    }
    return addr;
  }
  bn -= NDIRECT;
  if(bn >= NINDIRECT)
    panic("bmap: block number past MAXFILE");

  uint ind = ip->addrs[NDIRECT];
  if(ind == 0){
    if(!alloc || (ind = balloc(ip->dev)) == 0)
      return 0;
    ip->addrs[NDIRECT] = ind;
  }
  struct buf *bp = bread(ip->dev, ind);
  uint *entry = (uint *)bp->data + bn;
  uint addr = *entry;
  if(addr == 0 && alloc){
    addr = balloc(ip->dev);
    if(addr){
      *entry = addr;
      log_write(bp);
    }
  }
  brelse(bp);
  return addr;
}

// Free the data blocks at file block numbers `from` and up, and the indirect block too if
// none of the blocks it maps stays.  Leaves ip->size alone; the caller must iupdate().
static void
ifreefrom(struct inode *ip, uint from)
{
  for(uint i = from; i < NDIRECT; i++){
    if(ip->addrs[i]){
      bfree(ip->dev, ip->addrs[i]);
      ip->addrs[i] = 0;
    }
  }

  uint ind = ip->addrs[NDIRECT];
  if(ind == 0)
    return;
  uint first = from > NDIRECT ? from - NDIRECT : 0;    // first indirect entry to free
  struct buf *bp = bread(ip->dev, ind);
  uint *entry = (uint *)bp->data;
  int keep = 0, changed = 0;
  for(uint j = 0; j < NINDIRECT; j++){
    if(entry[j] == 0)
      continue;
    if(j < first){
      keep = 1;
    } else {
      bfree(ip->dev, entry[j]);
      changed = 1;
    }
  }
  if(keep){
    // The indirect block stays: clear the freed entries in it, through the log.
    if(changed){
      for(uint j = first; j < NINDIRECT; j++)
        entry[j] = 0;
      log_write(bp);
    }
    brelse(bp);
  } else {
    // Nothing left to map: free the indirect block itself (balloc zeroes it when it is
    // handed out again, so its stale entries do not matter).
    brelse(bp);
    bfree(ip->dev, ind);
    ip->addrs[NDIRECT] = 0;
  }
}

// Free all of ip's data blocks and make it empty.  Caller holds ip->lock, inside a transaction.
void
itrunc(struct inode *ip)
{
  itruncate(ip, 0);
}

// Shrink ip to size bytes (no larger than it is): free the blocks past the new end, and drop
// the page-cache pages past it (mappings lose them in mmap_truncate(), which the caller runs
// once it has let go of the inode and the transaction).  Caller holds ip->lock, inside a
// transaction.
void
itruncate(struct inode *ip, uint size)
{
  if(size > ip->size)
    panic("itruncate: growing");
  pc_truncate(ip, size);
  ifreefrom(ip, (size + BSIZE - 1) / BSIZE);
  ip->size = size;
  iupdate(ip);
}

// Caller holds ip->lock.
void
stati(struct inode *ip, struct stat *st)
{
  st->dev = ip->dev;
  st->ino = ip->inum;
  st->type = ip->type;
  st->nlink = ip->nlink;
  st->size = ip->size;
}

// What a missing block of a file reads as.
static char zeroblock[BSIZE];

// The disk blocks of file blocks [bn, bn+n) of ip in out[] (0 where there is none, and past
// MAXFILE), reading the indirect block at most once.  Caller holds ip->lock.
static void
map_blocks(struct inode *ip, uint bn, uint n, uint *out)
{
  uint i = 0;
  for(; i < n && bn + i < NDIRECT; i++)
    out[i] = ip->addrs[bn + i];
  if(i == n)
    return;
  struct buf *bp = ip->addrs[NDIRECT] ? bread(ip->dev, ip->addrs[NDIRECT]) : 0;
  for(; i < n; i++){
    uint j = bn + i - NDIRECT;
    out[i] = bp && j < NINDIRECT ? ((uint *)bp->data)[j] : 0;
  }
  if(bp)
    brelse(bp);
}

// Read pages index, index+1, ... index+n-1 of ip's contents into the pages dst[0..n), zeroes
// past end of file (and for blocks never allocated), all with one batch of disk requests.  For
// the page cache.  Caller holds ip->lock.
void
readpages(struct inode *ip, uint index, char **dst, int n)
{
  struct disk_batch bt = {0};
  uint fileblocks = (ip->size + BSIZE - 1) / BSIZE;
  for(int i = 0; i < n; i++){
    struct pageio pg;
    uint bn = (index + i) * PAGEBLOCKS;
    uint have = bn < fileblocks ? MIN(PAGEBLOCKS, fileblocks - bn) : 0;
    map_blocks(ip, bn, have, pg.block);
    for(uint k = have; k < PAGEBLOCKS; k++)
      pg.block[k] = 0;
    pg.data = dst[i];
    bio_page(&bt, ip->dev, &pg, 0);
  }
  virtio_disk_wait(&bt);
  uint last = ip->size / PGSIZE;           // the page holding end of file, if it is partial
  if(ip->size % PGSIZE && last >= index && last < index + n)
    memset(dst[last - index] + ip->size % PGSIZE, 0, PGSIZE - ip->size % PGSIZE);
}

// readi for a regular file: copy from its page-cache pages (reading them in if needed), so
// reads see what mappings stored.  n is within the file.  Caller holds ip->lock.
static int
readi_cached(struct inode *ip, int user_dst, uint64 dst, uint off, uint n)
{
  uint done = 0;
  while(done < n){
    uint m = MIN(n - done, PGSIZE - off % PGSIZE);
    uint64 pa;
    int r = pc_get(ip, off / PGSIZE, PC_LOCKED, &pa);
    if(r >= 0){
      r = either_copyout(user_dst, dst, (char *)pa + off % PGSIZE, m);
      page_put(pa);
    }
    if(r < 0)
      return done > 0 ? (int)done : (r == -ENOMEM ? -ENOMEM : -EFAULT);
    done += m;
    off += m;
    dst += m;
  }
  return done;
}

// Copy up to n bytes from offset off of the file to dst (a user virtual address if user_dst,
// else a kernel address).  Returns the bytes copied (0 at or past the end of the file), or
// -EFAULT if dst is bad before anything was copied.  Caller holds ip->lock.  Never changes the
// disk, so it may run outside a transaction.
int
readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n)
{
  if(off >= ip->size)
    return 0;
  if(n > ip->size - off)
    n = ip->size - off;
  if(ip->type == T_FILE)
    return readi_cached(ip, user_dst, dst, off, n);

  uint done = 0;
  while(done < n){
    uint m = MIN(n - done, BSIZE - off % BSIZE);
    uint addr = bmap(ip, off / BSIZE, 0);
    int r;
    if(addr == 0){
      r = either_copyout(user_dst, dst, zeroblock, m);
    } else {
      struct buf *bp = bread(ip->dev, addr);
      r = either_copyout(user_dst, dst, bp->data + off % BSIZE, m);
      brelse(bp);
    }
    if(r < 0)
      return done > 0 ? (int)done : -EFAULT;
    done += m;
    off += m;
    dst += m;
  }
  return done;
}

// Copy n bytes from src (user virtual address if user_src, else kernel address) into the file
// at offset off, growing it if needed.  Returns the bytes written -- fewer than n if the disk
// filled up, src went bad part way, or the file reached MAXFILE -- or, if nothing could be
// written, -ENOSPC, -EFAULT, -EFBIG (off is already at MAXFILE) or -EINVAL (off is past the
// end: files have no holes).  Caller holds ip->lock, inside a transaction.
static int write_blocks(struct inode *ip, int user_src, uint64 src, uint off, uint n, int cached);

int
writei(struct inode *ip, int user_src, uint64 src, uint off, uint n)
{
  return write_blocks(ip, user_src, src, off, n, ip->type == T_FILE);
}

// Write the part of page `index` of ip that lies before end of file from the page at src, in
// one transaction (at most PGSIZE/BSIZE data blocks, the inode, and blocks allocated for
// holes: within MAXOPBLOCKS), as write() would.  0 or -errno.  Caller holds no locks.
static int
writepage_logged(struct inode *ip, uint index, char *src)
{
  _Static_assert(2 * (PGSIZE / BSIZE) + 2 <= MAXOPBLOCKS, "a page must fit a transaction");
  begin_op();
  ilock(ip);
  uint off = index * PGSIZE;
  int r = 0;
  if(off < ip->size){
    uint n = MIN(PGSIZE, ip->size - off);
    r = write_blocks(ip, 0, (uint64)src, off, n, 0);
    if(r >= 0 && (uint)r < n)
      r = -ENOSPC;
  }
  iunlock(ip);
  end_op();
  return r < 0 ? r : 0;
}

// Set up pg to write page `index` of ip from src where its blocks are: 1 if so (whole blocks
// in pg, a last block that end of file cuts short written here through the buffer cache), 0
// if nothing of it lies before end of file, -1 if a block is missing.  Caller holds ip->lock.
static int
home_blocks(struct inode *ip, uint index, char *src, struct pageio *pg)
{
  uint off = index * PGSIZE;
  if(off >= ip->size)
    return 0;
  uint len = MIN(PGSIZE, ip->size - off);
  uint nblk = (len + BSIZE - 1) / BSIZE;
  map_blocks(ip, off / BSIZE, nblk, pg->block);
  for(uint k = 0; k < nblk; k++)
    if(pg->block[k] == 0)
      return -1;
  for(uint k = nblk; k < PAGEBLOCKS; k++)
    pg->block[k] = 0;
  if(len % BSIZE){                 // the bytes past end of file stay as they are on disk
    struct buf *bp = bread(ip->dev, pg->block[nblk - 1]);
    memmove(bp->data, src + (nblk - 1) * BSIZE, len % BSIZE);
    bwrite(bp);
    brelse(bp);
    pg->block[nblk - 1] = 0;
  }
  pg->data = src;
  return 1;
}

// Write back the page-cache pages pa[0..n) of ip (n <= 64; pc_index() says which page of the
// file each is, and the caller keeps them in writeback), the part of each
// before end of file.  A page whose blocks exist -- every page, unless a write failed half
// way -- goes straight to its home blocks, all in one batch of disk requests, without the log
// (ext4's data=ordered): no metadata changes, so whatever a crash cuts off, the file system is
// consistent, and the page is on disk when this returns.  The transaction held meanwhile
// writes no block of its own; it keeps a commit from installing an older logged copy of one of
// these blocks (from a write()) over the new data.  A page with a missing block goes through
// the log, as write() would.  0 or -errno.  Caller holds no locks.
int
writepages(struct inode *ip, uint64 *pa, int n)
{
  struct disk_batch bt = {0};
  uint64 logged = 0;               // pages that need the log
  if(n < 1 || n > 64)
    panic("writepages: bad page count");
  begin_op();
  ilock(ip);
  for(int i = 0; i < n; i++){
    struct pageio pg;
    int r = home_blocks(ip, pc_index(pa[i]), (char *)pa[i], &pg);
    if(r > 0)
      bio_page(&bt, ip->dev, &pg, 1);
    else if(r < 0)
      logged |= 1UL << i;
  }
  virtio_disk_wait(&bt);
  iunlock(ip);
  end_op();
  for(int i = 0; i < n; i++){
    if(logged & (1UL << i)){
      int r = writepage_logged(ip, pc_index(pa[i]), (char *)pa[i]);
      if(r < 0)
        return r;
    }
  }
  return 0;
}

// writei; with `cached`, bytes written also go into the page-cache page that holds them, if
// there is one.
static int
write_blocks(struct inode *ip, int user_src, uint64 src, uint off, uint n, int cached)
{
  const uint maxbytes = MAXFILE * BSIZE;

  if(off > ip->size)
    return -EINVAL;
  if(n == 0)
    return 0;
  if(off >= maxbytes)
    return -EFBIG;
  if(n > maxbytes - off)
    n = maxbytes - off;

  uint oldsize = ip->size;
  uint oldaddrs[NDIRECT + 1];
  memmove(oldaddrs, ip->addrs, sizeof(oldaddrs));
  uint done = 0;
  int err = 0;
  while(done < n){
    uint m = MIN(n - done, BSIZE - off % BSIZE);
    uint addr = bmap(ip, off / BSIZE, 1);
    if(addr == 0){
      err = -ENOSPC;
      break;
    }
    // A whole block is overwritten: no need to read it first.
    struct buf *bp = m == BSIZE ? bread_overwrite(ip->dev, addr) : bread(ip->dev, addr);
    int r = either_copyin(bp->data + off % BSIZE, user_src, src, m);
    // Log the block even if the copy failed: it may have changed part way, and the cache must
    // never hold changes the log does not know about.
    log_write(bp);
    if(cached)
      pc_update(ip, off, (char *)bp->data + off % BSIZE, m);
    brelse(bp);
    if(r < 0){
      err = -EFAULT;
      break;
    }
    done += m;
    off += m;
    src += m;
  }

  if(off > ip->size)
    ip->size = off;
  // A failed write may have allocated blocks it then could not fill (an indirect block but no
  // data block, or a data block whose copy faulted).  Give back whatever lies past the end of
  // the file, so that every allocated block belongs to the file's contents.
  if(err)
    ifreefrom(ip, (ip->size + BSIZE - 1) / BSIZE);
  // Written back if the size or the block map changed.
  if(ip->size != oldsize || memcmp(ip->addrs, oldaddrs, sizeof(oldaddrs)) != 0)
    iupdate(ip);

  if(done == 0 && err)
    return err;
  return done;
}

// ---- directories ----------------------------------------------------------------------------

int
namecmp(const char *s, const char *t)
{
  return strncmp(s, t, DIRSIZ);
}

// Inode number of the entry called name in directory dp (and its byte offset in *poff, if
// poff), or 0 if there is none.  Caller holds dp->lock.
static uint
dirfind(struct inode *dp, char *name, uint *poff)
{
  struct dirent de;

  if(dp->type != T_DIR)
    panic("dirfind: not a directory");
  for(uint off = 0; off < dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      panic("dirfind: short directory read");
    if(de.inum != 0 && namecmp(name, de.name) == 0){
      if(poff)
        *poff = off;
      return de.inum;
    }
  }
  return 0;
}

// Look name up in directory dp: 0 and the inode (referenced, unlocked) in *ipp, or -ENOENT, or
// -ENFILE if the inode table is full.  Caller holds dp->lock.
int
dirlookup_err(struct inode *dp, char *name, uint *poff, struct inode **ipp)
{
  uint inum = dirfind(dp, name, poff);
  if(inum == 0)
    return -ENOENT;
  struct inode *ip = iget(dp->dev, inum);
  if(ip == 0)
    return -ENFILE;
  *ipp = ip;
  return 0;
}

// The same, 0 for any failure.
struct inode*
dirlookup(struct inode *dp, char *name, uint *poff)
{
  struct inode *ip;
  return dirlookup_err(dp, name, poff, &ip) < 0 ? 0 : ip;
}

// Add the entry (name, inum) to directory dp.  0, or -EEXIST if the name is taken, or -ENOSPC
// if the directory cannot grow.  Caller holds dp->lock, inside a transaction.
int
dirlink(struct inode *dp, char *name, uint inum)
{
  struct dirent de;
  uint off;

  if(dirfind(dp, name, 0) != 0)
    return -EEXIST;

  // Reuse the first free slot, else append.
  for(off = 0; off < dp->size; off += sizeof(de)){
    if(readi(dp, 0, (uint64)&de, off, sizeof(de)) != sizeof(de))
      panic("dirlink: short directory read");
    if(de.inum == 0)
      break;
  }

  memset(&de, 0, sizeof(de));
  de.inum = inum;
  strncpy(de.name, name, DIRSIZ);
  int r = writei(dp, 0, (uint64)&de, off, sizeof(de));
  if(r == sizeof(de))
    return 0;
  if(r >= 0 || r == -EFBIG)
    return -ENOSPC;                // a directory at MAXFILE is full too
  return r;
}

// ---- path names -----------------------------------------------------------------------------

// Take the next element off *path: skip slashes, copy the element into name (DIRSIZ bytes,
// NUL-terminated if shorter) and leave *path at the following slashes-skipped remainder.
// Returns 1, 0 if there are no elements left, or -ENAMETOOLONG for an element longer than
// DIRSIZ.  Examples:  "a/bb/c" -> name "a", rest "bb/c";  "///a//bb" -> "a", "bb";
// "a" -> "a", "";  "" and "////" -> none.
static int
nextelem(char **path, char *name)
{
  char *s = *path;

  while(*s == '/')
    s++;
  if(*s == 0)
    return 0;

  char *start = s;
  while(*s != '/' && *s != 0)
    s++;
  int len = s - start;
  if(len > DIRSIZ)
    return -ENAMETOOLONG;
  memmove(name, start, len);
  if(len < DIRSIZ)
    name[len] = 0;

  while(*s == '/')
    s++;
  *path = s;
  return 1;
}

// Resolve path.  With parent == 0 the result is the inode the path names; with parent == 1 it
// is the directory holding the last element, whose name is copied into name (DIRSIZ bytes).
// Returns 0 with a referenced, unlocked inode in *ipp, or -ENOENT, -ENOTDIR, -ENAMETOOLONG,
// -ENFILE, and in parent mode -EEXIST when the path has no last element (it is "/").
// Must be called inside a transaction, since it calls iput().
static int
namex(char *path, int parent, char *name, struct inode **ipp)
{
  struct inode *ip, *next;
  char elem[DIRSIZ];
  int r;

  if(name == 0)
    name = elem;
  if(*path == 0)
    return -ENOENT;                // "" names nothing
  if(*path == '/'){
    if((ip = iget(ROOTDEV, ROOTINO)) == 0)
      return -ENFILE;
  } else {
    ip = idup(myproc()->cwd);
  }

  while((r = nextelem(&path, name)) > 0){
    ilock(ip);
    if(ip->type != T_DIR){
      iunlockput(ip);
      return -ENOTDIR;
    }
    if(parent && *path == 0){
      iunlock(ip);                 // name is the last element: ip is its directory
      *ipp = ip;
      return 0;
    }
    // Unlock ip before moving on, so that "." (next == ip) does not deadlock.
    r = dirlookup_err(ip, name, 0, &next);
    iunlockput(ip);
    if(r < 0)
      return r;
    ip = next;
  }
  if(r < 0 || parent){
    iput(ip);
    return r < 0 ? r : -EEXIST;
  }
  *ipp = ip;
  return 0;
}

int
namei_err(char *path, struct inode **ipp)
{
  return namex(path, 0, 0, ipp);
}

int
nameiparent_err(char *path, char *name, struct inode **ipp)
{
  return namex(path, 1, name, ipp);
}

struct inode*
namei(char *path)
{
  struct inode *ip;
  return namex(path, 0, 0, &ip) < 0 ? 0 : ip;
}

struct inode*
nameiparent(char *path, char *name)
{
  struct inode *ip;
  return namex(path, 1, name, &ip) < 0 ? 0 : ip;
}

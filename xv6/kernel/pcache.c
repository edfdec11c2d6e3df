// The page cache: at most one physical page per (device, inode, page index) of a file, and per
// page of a shared anonymous memory object (SHMDEV, object id, index).  It is unified: the
// pages that MAP_SHARED mappings map are the ones read() copies from and write() copies into
// (fs.c), so every mapper and every reader sees a store or a write() at once.  MAP_PRIVATE
// mappings map these pages read-only until their first store copies the page (fault.c).
//
// What this file owns:
//   - the fields of cache pages (page.h), and their reference counts, which kalloc.c's
//     page_dup/page_put hand over (struct page_cache_ops): a cache page outlives its last
//     reference, on the LRU list;
//   - the hash table of cache pages, and the LRU list of unreferenced, clean file pages that
//     kalloc() may reclaim when memory runs out;
//   - the dirty state of file pages (PG_DIRTY) and writing them back, a batch at a time
//     (through fs.c's writepages, straight to the file's blocks), and the system-wide
//     counters vmstat() reports.
//
// Locking: pcache.lock (a spinlock) guards the fields of cache pages, the hash table, the LRU
// list and the counters.  It is held only for short, non-sleeping work and never while calling
// kalloc() (which may call pc_reclaim()) or page_put(); kfree() under it is fine.  Filling a
// file's page from disk happens under the inode's sleeplock, so two processes never read the
// same page twice: the second finds the first one's page in the table once it gets the inode
// lock.  Lock order: inode sleeplock -> pcache.lock -> kalloc's lock.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "sleeplock.h"
#include "fs.h"
#include "file.h"
#include "page.h"
#include "vmstat.h"
#include "errno.h"
#include "defs.h"

#define NPCHASH 1021   // hash buckets (prime)

static struct {
  struct spinlock lock;
  struct page *hash[NPCHASH];
  struct page lru;           // sentinel: lru.lru_next is the most recently released page
  uint64 npages;             // pages with PG_CACHE
  uint64 nlru;               // pages on the LRU list
  uint64 hits, misses, writebacks, reclaimed, unmapped;
  uint64 readahead;          // pages read ahead of a sequential reader
  uint64 faultaround;        // pages mapped around a fault (atomic adds, no lock)
} pc;

static uint64 pc_reclaim(void);
static void cache_dup(struct page *pg);
static void cache_put(struct page *pg);

static const struct page_cache_ops ops = {
  .reclaim = pc_reclaim, .dup = cache_dup, .put = cache_put,
};

void
pcinit(void)
{
  initlock(&pc.lock, "pcache");
  pc.lru.lru_next = pc.lru.lru_prev = &pc.lru;
  kalloc_set_cache(&ops);         // kalloc() reclaims from us, page_put() leaves pages here
}

static uint
bucket(uint dev, uint inum, uint index)
{
  return (dev * 2654435761u ^ inum * 40503u ^ index * 2246822519u) % NPCHASH;
}

// ---- under pc.lock ---------------------------------------------------------------------------

static struct page *
lookup(uint dev, uint inum, uint index)
{
  for(struct page *pg = pc.hash[bucket(dev, inum, index)]; pg; pg = pg->hnext)
    if(pg->index == index && pg->inum == inum && pg->dev == dev)
      return pg;
  return 0;
}

static void
lru_remove(struct page *pg)
{
  if(!(pg->flags & PG_LRU))
    return;
  pg->lru_prev->lru_next = pg->lru_next;
  pg->lru_next->lru_prev = pg->lru_prev;
  pg->flags &= ~PG_LRU;
  pc.nlru--;
}

// An unreferenced cache page goes on the LRU list if it could be dropped at no cost: a clean
// file page.  (Shared anonymous pages have nowhere to go; dirty ones wait for writeback.)
static void
lru_maybe_add(struct page *pg)
{
  if(pg->ref != 0 || (pg->flags & (PG_LRU | PG_DIRTY | PG_WRITEBACK)) ||
     !(pg->flags & PG_CACHE) || pg->dev == SHMDEV)
    return;
  pg->lru_next = pc.lru.lru_next;
  pg->lru_prev = &pc.lru;
  pc.lru.lru_next->lru_prev = pg;
  pc.lru.lru_next = pg;
  pg->flags |= PG_LRU;
  pc.nlru++;
}

static void
hash_insert(struct page *pg, uint dev, uint inum, uint index)
{
  pg->dev = dev;
  pg->inum = inum;
  pg->index = index;
  pg->flags |= PG_CACHE;
  uint b = bucket(dev, inum, index);
  pg->hnext = pc.hash[b];
  pc.hash[b] = pg;
  pc.npages += (pg->flags & PG_HUGE) ? HUGEPGSIZE / PGSIZE : 1;
}

static void
hash_remove(struct page *pg)
{
  struct page **pp = &pc.hash[bucket(pg->dev, pg->inum, pg->index)];
  while(*pp != pg){
    if(*pp == 0)
      panic("hash_remove: page not in the cache");
    pp = &(*pp)->hnext;
  }
  *pp = pg->hnext;
  pg->hnext = 0;
  pg->flags &= ~(PG_CACHE | PG_DIRTY);
  pc.npages -= (pg->flags & PG_HUGE) ? HUGEPGSIZE / PGSIZE : 1;
}

// ---- references -----------------------------------------------------------------------------

static void
free_frame_or_page(uint64 pa, int huge)
{
  if(huge)
    kfree_huge((void *)pa);
  else
    kfree((void *)pa);
}

// The reference counts of cache pages (kalloc.c's page_dup and page_put send them here):
// changed under pc.lock, since lookups take references to unreferenced pages and pc_drop and
// pc_reclaim free them.  Atomically all the same: the page may have left the cache since the
// caller looked, and then its other holders count without the lock.
static void
cache_dup(struct page *pg)
{
  acquire(&pc.lock);
  if(__atomic_fetch_add(&pg->ref, 1, __ATOMIC_RELAXED) == 0 && !(pg->flags & PG_CACHE))
    panic("cache_dup: free page");
  lru_remove(pg);
  release(&pc.lock);
}

static void
cache_put(struct page *pg)
{
  acquire(&pc.lock);
  uint old = __atomic_fetch_sub(&pg->ref, 1, __ATOMIC_ACQ_REL);
  if(old == 0)
    panic("cache_put: no reference");
  int cached = pg->flags & PG_CACHE;
  if(old == 1 && cached)
    lru_maybe_add(pg);
  int huge = pg->flags & PG_HUGE;
  release(&pc.lock);
  if(old == 1 && !cached)
    free_frame_or_page(page2pa(pg), huge);
}

// The questions below read one field without the lock: the answer could change the moment the
// lock were let go anyway, so the callers treat it as a snapshot.

// Is pa an anonymous page that only the caller's PTE maps (so a store may take it back
// instead of copying it)?  While the caller's PTE holds the page, its count can only grow by
// the caller's own fork, and an anonymous page never enters the cache; a count read as 2 that
// is just falling to 1 costs one needless copy.
int
page_exclusive(uint64 pa)
{
  return page_refs(pa) == 1 && !page_cached(pa);
}

// Is pa a page-cache page (of a file, or of a shared anonymous object)?
int
page_cached(uint64 pa)
{
  return (__atomic_load_n(&pa2page(pa)->flags, __ATOMIC_ACQUIRE) & PG_CACHE) != 0;
}

// page_cached, after a full fence: fault.c's check after it maps a page (a truncation that
// drops pages from the cache fences before it looks at page tables, and the fault fences
// between mapping and looking here).
int
page_still_cached(uint64 pa)
{
  __sync_synchronize();
  return page_cached(pa);
}

// Is pa a file page marked dirty (newer than the file)?
int
page_dirty(uint64 pa)
{
  return (__atomic_load_n(&pa2page(pa)->flags, __ATOMIC_ACQUIRE) & PG_DIRTY) != 0;
}

// ---- finding and filling pages -----------------------------------------------------------------

// The cached page (dev, inum, index) with a new reference, or 0.
static uint64
find(uint dev, uint inum, uint index)
{
  acquire(&pc.lock);
  struct page *pg = lookup(dev, inum, index);
  if(pg){
    pg->ref++;
    lru_remove(pg);
    pc.hits++;
  }
  release(&pc.lock);
  return pg ? page2pa(pg) : 0;
}

// For fault-around: of the pages index + k of file ip (k < n, bit k set in want), the cached
// ones, each with a new reference, in pa[k]; returns the mask of those found.  Pages past end
// of file are not looked for.
uint
pc_find_pages(struct inode *ip, uint index, uint n, uint want, uint64 *pa)
{
  uint found = 0;
  uint npages = (ip->size + PGSIZE - 1) / PGSIZE;   // a snapshot: install-time checks decide
  acquire(&pc.lock);
  for(uint k = 0; k < n && index + k < npages; k++){
    if(!(want & (1u << k)))
      continue;
    struct page *pg = lookup(ip->dev, ip->inum, index + k);
    if(pg){
      pg->ref++;
      lru_remove(pg);
      pa[k] = page2pa(pg);
      found |= 1u << k;
    }
  }
  release(&pc.lock);
  return found;
}

// Fault-around mapped n pages (faultaround.c).
void
pc_note_faultaround(int n)
{
  __atomic_fetch_add(&pc.faultaround, (uint64)n, __ATOMIC_RELAXED);
}

// Is page `index` of file ip (of shared anonymous object id) in the cache?  For mincore.
int
pc_cached(struct inode *ip, uint index)
{
  acquire(&pc.lock);
  int c = lookup(ip->dev, ip->inum, index) != 0;
  release(&pc.lock);
  return c;
}

int
pc_cached_shm(uint id, uint index)
{
  acquire(&pc.lock);
  int c = lookup(SHMDEV, id, index) != 0;
  release(&pc.lock);
  return c;
}

// ---- readahead ----------------------------------------------------------------------------------
//
// A miss on the page a sequential reader (read() or faults) would want next reads a window of
// pages in one batch of disk requests: RA_INIT pages at first, twice the last window after that,
// up to RA_MAX (a simplified form of Linux's on-demand readahead).  A miss anywhere else reads
// just that page and starts watching from there.  Only pages not cached yet are read (the
// window stops at the first one that is), none past end of file, and none while memory is low;
// the extra pages go into the cache unreferenced, clean, on the LRU list: reclaim takes them
// back first if nobody uses them.  The state (ra_next, ra_pages) is the inode's, under its lock.

#define RA_INIT    4          // pages of the first window
#define RA_MAX     16         // pages of the largest window
#define RA_MINFREE 256        // free pages below which nothing is read ahead

// How many pages to read for a miss on page index of ip (with PC_RANDOM in flags: just that
// one).  Caller holds ip->lock.
static uint
ra_window(struct inode *ip, uint index, int flags)
{
  uint want = 1;
  if(!(flags & PC_RANDOM) && index == ip->ra_next && kfreepages() >= RA_MINFREE)
    want = ip->ra_pages ? ip->ra_pages * 2 : RA_INIT;
  if(want > RA_MAX)
    want = RA_MAX;
  uint npages = (ip->size + PGSIZE - 1) / PGSIZE;
  if(want > npages - index)
    want = npages - index;
  return want;
}

// Read page index of ip (not cached) and the pages ra_window() adds after it into new cache
// pages; page index with a reference for the caller, in *pap.  flags: pc_get's.  PC_READ or
// -ENOMEM.  Caller holds ip->lock.
static int
read_pages(struct inode *ip, uint index, int flags, uint64 *pap)
{
  char *mem[RA_MAX];
  uint want = ra_window(ip, index, flags), n = 0;
  for(; n < want; n++){
    if(n > 0 && pc_cached(ip, index + n))
      break;
    if((mem[n] = kalloc()) == 0)
      break;
  }
  if(n == 0)
    return -ENOMEM;
  readpages(ip, index, mem, n);   // while we hold ip->lock nobody else can insert these pages
  acquire(&pc.lock);
  for(uint i = 0; i < n; i++){
    struct page *pg = pa2page((uint64)mem[i]);
    hash_insert(pg, ip->dev, ip->inum, index + i);
    if(i > 0){
      pg->ref = 0;                 // nobody's yet: reclaimable
      lru_maybe_add(pg);
    }
  }
  pc.misses++;
  pc.readahead += n - 1;
  release(&pc.lock);
  ip->ra_next = index + n;
  ip->ra_pages = n > 1 ? n : 0;
  *pap = (uint64)mem[0];
  return PC_READ;
}

// Page `index` of file ip, with a reference for the caller, in *pap.  Returns PC_HIT (it was
// cached), PC_READ (read from disk now, with the pages readahead adds), or -ENXIO (the page
// lies wholly past end of file), -EAGAIN (not cached and `flags` has PC_NOIO), -ENOMEM.  The
// caller holds ip's sleeplock iff `flags` has PC_LOCKED; otherwise it is taken for the disk
// read.  With PC_RANDOM a miss reads that page alone.  Only regular files.
int
pc_get(struct inode *ip, uint index, int flags, uint64 *pap)
{
  if((uint64)index * PGSIZE >= ip->size)    // read without the lock: size changes only under it
    return -ENXIO;
  if((*pap = find(ip->dev, ip->inum, index)) != 0)
    return PC_HIT;
  if(flags & PC_NOIO)
    return -EAGAIN;
  if(!(flags & PC_LOCKED))
    ilock(ip);
  int r;
  if((uint64)index * PGSIZE >= ip->size)
    r = -ENXIO;
  else if((*pap = find(ip->dev, ip->inum, index)) != 0)
    r = PC_HIT;                   // read by someone else while we waited for the lock
  else
    r = read_pages(ip, index, flags, pap);
  if(!(flags & PC_LOCKED))
    iunlock(ip);
  return r;
}

// Page `index` of shared anonymous object `id` -- with huge, the 2 MiB frame (MAP_HUGETLB)
// starting there, index a multiple of 512 -- created zero-filled if it is new, with a
// reference for the caller, in *pap.  PC_HIT, PC_ZERO, or -ENOMEM.
int
pc_get_shm(uint id, uint index, int huge, uint64 *pap)
{
  if((*pap = find(SHMDEV, id, index)) != 0)
    return PC_HIT;
  uint64 size = huge ? HUGEPGSIZE : PGSIZE;
  char *mem = huge ? kalloc_huge() : kalloc();
  if(mem == 0)
    return -ENOMEM;
  for(uint64 off = 0; off < size; off += PGSIZE)
    zero_page(mem + off);
  acquire(&pc.lock);
  struct page *pg = lookup(SHMDEV, id, index);
  if(pg){                          // another process of the object made it meanwhile
    pg->ref++;
    pc.hits++;
  } else {
    hash_insert(pa2page((uint64)mem), SHMDEV, id, index);
    pc.misses++;
  }
  release(&pc.lock);
  if(pg){
    free_frame_or_page((uint64)mem, huge);
    *pap = page2pa(pg);
    return PC_HIT;
  }
  *pap = (uint64)mem;
  return PC_ZERO;
}

// write() changed bytes [off, off+n) of file ip (n within one page), now in src: if that page
// is cached, copy them in, so mappings and later reads see them.  Caller holds ip->lock.
void
pc_update(struct inode *ip, uint off, char *src, uint n)
{
  acquire(&pc.lock);
  struct page *pg = lookup(ip->dev, ip->inum, off / PGSIZE);
  if(pg)
    memmove((char *)page2pa(pg) + off % PGSIZE, src, n);
  release(&pc.lock);
}

// Drop pages [from, to) of object (dev, inum) from the cache (truncation, a freed inode, the
// end of a shared anonymous object).  Unreferenced pages are freed; pages still mapped leave
// the cache and live on, anonymous, until unmapped.
void
pc_drop(uint dev, uint inum, uint from, uint to)
{
  for(uint index = from; index < to; index++){
    acquire(&pc.lock);
    struct page *pg = lookup(dev, inum, index);
    int gone = 0, huge = 0;
    if(pg){
      gone = pg->ref == 0;        // before it leaves: then holders count without the lock
      huge = pg->flags & PG_HUGE;
      lru_remove(pg);
      hash_remove(pg);
    }
    release(&pc.lock);
    if(gone)
      free_frame_or_page(page2pa(pg), huge);
  }
}

// The file ip shrinks to newsize bytes: pages wholly past the new end leave the cache (see
// pc_drop), and the rest of the last page past it reads as zeros from now on.  Caller holds
// ip->lock; ip->size is still the old size.
void
pc_truncate(struct inode *ip, uint newsize)
{
  uint keep = (newsize + PGSIZE - 1) / PGSIZE;
  pc_drop(ip->dev, ip->inum, keep, (ip->size + PGSIZE - 1) / PGSIZE);
  if(newsize % PGSIZE == 0)
    return;
  acquire(&pc.lock);
  struct page *pg = lookup(ip->dev, ip->inum, newsize / PGSIZE);
  if(pg)
    memset((char *)page2pa(pg) + newsize % PGSIZE, 0, PGSIZE - newsize % PGSIZE);
  release(&pc.lock);
}

// ---- dirty pages and writeback ---------------------------------------------------------------

// A store reached file page pa (a harvested D bit, or a write fault): it must be written back.
void
pc_set_dirty(uint64 pa)
{
  struct page *pg = pa2page(pa);
  acquire(&pc.lock);
  if((pg->flags & PG_CACHE) && pg->dev != SHMDEV){
    pg->flags |= PG_DIRTY;
    lru_remove(pg);
  }
  release(&pc.lock);
}

#define WB_BATCH 8             // pages pc_sync_range writes back in one batch

// Claim page pg for writeback if it is dirty: 1 if so (PG_WRITEBACK set, PG_DIRTY cleared, so
// a store that lands meanwhile marks it dirty again), else 0.  If another process is writing
// it back right now, wait for that first, so that once the caller's writeback is done
// everything stored before the call is on disk (msync's MS_SYNC, fsync).
static int
wb_claim(struct page *pg)
{
  acquire(&pc.lock);
  while(pg->flags & PG_WRITEBACK)
    sleep(pg, &pc.lock);
  int dirty = (pg->flags & (PG_CACHE | PG_DIRTY)) == (PG_CACHE | PG_DIRTY);
  if(dirty)
    pg->flags = (pg->flags & ~PG_DIRTY) | PG_WRITEBACK;
  release(&pc.lock);
  return dirty;
}

// Writeback of a claimed page is over: dirty again if it failed.
static void
wb_finish(struct page *pg, int err)
{
  acquire(&pc.lock);
  pg->flags &= ~PG_WRITEBACK;
  if(err)
    pg->flags |= PG_DIRTY;
  else
    pc.writebacks++;
  lru_maybe_add(pg);
  wakeup(pg);
  release(&pc.lock);
}

// Write the dirty ones of the n file pages pa[0..n) of ip, each referenced by the caller, to
// disk -- their bytes before end of file -- in one batch: the number written, or -errno (then
// they stay dirty).  The dirty pages move to the front of pa[] (no array of our own: this runs
// deep in munmap and exec, on a one-page kernel stack).
int
pc_writeback_pages(struct inode *ip, uint64 *pa, int n)
{
  int k = 0;
  for(int i = 0; i < n; i++){
    struct page *pg = pa2page(pa[i]);
    if(!wb_claim(pg))
      continue;
    if(pg->dev != ip->dev || pg->inum != ip->inum)
      panic("pc_writeback_pages: page of another file");
    uint64 t = pa[k];
    pa[k++] = pa[i];
    pa[i] = t;
  }
  if(k == 0)
    return 0;
  int err = writepages(ip, pa, k);
  for(int i = 0; i < k; i++)
    wb_finish(pa2page(pa[i]), err);
  return err ? err : k;
}

// The page index within its file of cache page pa, which the caller holds in writeback.
uint
pc_index(uint64 pa)
{
  return pa2page(pa)->index;
}

// If file page pa (of ip, and referenced by the caller) is dirty, write it back (see
// pc_writeback_pages): 1 if it was written, 0 if clean, or -errno.
int
pc_writeback(struct inode *ip, uint64 pa)
{
  return pc_writeback_pages(ip, &pa, 1);
}

// Write back every dirty cached page of file ip.  The number written, or -errno.
int
pc_sync_inode(struct inode *ip)
{
  return pc_sync_range(ip, 0, (ip->size + PGSIZE - 1) / PGSIZE);
}

// Write back the dirty cached pages [from, to) of file ip, WB_BATCH at a time.  The number
// written, or -errno.
int
pc_sync_range(struct inode *ip, uint from, uint to)
{
  int n = 0;
  uint npages = (ip->size + PGSIZE - 1) / PGSIZE;
  if(to > npages)
    to = npages;
  uint index = from;
  while(index < to){
    uint64 pa[WB_BATCH];
    int k = 0;
    acquire(&pc.lock);
    for(; index < to && k < WB_BATCH; index++){
      struct page *pg = lookup(ip->dev, ip->inum, index);
      if(pg && (pg->flags & (PG_DIRTY | PG_WRITEBACK))){   // in flight: wait for it
        pg->ref++;                 // keep it while we write
        lru_remove(pg);
        pa[k++] = page2pa(pg);
      }
    }
    release(&pc.lock);
    int r = k ? pc_writeback_pages(ip, pa, k) : 0;
    for(int i = 0; i < k; i++)
      page_put(pa[i]);
    if(r < 0)
      return r;
    n += r;
  }
  return n;
}

// Write back every dirty page in the cache.  The number written, or -errno (the first error).
int
pc_sync_all(void)
{
  int n = 0, err = 0;
  for(uint b = 0; b < NPCHASH; b++){
    // One pass per file with dirty pages in this bucket; bounded, because other processes
    // may keep dirtying pages while we write.
    for(int pass = 0; pass < 16; pass++){
      acquire(&pc.lock);
      struct page *pg = pc.hash[b];
      while(pg && !(pg->flags & PG_DIRTY))
        pg = pg->hnext;
      uint dev = 0, inum = 0;
      if(pg){
        dev = pg->dev;
        inum = pg->inum;
      }
      release(&pc.lock);
      if(pg == 0)
        break;
      struct inode *ip = iget_ref(dev, inum);
      if(ip == 0)
        return -ENFILE;
      ilock(ip);                   // read it in: pc_sync_inode needs its size
      iunlock(ip);
      int r = pc_sync_inode(ip);
      begin_op();
      iput(ip);
      end_op();
      if(r < 0){
        err = err ? err : r;
        break;                     // leave this bucket: its dirty page stays dirty
      }
      n += r;
    }
  }
  return err ? err : n;
}

// ---- memory pressure ---------------------------------------------------------------------------

// Take the least recently used reclaimable page out of the cache for kalloc(): its address,
// or 0 if there is none.  The caller gets it as if freshly allocated.
static uint64
pc_reclaim(void)
{
  acquire(&pc.lock);
  struct page *pg = pc.lru.lru_prev;
  if(pg == &pc.lru){
    release(&pc.lock);
    return 0;
  }
  lru_remove(pg);
  hash_remove(pg);
  pc.reclaimed++;
  release(&pc.lock);
  return page2pa(pg);
}

// The reclaimer (reclaim.c) took n PTEs of file pages out of processes.
void
pc_note_sweep(uint64 n)
{
  acquire(&pc.lock);
  pc.unmapped += n;
  release(&pc.lock);
}

// How many pages pc_reclaim() could give back now (a snapshot, read without the lock).
uint64
pc_reclaimable(void)
{
  return __atomic_load_n(&pc.nlru, __ATOMIC_RELAXED);
}

// The page-cache part of vmstat().
void
pc_stats(struct vmstat *st)
{
  acquire(&pc.lock);
  st->cache_pages = pc.npages;
  st->cache_hits = pc.hits;
  st->cache_misses = pc.misses;
  st->writeback_pages = pc.writebacks;
  st->reclaimed_pages = pc.reclaimed;
  st->reclaim_unmapped = pc.unmapped;
  st->readahead_pages = pc.readahead;
  st->faultaround_pages = __atomic_load_n(&pc.faultaround, __ATOMIC_RELAXED);
  release(&pc.lock);
}

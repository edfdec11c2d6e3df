// mapfiletest: file-backed and shared mmap, the unified page cache, copy-on-write fork, dirty
// writeback (msync, munmap, exit, fsync, sync), fault counters (getrusage, vmstat) and pagemap.
//
//   mapfiletest [NAME ...]        the harness of user/check.h (no NAME: every test in table
//                                 order; -l lists them)
//   mapfiletest -exit             exit at once (t_exec runs it)
//
// Each test makes its own files (mf_*), written with write() only, so that none of their pages
// is in the page cache when the test maps them.  Byte o of a file made with seed s is
// fbyte(s, o); a mark (off, n, tag) overwrites bytes off..off+n-1 with (tag + 5*j) & 0xff.
// tests/system/test_mmap_file.py recomputes every file's final contents from the same rules
// and compares them with the disk image after poweroff: change the two together.
//
// Fault counts are compared as deltas around one action.  counts() stores into its buffer
// before the system calls fill it, so a copy-on-write stack page is copied by that store and
// not counted between two snapshots.  Children report failed checks through their exit status.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/stat.h"
#include "user/user.h"

#define TEST_NAME "mapfiletest"
#include "user/check.h"

#define PG 4096

static int wp;          // the kernel tracks dirty shared pages by write faults (DIRTY_WP)


// ---- file contents ---------------------------------------------------------------------------

static uchar
fbyte(int seed, uint64 o)
{
  return (o + (o >> 8) * 7 + (o >> 12) * 31 + seed * 101) & 0xff;
}

static uchar
markbyte(int tag, int j)
{
  return (tag + 5 * j) & 0xff;
}

struct mark {
  uint64 off;
  int n;
  int tag;
};

static void
mark(char *p, int n, int tag)
{
  for(int j = 0; j < n; j++)
    p[j] = markbyte(tag, j);
}

static int
marked(const char *p, int n, int tag)
{
  for(int j = 0; j < n; j++)
    if((uchar)p[j] != markbyte(tag, j))
      return 0;
  return 1;
}

static void
fill(char *b, int seed, uint64 off, int n)
{
  for(int j = 0; j < n; j++)
    b[j] = fbyte(seed, off + j);
}

// Index of the first byte of p[0..n) that is not fbyte(seed, off + i); -1 if none.
static long
pattern_diff(const char *p, int seed, uint64 off, uint64 n)
{
  for(uint64 i = 0; i < n; i++)
    if((uchar)p[i] != fbyte(seed, off + i))
      return i;
  return -1;
}

static int
all_zero(const char *p, int n)
{
  for(int j = 0; j < n; j++)
    if(p[j])
      return 0;
  return 1;
}

static char buf[PG];          // scratch for read() and write()
static char want[PG];         // expected_file's expected page

// Create name (replacing an old one) holding size bytes of pattern seed, written with write().
static int
mkfile(const char *name, int seed, uint64 size)
{
  unlink(name);
  int fd = open(name, O_CREATE | O_RDWR);
  if(fd < 0)
    return -1;
  for(uint64 off = 0; off < size; off += PG){
    int n = size - off < PG ? size - off : PG;
    fill(buf, seed, off, n);
    if(write(fd, buf, n) != n){
      close(fd);
      return -1;
    }
  }
  close(fd);
  return 0;
}

// Read n bytes at offset off of name into dst (n <= PG unless dst is big enough); bytes read.
static int
readfile(const char *name, uint64 off, char *dst, int n)
{
  int fd = open(name, O_RDONLY);
  if(fd < 0)
    return -1;
  while(off > 0){
    int k = off < PG ? off : PG;
    if(read(fd, buf, k) != k){
      close(fd);
      return -1;
    }
    off -= k;
  }
  int got = 0;
  while(got < n){
    int r = read(fd, dst + got, n - got);
    if(r <= 0)
      break;
    got += r;
  }
  close(fd);
  return got;
}

// Check with stat() and read() that name holds size bytes: pattern seed, then marks.
static void
expect_file(int line, const char *name, int seed, uint64 size, const struct mark *m, int nm)
{
  struct stat st;
  if(stat(name, &st) < 0 || st.size != size){
    char msg[100];
    snprintf(msg, sizeof(msg), "%s: size %l, expected %l", name,
             stat(name, &st) < 0 ? -1L : (long)st.size, (long)size);
    check_fail(__FILE_NAME__, line, msg);
    return;
  }
  int fd = open(name, O_RDONLY);
  for(uint64 off = 0; off < size; off += PG){
    int n = size - off < PG ? size - off : PG;
    fill(want, seed, off, n);
    for(int i = 0; i < nm; i++)
      for(int j = 0; j < m[i].n; j++)
        if(m[i].off + j >= off && m[i].off + j < off + n)
          want[m[i].off + j - off] = markbyte(m[i].tag, j);
    int got = 0;
    while(got < n){
      int r = read(fd, buf + got, n - got);
      if(r <= 0)
        break;
      got += r;
    }
    if(got != n || memcmp(buf, want, n) != 0){
      int i = 0;
      while(i < got && buf[i] == want[i])
        i++;
      char msg[100];
      snprintf(msg, sizeof(msg), "%s: offset %l: %x, expected %x", name, (long)(off + i),
               i < got ? (uchar)buf[i] : 0x100, (uchar)want[i]);
      check_fail(__FILE_NAME__, line, msg);
      break;
    }
  }
  close(fd);
}

#define EXPECT_FILE(name, seed, size, marks) \
  expect_file(__LINE__, name, seed, size, marks, sizeof(marks) / sizeof(marks[0]))

// ---- memory helpers --------------------------------------------------------------------------

static char *
fmap(uint64 len, int prot, int flags, const char *name, int omode, uint64 off)
{
  int fd = open(name, omode);
  if(fd < 0)
    return MAP_FAILED;
  char *p = mmap(0, len, prot, flags, fd, off);
  int e = errno;
  close(fd);            // the mapping keeps its own reference to the file
  errno = e;
  return p;
}

static char *
anon(uint64 len, int flags)
{
  return mmap(0, len, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | flags, -1, 0);
}

// The pagemap entry of addr (0 if nothing is mapped there).
static uint64
pm(void *addr)
{
  uint64 e = 0;
  int r = pagemap(addr, &e);
  CHECK(r == 0, "pagemap(%p): errno %d", addr, errno);
  return e;
}

#define PFN(e) ((e) & PM_PFRAME_MASK)

static void
touch_read(char *p)
{
  volatile char c = *p;
  (void)c;
}

static void
touch_write(char *p)
{
  *(volatile char *)p = 1;
}

// Read one byte of each of n pages from p.
static void
touch_pages(char *p, int n)
{
  for(int k = 0; k < n; k++)
    touch_read(p + (uint64)k * PG);
}

// The exit status of child pid (12345 if it cannot be had).
static int
wait_for(int pid)
{
  int st = 12345;
  if(pid < 0 || wait(&st) != pid)
    return 12345;
  return st;
}

// A forked child counts its own failures and reports them as its exit status.
static void
child_exit(void)
{
  exit(failures < 100 ? failures : 100);
}

// ---- fault counters --------------------------------------------------------------------------

struct counts {
  struct rusage ru;
  struct vmstat vm;
};

static void
counts(struct counts *c)
{
  memset(c, 0, sizeof(*c));
  if(getrusage(RUSAGE_SELF, &c->ru) < 0 || vmstat(&c->vm) < 0)
    CHECK(0, "getrusage/vmstat: errno %d", errno);
}

#define DRU(a, b, f) ((long)((b).ru.f - (a).ru.f))
#define DVM(a, b, f) ((long)((b).vm.f - (a).vm.f))

// ---- tests -----------------------------------------------------------------------------------

// Argument checks for file mappings; fd closed right after mmap.
static void
t_errors(void)
{
  CHECK(mkfile("mf_err", 1, 2 * PG) == 0, "create mf_err");
  int rd = open("mf_err", O_RDONLY);
  int wr = open("mf_err", O_WRONLY);
  int rw = open("mf_err", O_RDWR);
  CHECK(rd >= 0 && wr >= 0 && rw >= 0, "open mf_err");
  char *p;

  p = mmap(0, PG, PROT_READ, MAP_SHARED, wr, 0);
  CHECK(p == MAP_FAILED && errno == EACCES, "shared map of O_WRONLY fd: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, MAP_PRIVATE, wr, 0);
  CHECK(p == MAP_FAILED && errno == EACCES, "private map of O_WRONLY fd: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, rd, 0);
  CHECK(p == MAP_FAILED && errno == EACCES, "writable shared map of O_RDONLY fd: %p errno %d",
        p, errno);
  p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, rd, 0);
  CHECK(p == MAP_FAILED && errno == EACCES, "writable validate map of O_RDONLY: %p errno %d",
        p, errno);

  // private and writable on a read-only fd: allowed, and the stores stay private
  p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, rd, 0);
  CHECK(p != MAP_FAILED, "writable private map of O_RDONLY fd: errno %d", errno);
  if(p != MAP_FAILED){
    CHECK(pattern_diff(p, 1, 0, 2 * PG) == -1, "private mapping contents");
    mark(p + 5, 100, 0x11);
    CHECK(marked(p + 5, 100, 0x11), "private store");
    CHECK(munmap(p, 2 * PG) == 0, "munmap");
  }

  p = mmap(0, PG, PROT_READ, MAP_PRIVATE, 15, 0);
  CHECK(p == MAP_FAILED && errno == EBADF, "closed fd: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, MAP_SHARED, -1, 0);
  CHECK(p == MAP_FAILED && errno == EBADF, "fd -1 without MAP_ANONYMOUS: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, MAP_SHARED, 1000, 0);
  CHECK(p == MAP_FAILED && errno == EBADF, "fd 1000: %p errno %d", p, errno);

  int dir = open(".", O_RDONLY);
  p = mmap(0, PG, PROT_READ, MAP_PRIVATE, dir, 0);
  CHECK(p == MAP_FAILED && errno == ENODEV, "directory: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, MAP_SHARED, dir, 0);
  CHECK(p == MAP_FAILED && errno == ENODEV, "directory, shared: %p errno %d", p, errno);
  close(dir);
  int fds[2];
  CHECK(pipe(fds) == 0, "pipe");
  p = mmap(0, PG, PROT_READ, MAP_PRIVATE, fds[0], 0);
  CHECK(p == MAP_FAILED && errno == ENODEV, "pipe: %p errno %d", p, errno);
  close(fds[0]);
  close(fds[1]);
  p = mmap(0, PG, PROT_READ, MAP_SHARED, 0, 0);
  CHECK(p == MAP_FAILED && errno == ENODEV, "console: %p errno %d", p, errno);

  p = mmap(0, PG, PROT_READ, MAP_SHARED, rw, 100);
  CHECK(p == MAP_FAILED && errno == EINVAL, "offset 100: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, MAP_PRIVATE, rw, PG + 1);
  CHECK(p == MAP_FAILED && errno == EINVAL, "offset PG+1: %p errno %d", p, errno);
  p = mmap(0, 0, PROT_READ, MAP_SHARED, rw, 0);
  CHECK(p == MAP_FAILED && errno == EINVAL, "len 0: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, 0, rw, 0);
  CHECK(p == MAP_FAILED && errno == EINVAL, "no map type: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, 0x0f, rw, 0);
  CHECK(p == MAP_FAILED && errno == EINVAL, "map type 0xf: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, 0x04, rw, 0);
  CHECK(p == MAP_FAILED && errno == EINVAL, "map type 4: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, MAP_SHARED_VALIDATE | (1 << 22), rw, 0);
  CHECK(p == MAP_FAILED && errno == EOPNOTSUPP, "validate, unknown bit: %p errno %d", p, errno);
  p = mmap(0, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, rw, 0);
  CHECK(p == MAP_FAILED && errno == EOPNOTSUPP, "validate|MAP_SYNC: %p errno %d", p, errno);

  // plain MAP_SHARED ignores MAP_SYNC and unknown bits
  p = mmap(0, PG, PROT_READ, MAP_SHARED | MAP_SYNC, rw, 0);
  CHECK(p != MAP_FAILED, "MAP_SHARED|MAP_SYNC: errno %d", errno);
  if(p != MAP_FAILED){
    CHECK(p[7] == (char)fbyte(1, 7), "MAP_SYNC mapping contents");
    munmap(p, PG);
  }
  p = mmap(0, PG, PROT_READ, MAP_SHARED | (1 << 22), rw, PG);
  CHECK(p != MAP_FAILED, "MAP_SHARED with an unknown bit: errno %d", errno);
  if(p != MAP_FAILED){
    CHECK(p[7] == (char)fbyte(1, PG + 7), "offset PG contents");
    munmap(p, PG);
  }

  // the fd may be closed right after mmap
  int fd = open("mf_err", O_RDONLY);
  p = mmap(0, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
  close(fd);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p != MAP_FAILED){
    CHECK(pattern_diff(p, 1, 0, 2 * PG) == -1, "mapping of a closed fd");
    munmap(p, 2 * PG);
  }

  // mprotect cannot give a shared mapping more than the file's open mode
  char *s = mmap(0, 2 * PG, PROT_READ, MAP_SHARED, rd, 0);
  char *q = mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE, rd, 0);
  CHECK(s != MAP_FAILED && q != MAP_FAILED, "mmap: errno %d", errno);
  close(rd);
  if(s != MAP_FAILED && q != MAP_FAILED){
    CHECK(mprotect(s, PG, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
          "mprotect RW of a shared read-only-fd mapping: errno %d", errno);
    CHECK(in_child(touch_write, s) == -1, "store to the shared read-only mapping not killed");
    CHECK(mprotect(q, 2 * PG, PROT_READ | PROT_WRITE) == 0, "mprotect RW, private: errno %d",
          errno);
    q[PG + 1] = 'q';
    CHECK(q[PG + 1] == 'q' && s[PG + 1] == (char)fbyte(1, PG + 1), "private store after mprotect");
    munmap(s, 2 * PG);
    munmap(q, 2 * PG);
  }
  close(wr);
  close(rw);
  struct mark none[1] = { { 0, 0, 0 } };
  EXPECT_FILE("mf_err", 1, 2 * PG, none);
}

// Lazy mapping, major and minor faults, the page staying cached after munmap.
static void
t_lazy(void)
{
  CHECK(mkfile("mf_lazy", 2, 4 * PG) == 0, "create");
  struct counts a, b;
  struct rusage c0, c1;
  int fd = open("mf_lazy", O_RDONLY);     // open() may read directory blocks: not counted
  counts(&a);
  char *p = mmap(0, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
  counts(&b);
  close(fd);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  CHECK(DRU(a, b, ru_majflt) == 0 && DRU(a, b, ru_minflt) == 0 &&
        DVM(a, b, cache_misses) == 0 && DVM(a, b, cache_hits) == 0 && DVM(a, b, disk_reads) == 0,
        "mmap itself faulted or read: majflt %l minflt %l misses %l hits %l disk reads %l",
        DRU(a, b, ru_majflt), DRU(a, b, ru_minflt), DVM(a, b, cache_misses),
        DVM(a, b, cache_hits), DVM(a, b, disk_reads));
  for(int k = 0; k < 4; k++)
    CHECK(pm(p + k * PG) == 0, "page %d present before its first touch: %lx", k, pm(p + k * PG));

  counts(&a);
  touch_read(p + 100);
  counts(&b);
  CHECK(DRU(a, b, ru_majflt) == 1 && DRU(a, b, ru_minflt) == 0,
        "first touch of an uncached page: majflt %l minflt %l", DRU(a, b, ru_majflt),
        DRU(a, b, ru_minflt));
  CHECK(DVM(a, b, cache_misses) == 1, "cache misses %l", DVM(a, b, cache_misses));
  // the miss read the rest of the file ahead (a first window of 4 pages), and fault-around
  // mapped those pages too
  CHECK(DVM(a, b, readahead_pages) == 3 && DVM(a, b, faultaround_pages) == 3,
        "readahead %l, fault-around %l pages", DVM(a, b, readahead_pages),
        DVM(a, b, faultaround_pages));
  uint64 e0 = pm(p);
  CHECK((e0 & PM_PRESENT) && (e0 & PM_FILE) && !(e0 & PM_WRITE) && !(e0 & PM_COW) &&
        (e0 & PM_MMAP_EXCLUSIVE) && PFN(e0) != 0, "pagemap after a read touch: %lx", e0);
  CHECK((pm(p + PG) & PM_PRESENT) && !(pm(p + PG) & PM_WRITE),
        "the neighbour page was not mapped around the fault: %lx", pm(p + PG));

  counts(&a);
  touch_read(p + 200);
  touch_read(p + PG - 1);
  counts(&b);
  CHECK(DRU(a, b, ru_majflt) == 0 && DRU(a, b, ru_minflt) == 0, "mapped page faulted again");

  counts(&a);
  for(int k = 1; k < 4; k++)
    touch_read(p + k * PG + k);
  counts(&b);
  CHECK(DRU(a, b, ru_majflt) == 0 && DRU(a, b, ru_minflt) == 0 && DVM(a, b, disk_reads) == 0,
        "three more pages (read ahead, mapped around): majflt %l minflt %l disk reads %l",
        DRU(a, b, ru_majflt), DRU(a, b, ru_minflt), DVM(a, b, disk_reads));
  long d = pattern_diff(p, 2, 0, 4 * PG);
  CHECK(d == -1, "contents differ at %l", d);
  CHECK(munmap(p, 4 * PG) == 0, "munmap");

  // the pages stay in the page cache: a new mapping finds them there
  p = fmap(4 * PG, PROT_READ, MAP_PRIVATE, "mf_lazy", O_RDONLY, 0);
  CHECK(p != MAP_FAILED, "mmap again: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  counts(&a);
  touch_pages(p, 4);
  counts(&b);
  // one fault; fault-around maps the other three
  CHECK(DRU(a, b, ru_majflt) == 0 && DRU(a, b, ru_minflt) == 1 && DRU(a, b, ru_cacheflt) == 1 &&
        DVM(a, b, faultaround_pages) == 3,
        "cached pages: majflt %l minflt %l cacheflt %l fault-around %l", DRU(a, b, ru_majflt),
        DRU(a, b, ru_minflt), DRU(a, b, ru_cacheflt), DVM(a, b, faultaround_pages));
  CHECK(DVM(a, b, cache_hits) == 1 && DVM(a, b, cache_misses) == 0 && DVM(a, b, disk_reads) == 0,
        "cached pages: hits %l misses %l disk reads %l", DVM(a, b, cache_hits),
        DVM(a, b, cache_misses), DVM(a, b, disk_reads));
  CHECK(PFN(pm(p)) == PFN(e0), "the cached page moved: pfn %lx, then %lx", PFN(e0), PFN(pm(p)));
  munmap(p, 4 * PG);

  // anonymous zero-fill
  char *z = anon(2 * PG, MAP_PRIVATE);
  CHECK(z != MAP_FAILED, "anonymous mmap");
  counts(&a);
  z[0] = 1;
  z[PG] = 1;
  counts(&b);
  CHECK(DRU(a, b, ru_zeroflt) == 2 && DRU(a, b, ru_minflt) == 2 && DRU(a, b, ru_majflt) == 0 &&
        DRU(a, b, ru_cacheflt) == 0 && DRU(a, b, ru_cowflt) == 0,
        "zero-fill: zeroflt %l minflt %l majflt %l cacheflt %l cowflt %l", DRU(a, b, ru_zeroflt),
        DRU(a, b, ru_minflt), DRU(a, b, ru_majflt), DRU(a, b, ru_cacheflt), DRU(a, b, ru_cowflt));
  uint64 e = pm(z);
  CHECK((e & PM_PRESENT) && (e & PM_WRITE) && !(e & PM_FILE) && (e & PM_MMAP_EXCLUSIVE),
        "anonymous page: %lx", e);
  munmap(z, 2 * PG);

  // a child's faults show in RUSAGE_CHILDREN once it has been waited for
  memset(&c0, 0, sizeof(c0));
  memset(&c1, 0, sizeof(c1));
  CHECK(getrusage(RUSAGE_CHILDREN, &c0) == 0, "getrusage children: errno %d", errno);
  int pid = fork();
  if(pid == 0){
    char *q = fmap(4 * PG, PROT_READ, MAP_SHARED, "mf_lazy", O_RDONLY, 0);
    if(q != MAP_FAILED)
      touch_pages(q, 4);
    exit(0);
  }
  CHECK(wait_for(pid) == 0, "child");
  CHECK(getrusage(RUSAGE_CHILDREN, &c1) == 0, "getrusage children: errno %d", errno);
  CHECK(c1.ru_cacheflt - c0.ru_cacheflt >= 1 && c1.ru_minflt - c0.ru_minflt >= 1,
        "children's cache faults %l minor %l", (long)(c1.ru_cacheflt - c0.ru_cacheflt),
        (long)(c1.ru_minflt - c0.ru_minflt));
  CHECK(getrusage(7, &c1) == -1 && errno == EINVAL, "getrusage(7): errno %d", errno);
  struct mark none[1] = { { 0, 0, 0 } };
  EXPECT_FILE("mf_lazy", 2, 4 * PG, none);
}

// Two shared mappings and a forked child share one page per file page; dirty bits.
static void
t_shared(void)
{
  CHECK(mkfile("mf_shared", 3, 3 * PG) == 0, "create");
  char *a = fmap(3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_shared", O_RDWR, 0);
  char *b = fmap(3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_shared", O_RDWR, 0);
  CHECK(a != MAP_FAILED && b != MAP_FAILED && a != b, "mmap: %p %p errno %d", a, b, errno);
  if(a == MAP_FAILED || b == MAP_FAILED)
    return;
  struct counts x, y;

  touch_read(a);
  uint64 ea = pm(a);
  CHECK((ea & PM_PRESENT) && (ea & PM_FILE) && (ea & PM_MMAP_EXCLUSIVE) &&
        !(ea & PM_SOFT_DIRTY) && !(ea & PM_COW), "after a read touch: %lx", ea);
  CHECK(wp ? !(ea & PM_WRITE) : (ea & PM_WRITE) != 0,
        "PM_WRITE after a read touch (dirty tracking %s): %lx", wp ? "wp" : "dbit", ea);
  touch_read(b);
  uint64 eb = pm(b);
  ea = pm(a);
  CHECK(PFN(ea) == PFN(eb) && PFN(ea) != 0, "two shared mappings, two pages: %lx %lx", ea, eb);
  CHECK(!(ea & PM_MMAP_EXCLUSIVE) && !(eb & PM_MMAP_EXCLUSIVE),
        "PM_MMAP_EXCLUSIVE on a page mapped twice: %lx %lx", ea, eb);

  // a store through one mapping is seen through the other
  counts(&x);
  mark(a + 10, 10, 0x41);
  counts(&y);
  CHECK(DRU(x, y, ru_dirtyflt) == wp && DRU(x, y, ru_minflt) == wp && DRU(x, y, ru_majflt) == 0 &&
        DRU(x, y, ru_cowflt) == 0, "first store to a clean shared page: dirtyflt %l minflt %l "
        "majflt %l cowflt %l", DRU(x, y, ru_dirtyflt), DRU(x, y, ru_minflt),
        DRU(x, y, ru_majflt), DRU(x, y, ru_cowflt));
  CHECK(marked(b + 10, 10, 0x41), "store through one shared mapping not seen through the other");
  ea = pm(a);
  CHECK((ea & PM_WRITE) && (ea & PM_SOFT_DIRTY) && PFN(ea) == PFN(eb),
        "after a store: %lx", ea);
  counts(&x);
  mark(a + 30, 5, 0x42);
  counts(&y);
  CHECK(DRU(x, y, ru_minflt) == 0 && DRU(x, y, ru_majflt) == 0, "second store faulted");

  // msync writes the page and cleans it
  counts(&x);
  CHECK(msync(a, 3 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&y);
  CHECK(DRU(x, y, ru_wbpages) == 1 && DVM(x, y, writeback_pages) == 1,
        "msync of one dirty page wrote %l (system %l)", DRU(x, y, ru_wbpages),
        DVM(x, y, writeback_pages));
  ea = pm(a);
  CHECK(!(ea & PM_SOFT_DIRTY), "dirty after msync: %lx", ea);
  if(wp)
    CHECK(!(ea & PM_WRITE), "writable after msync (write-protect tracking): %lx", ea);
  counts(&x);
  CHECK(msync(a, 3 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&y);
  CHECK(DRU(x, y, ru_wbpages) == 0 && DVM(x, y, writeback_pages) == 0,
        "second msync wrote %l", DVM(x, y, writeback_pages));
  counts(&x);
  mark(a + 40, 5, 0x46);
  counts(&y);
  CHECK(DRU(x, y, ru_dirtyflt) == wp, "store after msync: dirtyflt %l", DRU(x, y, ru_dirtyflt));
  CHECK(msync(a, PG, MS_SYNC) == 0, "msync: errno %d", errno);

  // a page dirtied through b is written by msync through a: msync works on the file's pages
  mark(b + PG + 10, 10, 0x43);
  counts(&x);
  CHECK(msync(a, 3 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&y);
  CHECK(DVM(x, y, writeback_pages) == 1,
        "msync through one mapping of a page dirtied through another wrote %l",
        DVM(x, y, writeback_pages));

  // fork: the child shares the pages, and its own new mapping finds the same page
  uint64 pfn0 = PFN(pm(a));
  int pid = fork();
  if(pid == 0){
    failures = 0;
    uint64 e = pm(a);
    CHECK(PFN(e) == pfn0 && (e & PM_FILE) && !(e & PM_COW),
          "child's view of a shared page: %lx, parent's pfn %lx", e, pfn0);
    char *q = fmap(PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_shared", O_RDWR, 0);
    CHECK(q != MAP_FAILED, "child mmap: errno %d", errno);
    if(q != MAP_FAILED){
      touch_read(q);
      CHECK(PFN(pm(q)) == pfn0, "child's own mapping: pfn %lx, parent's %lx", PFN(pm(q)), pfn0);
      mark(q + 50, 10, 0x45);
    }
    mark(a + 2 * PG + 7, 20, 0x44);       // a page nobody had touched
    child_exit();
  }
  CHECK(wait_for(pid) == 0, "child failed");
  CHECK(marked(a + 2 * PG + 7, 20, 0x44) && marked(b + 2 * PG + 7, 20, 0x44),
        "child's store to a shared mapping not seen by the parent");
  CHECK(marked(a + 50, 10, 0x45), "store through the child's own mapping not seen");
  CHECK(munmap(a, 3 * PG) == 0 && munmap(b, 3 * PG) == 0, "munmap");
  struct mark m[] = { { 10, 10, 0x41 }, { 30, 5, 0x42 }, { 40, 5, 0x46 }, { PG + 10, 10, 0x43 },
                      { 2 * PG + 7, 20, 0x44 }, { 50, 10, 0x45 } };
  EXPECT_FILE("mf_shared", 3, 3 * PG, m);
}

// MAP_PRIVATE: reads map the page-cache page, the first store copies, write() shows through
// pages not yet copied, nothing reaches the file.
static void
t_private(void)
{
  CHECK(mkfile("mf_priv", 4, 3 * PG) == 0, "create");
  int fd = open("mf_priv", O_RDWR);
  char *s = mmap(0, 3 * PG, PROT_READ, MAP_SHARED, fd, 0);
  char *p = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(s != MAP_FAILED && p != MAP_FAILED, "mmap: errno %d", errno);
  if(s == MAP_FAILED || p == MAP_FAILED)
    return;
  struct counts x, y;
  touch_read(s);
  touch_read(p);
  uint64 es = pm(s), ep = pm(p);
  CHECK(PFN(ep) == PFN(es) && (ep & PM_PRESENT) && (ep & PM_FILE) && !(ep & PM_WRITE),
        "private read does not map the cache page: %lx, shared %lx", ep, es);
  counts(&x);
  mark(p + 20, 10, 0x51);
  counts(&y);
  CHECK(DRU(x, y, ru_cowflt) == 1 && DRU(x, y, ru_minflt) == 1 && DRU(x, y, ru_majflt) == 0,
        "first private store: cowflt %l minflt %l majflt %l", DRU(x, y, ru_cowflt),
        DRU(x, y, ru_minflt), DRU(x, y, ru_majflt));
  ep = pm(p);
  CHECK((ep & PM_PRESENT) && PFN(ep) != PFN(es) && !(ep & PM_FILE) && (ep & PM_WRITE),
        "private page after a store: %lx, cache page %lx", ep, es);
  CHECK(pattern_diff(s, 4, 0, PG) == -1, "private store reached the shared mapping");
  CHECK(PFN(pm(s)) == PFN(es), "shared page moved");

  touch_read(p + PG);                    // page 1 maps the cache page; page 2 stays untouched
  for(int k = 0; k < 3; k++){
    fill(buf, 5, k * PG, PG);
    CHECK(write(fd, buf, PG) == PG, "write: errno %d", errno);
  }
  CHECK(pattern_diff(s, 5, 0, 3 * PG) == -1, "write() not seen through the shared mapping");
  CHECK(pattern_diff(p + PG, 5, PG, 2 * PG) == -1,
        "write() not seen through private pages not yet copied");
  CHECK(marked(p + 20, 10, 0x51) && pattern_diff(p, 4, 0, 20) == -1 &&
        pattern_diff(p + 30, 4, 30, PG - 30) == -1, "write() changed the private copy");
  CHECK(munmap(p, 3 * PG) == 0 && munmap(s, 3 * PG) == 0, "munmap");
  close(fd);
  struct mark none[1] = { { 0, 0, 0 } };
  EXPECT_FILE("mf_priv", 5, 3 * PG, none);
}

// The page cache is unified: write() and read() meet mapped pages without msync.
static void
t_coherent(void)
{
  CHECK(mkfile("mf_coh", 6, 3 * PG) == 0, "create");
  char *p = fmap(3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_coh", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  touch_read(p);
  int fd = open("mf_coh", O_RDWR);
  mark(buf, 100, 0x61);
  CHECK(write(fd, buf, 100) == 100, "write: errno %d", errno);
  close(fd);
  CHECK(marked(p, 100, 0x61) && p[100] == (char)fbyte(6, 100),
        "write() not seen at once through a shared mapping");

  mark(p + PG + 5, 50, 0x62);
  CHECK(readfile("mf_coh", PG, buf, 100) == 100, "read");
  CHECK(pattern_diff(buf, 6, PG, 5) == -1 && marked(buf + 5, 50, 0x62) &&
        pattern_diff(buf + 55, 6, PG + 55, 45) == -1, "a store not seen at once by read()");
  CHECK(readfile("mf_coh", 2 * PG, buf, PG) == PG && pattern_diff(buf, 6, 2 * PG, PG) == -1,
        "read() of a page not mapped yet");
  CHECK(munmap(p, 3 * PG) == 0, "munmap");
  struct mark m[] = { { 0, 100, 0x61 }, { PG + 5, 50, 0x62 } };
  EXPECT_FILE("mf_coh", 6, 3 * PG, m);
}

// The partial last page: zeros past EOF, stores there never reach the file; whole pages past
// EOF kill.
static void
t_eof(void)
{
  CHECK(mkfile("mf_eof", 7, PG + 1000) == 0, "create");
  char *p = fmap(3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_eof", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap past EOF: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  CHECK(pattern_diff(p, 7, 0, PG + 1000) == -1, "contents");
  CHECK(all_zero(p + PG + 1000, PG - 1000), "bytes past EOF in the last page are not zero");
  CHECK(in_child(touch_read, p + PG + 2000) == 0, "read past EOF in the last page killed");
  CHECK(in_child(touch_read, p + 2 * PG) == -1, "read of a page wholly beyond EOF not killed");
  CHECK(in_child(touch_write, p + 2 * PG + 8) == -1, "store beyond EOF not killed");
  mark(p + PG + 900, 100, 0x71);         // up to EOF
  mark(p + PG + 1000, 200, 0x72);        // past EOF: never reaches the file
  CHECK(msync(p, 2 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  struct stat st;
  CHECK(stat("mf_eof", &st) == 0 && st.size == PG + 1000, "size after msync: %l", (long)st.size);
  CHECK(marked(p + PG + 1000, 200, 0x72), "store past EOF lost while mapped");
  CHECK(munmap(p, 3 * PG) == 0, "munmap");
  struct mark m[] = { { PG + 900, 100, 0x71 } };
  EXPECT_FILE("mf_eof", 7, PG + 1000, m);

  // a private mapping of the last page; an offset past EOF maps, touching it kills
  char *q = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, "mf_eof", O_RDONLY, 0);
  CHECK(q != MAP_FAILED, "private mmap: errno %d", errno);
  if(q != MAP_FAILED){
    CHECK(marked(q + PG + 900, 100, 0x71), "private mapping of the last page");
    q[PG + 1500] = 9;
    CHECK(q[PG + 1500] == 9, "private store past EOF");
    munmap(q, 2 * PG);
  }
  q = fmap(PG, PROT_READ, MAP_PRIVATE, "mf_eof", O_RDONLY, 4 * PG);
  CHECK(q != MAP_FAILED, "mmap at an offset past EOF: errno %d", errno);
  if(q != MAP_FAILED){
    CHECK(in_child(touch_read, q) == -1, "read of a mapping past EOF not killed");
    munmap(q, PG);
  }
}

// Only dirty pages are written; msync ranges and flags.
static void
t_writeback(void)
{
  CHECK(mkfile("mf_wb", 8, 8 * PG) == 0, "create");
  char *p = fmap(8 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_wb", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  struct counts a, b;
  touch_pages(p, 8);
  counts(&a);
  CHECK(msync(p, 8 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == 0 && DVM(a, b, writeback_pages) == 0 &&
        DVM(a, b, disk_writes) == 0, "msync of clean pages wrote %l pages, %l blocks",
        DVM(a, b, writeback_pages), DVM(a, b, disk_writes));

  mark(p + 1 * PG + 100, 50, 0x81);
  mark(p + 4 * PG + 400, 50, 0x84);
  mark(p + 6 * PG + 600, 50, 0x86);
  counts(&a);
  CHECK(msync(p, 8 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == 3 && DVM(a, b, writeback_pages) == 3,
        "3 dirty of 8: wrote %l (system %l)", DRU(a, b, ru_wbpages), DVM(a, b, writeback_pages));
  CHECK(DVM(a, b, disk_writes) >= 12, "3 pages written in %l blocks", DVM(a, b, disk_writes));
  for(int k = 0; k < 8; k++)
    CHECK(!(pm(p + k * PG) & PM_SOFT_DIRTY), "page %d dirty after msync", k);
  counts(&a);
  CHECK(msync(p, 8 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == 0 && DVM(a, b, writeback_pages) == 0,
        "second msync wrote %l", DVM(a, b, writeback_pages));

  // only the pages in the range
  mark(p + 0, 50, 0x80);
  mark(p + 2 * PG + 200, 50, 0x82);
  mark(p + 7 * PG + 700, 50, 0x87);
  counts(&a);
  CHECK(msync(p, 4 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == 2, "msync of pages 0-3 wrote %l", DRU(a, b, ru_wbpages));
  counts(&a);
  CHECK(msync(p + 4 * PG, 4 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == 1, "msync of pages 4-7 wrote %l", DRU(a, b, ru_wbpages));
  // a page cleaned by an earlier msync is caught again when stored to again
  mark(p + PG + 150, 20, 0x88);
  counts(&a);
  CHECK(msync(p, 8 * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == 1, "store to a cleaned page: msync wrote %l",
        DRU(a, b, ru_wbpages));

  // flags and ranges
  CHECK(msync(p, PG, 8) == -1 && errno == EINVAL, "msync flag 8: errno %d", errno);
  CHECK(msync(p, PG, MS_SYNC | MS_ASYNC) == -1 && errno == EINVAL,
        "MS_SYNC|MS_ASYNC: errno %d", errno);
  CHECK(msync(p + 1, PG, MS_SYNC) == -1 && errno == EINVAL, "unaligned msync: errno %d", errno);
  CHECK(msync(p, 0, MS_SYNC) == 0, "msync len 0: errno %d", errno);
  CHECK(msync(p, PG, MS_INVALIDATE) == 0, "MS_INVALIDATE: errno %d", errno);
  char *h = anon(2 * PG, MAP_PRIVATE);
  CHECK(h != MAP_FAILED, "anonymous mmap");
  CHECK(msync(h, 2 * PG, MS_SYNC) == 0, "msync of anonymous memory: errno %d", errno);
  munmap(h + PG, PG);
  CHECK(msync(h, 2 * PG, MS_SYNC) == -1 && errno == ENOMEM, "msync over a hole: errno %d", errno);
  munmap(h, PG);
  CHECK(msync(h, PG, MS_ASYNC) == -1 && errno == ENOMEM, "msync of a hole: errno %d", errno);

  // MS_ASYNC: accepted; the page is written by the next sync point (munmap here)
  mark(p + 3 * PG + 300, 50, 0x83);
  counts(&a);
  CHECK(msync(p, 8 * PG, MS_ASYNC) == 0, "MS_ASYNC: errno %d", errno);
  CHECK(munmap(p, 8 * PG) == 0, "munmap");
  counts(&b);
  CHECK(DVM(a, b, writeback_pages) == 1 && DRU(a, b, ru_wbpages) <= 1,
        "MS_ASYNC + munmap wrote %l (this process %l)", DVM(a, b, writeback_pages),
        DRU(a, b, ru_wbpages));
  struct mark m[] = { { PG + 100, 50, 0x81 }, { 4 * PG + 400, 50, 0x84 },
                      { 6 * PG + 600, 50, 0x86 }, { 0, 50, 0x80 }, { 2 * PG + 200, 50, 0x82 },
                      { 7 * PG + 700, 50, 0x87 }, { PG + 150, 20, 0x88 },
                      { 3 * PG + 300, 50, 0x83 } };
  EXPECT_FILE("mf_wb", 8, 8 * PG, m);
}

// MS_INVALIDATE: later reads through the mapping see the file.
static void
t_msync(void)
{
  CHECK(mkfile("mf_inval", 9, 2 * PG) == 0, "create");
  char *p = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_inval", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  touch_pages(p, 2);
  int fd = open("mf_inval", O_RDWR);
  mark(buf, 50, 0x91);
  CHECK(write(fd, buf, 50) == 50, "write");
  close(fd);
  CHECK(msync(p, 2 * PG, MS_INVALIDATE) == 0, "MS_INVALIDATE: errno %d", errno);
  CHECK(marked(p, 50, 0x91) && p[50] == (char)fbyte(9, 50), "mapping after MS_INVALIDATE");
  mark(p + PG + 8, 8, 0x92);
  CHECK(msync(p, 2 * PG, MS_SYNC | MS_INVALIDATE) == 0, "MS_SYNC|MS_INVALIDATE: errno %d", errno);
  CHECK(marked(p + PG + 8, 8, 0x92), "MS_INVALIDATE lost a store to a shared mapping");
  CHECK(munmap(p, 2 * PG) == 0, "munmap");
  struct mark m[] = { { 0, 50, 0x91 }, { PG + 8, 8, 0x92 } };
  EXPECT_FILE("mf_inval", 9, 2 * PG, m);
}

// Dirty shared pages are written at munmap, exit, fsync and sync.
static void
t_syncpoints(void)
{
  struct counts a, b;

  CHECK(mkfile("mf_sp_unmap", 10, 2 * PG) == 0, "create");
  char *p = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_sp_unmap", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p != MAP_FAILED){
    touch_pages(p, 2);
    mark(p + 10, 20, 0xa1);
    mark(p + PG + 10, 20, 0xa2);
    counts(&a);
    CHECK(munmap(p, 2 * PG) == 0, "munmap");
    counts(&b);
    CHECK(DRU(a, b, ru_wbpages) == 2 && DVM(a, b, writeback_pages) == 2,
          "munmap wrote %l (system %l)", DRU(a, b, ru_wbpages), DVM(a, b, writeback_pages));
  }

  CHECK(mkfile("mf_sp_exit", 11, 2 * PG) == 0, "create");
  struct rusage c0, c1;
  memset(&c0, 0, sizeof(c0));
  memset(&c1, 0, sizeof(c1));
  getrusage(RUSAGE_CHILDREN, &c0);
  counts(&a);
  int pid = fork();
  if(pid == 0){
    char *q = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_sp_exit", O_RDWR, 0);
    if(q == MAP_FAILED)
      exit(1);
    mark(q + 20, 20, 0xa3);
    mark(q + PG + 20, 20, 0xa4);
    exit(0);                              // without munmap
  }
  CHECK(wait_for(pid) == 0, "child");
  counts(&b);
  getrusage(RUSAGE_CHILDREN, &c1);
  CHECK(DVM(a, b, writeback_pages) == 2 && c1.ru_wbpages - c0.ru_wbpages == 2,
        "exit wrote %l (children's count %l)", DVM(a, b, writeback_pages),
        (long)(c1.ru_wbpages - c0.ru_wbpages));

  CHECK(mkfile("mf_sp_fsync", 12, 2 * PG) == 0, "create");
  p = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_sp_fsync", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p != MAP_FAILED){
    mark(p + 30, 20, 0xa5);
    int fd = open("mf_sp_fsync", O_RDONLY);  // not the descriptor that was mapped
    counts(&a);
    CHECK(fsync(fd) == 0, "fsync: errno %d", errno);
    counts(&b);
    CHECK(DRU(a, b, ru_wbpages) == 1 && DVM(a, b, writeback_pages) == 1,
          "fsync wrote %l (system %l)", DRU(a, b, ru_wbpages), DVM(a, b, writeback_pages));
    counts(&a);
    CHECK(fsync(fd) == 0, "fsync again: errno %d", errno);
    counts(&b);
    CHECK(DVM(a, b, writeback_pages) == 0, "second fsync wrote %l", DVM(a, b, writeback_pages));
    close(fd);
    counts(&a);
    CHECK(munmap(p, 2 * PG) == 0, "munmap");
    counts(&b);
    CHECK(DVM(a, b, writeback_pages) == 0, "munmap after fsync wrote %l",
          DVM(a, b, writeback_pages));
  }
  CHECK(fsync(15) == -1 && errno == EBADF, "fsync of a closed fd: errno %d", errno);
  int fds[2];
  pipe(fds);
  CHECK(fsync(fds[0]) == -1 && errno == EINVAL, "fsync of a pipe: errno %d", errno);
  close(fds[0]);
  close(fds[1]);

  CHECK(mkfile("mf_sp_sync", 13, 2 * PG) == 0, "create");
  p = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_sp_sync", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p != MAP_FAILED){
    touch_pages(p, 2);
    mark(p + PG + 40, 20, 0xa6);
    counts(&a);
    CHECK(sync() == 0, "sync: errno %d", errno);
    counts(&b);
    CHECK(DRU(a, b, ru_wbpages) == 1 && DVM(a, b, writeback_pages) == 1,
          "sync wrote %l (system %l)", DRU(a, b, ru_wbpages), DVM(a, b, writeback_pages));
    counts(&a);
    CHECK(munmap(p, 2 * PG) == 0, "munmap");
    counts(&b);
    CHECK(DVM(a, b, writeback_pages) == 0, "munmap after sync wrote %l",
          DVM(a, b, writeback_pages));
  }
  struct mark m1[] = { { 10, 20, 0xa1 }, { PG + 10, 20, 0xa2 } };
  EXPECT_FILE("mf_sp_unmap", 10, 2 * PG, m1);
  struct mark m2[] = { { 20, 20, 0xa3 }, { PG + 20, 20, 0xa4 } };
  EXPECT_FILE("mf_sp_exit", 11, 2 * PG, m2);
  struct mark m3[] = { { 30, 20, 0xa5 } };
  EXPECT_FILE("mf_sp_fsync", 12, 2 * PG, m3);
  struct mark m4[] = { { PG + 40, 20, 0xa6 } };
  EXPECT_FILE("mf_sp_sync", 13, 2 * PG, m4);
}

// Copy-on-write fork: globals, bss, heap, private anonymous and private file pages.
static char garr[3 * PG] __attribute__((aligned(PG))) = { 1 };   // .data
static char zarr[3 * PG] __attribute__((aligned(PG)));           // .bss

static void
t_cowfork(void)
{
  CHECK(mkfile("mf_cowf", 27, 2 * PG) == 0, "create");
  for(int k = 0; k < 3; k++){
    garr[k * PG] = 'a' + k;
    zarr[k * PG] = 'A' + k;
  }
  char *heap = malloc(2 * PG);
  memset(heap, 'h', 2 * PG);
  char *an = anon(2 * PG, MAP_PRIVATE);
  char *fp = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, "mf_cowf", O_RDONLY, 0);
  CHECK(heap != 0 && an != MAP_FAILED && fp != MAP_FAILED, "setup: errno %d", errno);
  if(heap == 0 || an == MAP_FAILED || fp == MAP_FAILED)
    return;
  an[0] = 'x';
  an[PG] = 'y';
  mark(fp + 5, 10, 0xb1);               // page 0: a private copy
  touch_read(fp + PG);                  // page 1: the cache page, read-only
  uint64 pg = PFN(pm(garr)), pa = PFN(pm(an)), pf0 = PFN(pm(fp)), pf1 = PFN(pm(fp + PG));
  uint64 pz = PFN(pm(zarr + PG));
  int back[2], go[2];
  CHECK(pipe(back) == 0 && pipe(go) == 0, "pipe");
  struct counts x, y;

  int pid = fork();
  if(pid == 0){
    failures = 0;
    char ch;
    uint64 e = pm(garr);
    CHECK(PFN(e) == pg && (e & PM_COW) && !(e & PM_WRITE),
          "global page in the child: %lx, parent's pfn %lx", e, pg);
    e = pm(an);
    CHECK(PFN(e) == pa && (e & PM_COW) && !(e & PM_WRITE),
          "anonymous page in the child: %lx, parent's pfn %lx", e, pa);
    e = pm(fp);
    CHECK(PFN(e) == pf0 && (e & PM_COW) && !(e & PM_WRITE) && !(e & PM_FILE),
          "private copy of a file page in the child: %lx, parent's pfn %lx", e, pf0);
    e = pm(fp + PG);
    CHECK(PFN(e) == pf1 && (e & PM_FILE) && !(e & PM_WRITE),
          "cache page of a private mapping in the child: %lx, parent's pfn %lx", e, pf1);
    counts(&x);
    garr[1] = 'c';
    counts(&y);
    CHECK(DRU(x, y, ru_cowflt) == 1 && DRU(x, y, ru_minflt) == 1 && DRU(x, y, ru_zeroflt) == 0 &&
          DRU(x, y, ru_majflt) == 0, "child's store to a global: cowflt %l minflt %l",
          DRU(x, y, ru_cowflt), DRU(x, y, ru_minflt));
    e = pm(garr);
    CHECK(PFN(e) != pg && !(e & PM_COW) && (e & PM_WRITE), "global page after the store: %lx", e);
    CHECK(garr[0] == 'a' && garr[1] == 'c' && garr[PG] == 'b' && zarr[0] == 'A' &&
          heap[0] == 'h' && an[0] == 'x' && marked(fp + 5, 10, 0xb1),
          "child does not see the parent's memory");
    an[0] = 'X';
    e = pm(an);
    CHECK(PFN(e) != pa && !(e & PM_COW) && (e & PM_WRITE), "anonymous page after a store: %lx", e);
    heap[0] = 'H';
    zarr[0] = 'Z';
    fp[6] = 0;
    counts(&x);
    fp[PG + 1] = 0;
    counts(&y);
    CHECK(DRU(x, y, ru_cowflt) == 1, "store to a private cache page: cowflt %l",
          DRU(x, y, ru_cowflt));
    e = pm(fp + PG);
    CHECK(PFN(e) != pf1 && !(e & PM_FILE) && (e & PM_WRITE), "after the store: %lx", e);
    write(back[1], "w", 1);
    read(go[0], &ch, 1);                 // the parent has written its pages
    CHECK(garr[2 * PG] == 'c' && an[PG] == 'y' && heap[PG] == 'h' && zarr[2 * PG] == 'C' &&
          fp[PG + 2] == (char)fbyte(27, PG + 2), "the parent's stores reached the child");
    child_exit();
  }
  char ch;
  CHECK(read(back[0], &ch, 1) == 1, "child's signal");
  uint64 ez = pm(zarr + PG);
  CHECK(PFN(ez) == pz && (ez & PM_COW) && !(ez & PM_WRITE),
        "parent's bss page while the child lives: %lx, was pfn %lx", ez, pz);
  CHECK(garr[1] == 0 && heap[0] == 'h' && zarr[0] == 'A' && an[0] == 'x' &&
        marked(fp + 5, 10, 0xb1) && fp[PG + 1] == (char)fbyte(27, PG + 1),
        "the child's stores reached the parent");
  counts(&x);
  garr[2 * PG] = 'P';
  counts(&y);
  CHECK(DRU(x, y, ru_cowflt) == 1 && DRU(x, y, ru_minflt) == 1,
        "parent's store to a shared global: cowflt %l minflt %l", DRU(x, y, ru_cowflt),
        DRU(x, y, ru_minflt));
  an[PG] = 'Y';
  heap[PG] = 'Q';
  zarr[2 * PG] = 'Z';
  fp[PG + 2] = 0;
  write(go[1], "g", 1);
  CHECK(wait_for(pid) == 0, "child failed");

  // the child is gone: the parent's first store reuses the page instead of copying it
  uint64 e = pm(zarr + PG);
  CHECK(PFN(e) == pz, "bss page moved: %lx, was pfn %lx", e, pz);
  counts(&x);
  zarr[PG] = 'b';
  counts(&y);
  e = pm(zarr + PG);
  CHECK(DRU(x, y, ru_cowflt) == 1 && DRU(x, y, ru_minflt) == 1,
        "store to a page no longer shared: cowflt %l minflt %l", DRU(x, y, ru_cowflt),
        DRU(x, y, ru_minflt));
  CHECK(PFN(e) == pz && (e & PM_WRITE) && !(e & PM_COW),
        "page no longer shared was copied: %lx, was pfn %lx", e, pz);
  close(back[0]);
  close(back[1]);
  close(go[0]);
  close(go[1]);
  munmap(an, 2 * PG);
  munmap(fp, 2 * PG);
  free(heap);
  struct mark none[1] = { { 0, 0, 0 } };
  EXPECT_FILE("mf_cowf", 27, 2 * PG, none);
}

// MAP_SHARED|MAP_ANONYMOUS stays shared across fork, both ways, pages touched later too.
static void
t_shanon(void)
{
  char *s = anon(4 * PG, MAP_SHARED);
  CHECK(s != MAP_FAILED, "mmap: errno %d", errno);
  if(s == MAP_FAILED)
    return;
  struct counts x, y;
  counts(&x);
  s[0] = 's';
  counts(&y);
  CHECK(DRU(x, y, ru_minflt) == 1 && DRU(x, y, ru_zeroflt) == 1 && DRU(x, y, ru_majflt) == 0 &&
        DVM(x, y, cache_misses) == 1, "first touch: minflt %l zeroflt %l majflt %l misses %l",
        DRU(x, y, ru_minflt), DRU(x, y, ru_zeroflt), DRU(x, y, ru_majflt),
        DVM(x, y, cache_misses));
  uint64 e = pm(s), pfn0 = PFN(e);
  CHECK((e & PM_PRESENT) && (e & PM_FILE) && (e & PM_WRITE), "shared anonymous page: %lx", e);
  int back[2], go[2];
  CHECK(pipe(back) == 0 && pipe(go) == 0, "pipe");
  int pid = fork();
  if(pid == 0){
    failures = 0;
    uint64 f;
    CHECK(s[0] == 's', "child does not see the parent's data");
    e = pm(s);
    CHECK(PFN(e) == pfn0 && !(e & PM_COW), "child's page %lx, parent's pfn %lx", e, pfn0);
    s[1] = 'c';
    s[PG] = 'C';                          // first touched after the fork
    f = PFN(pm(s + PG));
    write(back[1], &f, sizeof(f));
    CHECK(read(go[0], &f, sizeof(f)) == sizeof(f), "parent's message");
    CHECK(s[2] == 'p' && s[2 * PG] == 'P', "the parent's stores after fork not seen");
    CHECK(PFN(pm(s + 2 * PG)) == f, "page 2: child's pfn %lx, parent's %lx",
          PFN(pm(s + 2 * PG)), f);
    s[3 * PG] = 'D';
    child_exit();
  }
  uint64 f = 0;
  CHECK(read(back[0], &f, sizeof(f)) == sizeof(f), "child's message");
  CHECK(s[1] == 'c' && s[PG] == 'C', "the child's stores not seen by the parent");
  CHECK(PFN(pm(s + PG)) == f, "page 1: parent's pfn %lx, child's %lx", PFN(pm(s + PG)), f);
  s[2] = 'p';
  s[2 * PG] = 'P';
  f = PFN(pm(s + 2 * PG));
  write(go[1], &f, sizeof(f));
  CHECK(wait_for(pid) == 0, "child failed");
  CHECK(s[3 * PG] == 'D', "page first touched by the exited child lost");
  close(back[0]);
  close(back[1]);
  close(go[0]);
  close(go[1]);
  CHECK(munmap(s, 4 * PG) == 0, "munmap");
  CHECK(in_child(touch_read, s) == -1, "read after munmap not killed");
}

// Shared file mappings stay shared across fork.
static void
t_shfork(void)
{
  CHECK(mkfile("mf_shfork", 14, 2 * PG) == 0, "create");
  char *p = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_shfork", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  touch_read(p);
  uint64 pfn0 = PFN(pm(p));
  int back[2];
  pipe(back);
  int pid = fork();
  if(pid == 0){
    failures = 0;
    uint64 e = pm(p);
    CHECK(PFN(e) == pfn0 && (e & PM_FILE) && !(e & PM_COW), "child's page %lx, parent's pfn %lx",
          e, pfn0);
    mark(p + 100, 10, 0xc1);
    mark(p + PG + 100, 10, 0xc2);         // a page the parent has not touched
    uint64 f = PFN(pm(p + PG));
    write(back[1], &f, sizeof(f));
    child_exit();
  }
  uint64 f = 0;
  CHECK(read(back[0], &f, sizeof(f)) == sizeof(f), "child's message");
  CHECK(wait_for(pid) == 0, "child failed");
  CHECK(marked(p + 100, 10, 0xc1) && marked(p + PG + 100, 10, 0xc2),
        "the child's stores not seen by the parent");
  CHECK(PFN(pm(p + PG)) == f, "page 1: parent's pfn %lx, child's %lx", PFN(pm(p + PG)), f);
  close(back[0]);
  close(back[1]);
  CHECK(munmap(p, 2 * PG) == 0, "munmap");
  struct mark m[] = { { 100, 10, 0xc1 }, { PG + 100, 10, 0xc2 } };
  EXPECT_FILE("mf_shfork", 14, 2 * PG, m);
}

// munmap in the middle of a file mapping: both ends keep their file offsets.
static void
t_punch(void)
{
  CHECK(mkfile("mf_punch", 15, 5 * PG) == 0, "create");
  char *p = fmap(5 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_punch", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  struct counts a, b;
  touch_read(p + PG);
  CHECK(munmap(p + PG, 2 * PG) == 0, "munmap middle: errno %d", errno);
  CHECK(pattern_diff(p, 15, 0, PG) == -1, "head");
  CHECK(pattern_diff(p + 3 * PG, 15, 3 * PG, 2 * PG) == -1, "tail");
  CHECK(in_child(touch_read, p + PG) == -1 && in_child(touch_read, p + 2 * PG + 100) == -1,
        "the hole is still mapped");
  mark(p + 20, 10, 0xd0);
  mark(p + 4 * PG + 10, 30, 0xd1);
  counts(&a);
  CHECK(msync(p + 3 * PG, 2 * PG, MS_SYNC) == 0, "msync tail: errno %d", errno);
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == 1, "msync of the tail wrote %l", DRU(a, b, ru_wbpages));
  CHECK(readfile("mf_punch", 4 * PG, buf, 40) == 40 && pattern_diff(buf, 15, 4 * PG, 10) == -1 &&
        marked(buf + 10, 30, 0xd1), "tail store at the wrong file offset");
  counts(&a);
  CHECK(munmap(p, 5 * PG) == 0, "munmap across the hole");
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == 1, "munmap wrote %l", DRU(a, b, ru_wbpages));

  // a private mapping at an offset, with a hole
  char *q = fmap(4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, "mf_punch", O_RDONLY, PG);
  CHECK(q != MAP_FAILED, "mmap: errno %d", errno);
  if(q != MAP_FAILED){
    CHECK(munmap(q + PG, PG) == 0, "munmap");
    CHECK(pattern_diff(q, 15, PG, PG) == -1 && pattern_diff(q + 2 * PG, 15, 3 * PG, PG) == -1 &&
          q[3 * PG + 10] == (char)markbyte(0xd1, 0), "private mapping at offset PG");
    mark(q + 3 * PG, 8, 0xd2);            // private: never reaches the file
    munmap(q, 4 * PG);
  }
  struct mark m[] = { { 20, 10, 0xd0 }, { 4 * PG + 10, 30, 0xd1 } };
  EXPECT_FILE("mf_punch", 15, 5 * PG, m);
}

// mprotect on file mappings.
static void
t_mprotect(void)
{
  CHECK(mkfile("mf_mprot", 16, 2 * PG) == 0, "create");
  char *p = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_mprot", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  struct counts a, b;
  CHECK(mprotect(p, PG, PROT_READ) == 0, "mprotect: errno %d", errno);
  CHECK(in_child(touch_write, p) == -1, "store to a PROT_READ page not killed");
  CHECK(in_child(touch_write, p + PG) == 0, "store to the writable page killed");  // byte PG = 1
  CHECK(p[0] == (char)fbyte(16, 0) && p[PG] == 1, "contents");
  CHECK(mprotect(p, PG, PROT_NONE) == 0, "mprotect none: errno %d", errno);
  CHECK(in_child(touch_read, p) == -1, "read of a PROT_NONE page not killed");
  CHECK(mprotect(p, 2 * PG, PROT_READ | PROT_WRITE) == 0, "mprotect back: errno %d", errno);
  CHECK(p[0] == (char)fbyte(16, 0), "contents after PROT_NONE");
  mark(p + 8, 4, 0xe1);
  // write-protecting a dirty page keeps it dirty
  CHECK(mprotect(p, 2 * PG, PROT_READ) == 0, "mprotect: errno %d", errno);
  counts(&a);
  CHECK(munmap(p, 2 * PG) == 0, "munmap");
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == 1, "munmap of a write-protected dirty page wrote %l",
        DRU(a, b, ru_wbpages));

  // a read-only descriptor: a shared mapping cannot become writable, a private one can
  int fd = open("mf_mprot", O_RDONLY);
  char *s = mmap(0, PG, PROT_READ, MAP_SHARED, fd, 0);
  char *q = mmap(0, PG, PROT_READ, MAP_PRIVATE, fd, 0);
  close(fd);
  CHECK(s != MAP_FAILED && q != MAP_FAILED, "mmap: errno %d", errno);
  if(s != MAP_FAILED && q != MAP_FAILED){
    CHECK(mprotect(s, PG, PROT_READ | PROT_WRITE) == -1 && errno == EACCES,
          "mprotect RW, shared, read-only fd: errno %d", errno);
    CHECK(in_child(touch_write, s) == -1, "store not killed");
    CHECK(mprotect(q, PG, PROT_READ | PROT_WRITE) == 0, "mprotect RW, private: errno %d", errno);
    q[0] = 'z';
    CHECK(q[0] == 'z' && s[0] == (char)fbyte(16, 0), "private store");
    munmap(s, PG);
    munmap(q, PG);
  }
  struct mark m[] = { { PG, 1, 1 }, { 8, 4, 0xe1 } };
  EXPECT_FILE("mf_mprot", 16, 2 * PG, m);
}

// MAP_FIXED over a dirty shared mapping writes it back first; NOREPLACE; hints.
static void
t_fixed(void)
{
  CHECK(mkfile("mf_fixed", 17, 3 * PG) == 0, "create");
  int fd = open("mf_fixed", O_RDWR);
  char *p = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  struct counts a, b;
  touch_read(p + PG);
  mark(p + PG + 64, 32, 0xf1);
  counts(&a);
  char *q = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                 -1, 0);
  counts(&b);
  CHECK(q == p + PG, "MAP_FIXED: %p, wanted %p, errno %d", q, p + PG, errno);
  CHECK(DRU(a, b, ru_wbpages) == 1 && DVM(a, b, writeback_pages) == 1,
        "MAP_FIXED over a dirty shared page wrote %l (system %l)", DRU(a, b, ru_wbpages),
        DVM(a, b, writeback_pages));
  CHECK(q[64] == 0, "the new anonymous page is not zero");
  CHECK(readfile("mf_fixed", PG + 64, buf, 32) == 32 && marked(buf, 32, 0xf1),
        "replaced dirty data not in the file");
  CHECK(p[0] == (char)fbyte(17, 0) && p[2 * PG] == (char)fbyte(17, 2 * PG), "neighbours");

  char *r = mmap(p, PG, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
  CHECK(r == MAP_FAILED && errno == EEXIST, "NOREPLACE over a file mapping: %p errno %d", r,
        errno);
  r = mmap(q, PG, PROT_READ, MAP_SHARED | MAP_FIXED_NOREPLACE, fd, 0);
  CHECK(r == MAP_FAILED && errno == EEXIST, "NOREPLACE over anonymous: %p errno %d", r, errno);
  CHECK(munmap(p, 3 * PG) == 0, "munmap");

  // a free hint is honoured; MAP_FIXED file mapping over a file mapping
  r = mmap(p + PG, PG, PROT_READ, MAP_SHARED, fd, 2 * PG);
  CHECK(r == p + PG, "hint %p gave %p", p + PG, r);
  if(r != MAP_FAILED){
    CHECK(r[5] == (char)fbyte(17, 2 * PG + 5), "hinted mapping contents");
    char *t = mmap(r, PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    CHECK(t == r && t[5] == (char)fbyte(17, 5), "MAP_FIXED file over file: %p errno %d", t,
          errno);
    munmap(r, PG);
  }
  r = mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_FIXED_NOREPLACE, fd, PG);
  CHECK(r == p, "NOREPLACE into a hole: %p errno %d", r, errno);
  if(r == p){
    CHECK(marked(r + 64, 32, 0xf1), "contents");
    munmap(r, PG);
  }
  close(fd);
  struct mark m[] = { { PG + 64, 32, 0xf1 } };
  EXPECT_FILE("mf_fixed", 17, 3 * PG, m);
}

// Untouched mapped pages as system-call buffers, the same file included.
static void
t_sysbuf(void)
{
  CHECK(mkfile("mf_sb_a", 18, 3 * PG) == 0 && mkfile("mf_sb_b", 19, 2 * PG) == 0, "create");
  unlink("mf_sb_c");
  char *a = fmap(3 * PG, PROT_READ, MAP_SHARED, "mf_sb_a", O_RDONLY, 0);
  char *z = anon(2 * PG, MAP_PRIVATE);
  int fc = open("mf_sb_c", O_CREATE | O_RDWR);
  CHECK(a != MAP_FAILED && z != MAP_FAILED && fc >= 0, "setup: errno %d", errno);
  if(a == MAP_FAILED || z == MAP_FAILED || fc < 0)
    return;
  CHECK(write(fc, a + 100, 2 * PG) == 2 * PG, "write() from an untouched file mapping: errno %d",
        errno);
  CHECK(write(fc, z + 10, PG) == PG, "write() from an untouched anonymous page: errno %d", errno);
  close(fc);
  munmap(a, 3 * PG);
  munmap(z, 2 * PG);

  char *b = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_sb_b", O_RDWR, 0);
  int fa = open("mf_sb_a", O_RDONLY);
  CHECK(b != MAP_FAILED && fa >= 0, "mmap: errno %d", errno);
  if(b == MAP_FAILED)
    return;
  CHECK(read(fa, b + 50, PG) == PG, "read() into an untouched shared mapping: errno %d", errno);
  close(fa);
  CHECK(munmap(b, 2 * PG) == 0, "munmap");

  // source and destination in the same file: no deadlock
  fa = open("mf_sb_a", O_RDWR);
  a = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fa, 0);
  CHECK(a != MAP_FAILED, "mmap: errno %d", errno);
  if(a != MAP_FAILED){
    CHECK(write(fa, a + 2 * PG, PG) == PG, "write() of a file from its own mapping: errno %d",
          errno);                          // page 0 := page 2
    CHECK(pattern_diff(a, 18, 2 * PG, PG) == -1, "mapping after write()");
    CHECK(read(fa, a + 2 * PG, PG) == PG, "read() of a file into its own mapping: errno %d",
          errno);                          // page 2 := page 1
    CHECK(pattern_diff(a + 2 * PG, 18, PG, PG) == -1, "mapping after read()");
    CHECK(munmap(a, 3 * PG) == 0, "munmap");
  }
  close(fa);
  // expected contents: mf_sb_a is pages 2,1,1 of pattern 18 (checked by the pytest side too)
  CHECK(readfile("mf_sb_a", 0, buf, PG) == PG && pattern_diff(buf, 18, 2 * PG, PG) == -1,
        "mf_sb_a page 0");
  CHECK(readfile("mf_sb_a", 2 * PG, buf, PG) == PG && pattern_diff(buf, 18, PG, PG) == -1,
        "mf_sb_a page 2");
  CHECK(readfile("mf_sb_b", 50, buf, PG) == PG && pattern_diff(buf, 18, 0, PG) == -1,
        "mf_sb_b");
  CHECK(readfile("mf_sb_c", 0, buf, PG) == PG && pattern_diff(buf, 18, 100, PG) == -1,
        "mf_sb_c");
  CHECK(readfile("mf_sb_c", 2 * PG, buf, PG) == PG && all_zero(buf, PG), "mf_sb_c zeros");
}

// MAP_POPULATE, with and without MAP_NONBLOCK.
static void
t_populate(void)
{
  struct counts a, b;
  CHECK(mkfile("mf_pop", 20, 4 * PG) == 0, "create");
  char *p = fmap(4 * PG, PROT_READ, MAP_SHARED | MAP_POPULATE, "mf_pop", O_RDONLY, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p != MAP_FAILED){
    for(int k = 0; k < 4; k++)
      CHECK(pm(p + k * PG) & PM_PRESENT, "page %d not populated", k);
    counts(&a);
    long d = pattern_diff(p, 20, 0, 4 * PG);
    counts(&b);
    CHECK(d == -1, "contents differ at %l", d);
    CHECK(DRU(a, b, ru_minflt) == 0 && DRU(a, b, ru_majflt) == 0,
          "populated pages faulted: minflt %l majflt %l", DRU(a, b, ru_minflt),
          DRU(a, b, ru_majflt));
    munmap(p, 4 * PG);
  }

  // MAP_NONBLOCK, nothing cached: no I/O, nothing mapped
  CHECK(mkfile("mf_popnb", 21, 4 * PG) == 0, "create");
  int fd = open("mf_popnb", O_RDONLY);
  counts(&a);
  p = mmap(0, 4 * PG, PROT_READ, MAP_SHARED | MAP_POPULATE | MAP_NONBLOCK, fd, 0);
  counts(&b);
  close(fd);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p != MAP_FAILED){
    CHECK(DVM(a, b, cache_misses) == 0 && DVM(a, b, disk_reads) == 0 && DRU(a, b, ru_majflt) == 0,
          "POPULATE|NONBLOCK read: misses %l disk reads %l majflt %l", DVM(a, b, cache_misses),
          DVM(a, b, disk_reads), DRU(a, b, ru_majflt));
    for(int k = 0; k < 4; k++)
      CHECK(pm(p + k * PG) == 0, "page %d mapped", k);
    counts(&a);
    touch_pages(p, 4);
    counts(&b);
    // the first fault reads the whole file ahead, fault-around maps the rest
    CHECK(DRU(a, b, ru_majflt) == 1 && DRU(a, b, ru_minflt) == 0 &&
          DVM(a, b, faultaround_pages) == 3, "majflt %l minflt %l fault-around %l",
          DRU(a, b, ru_majflt), DRU(a, b, ru_minflt), DVM(a, b, faultaround_pages));
    munmap(p, 4 * PG);
  }

  // MAP_NONBLOCK, pages 0-3 of 8 cached by read() (page 0, and readahead's first window):
  // those four are mapped
  CHECK(mkfile("mf_popc", 22, 8 * PG) == 0, "create");
  CHECK(readfile("mf_popc", 0, buf, PG) == PG, "read");
  p = fmap(8 * PG, PROT_READ, MAP_SHARED | MAP_POPULATE | MAP_NONBLOCK, "mf_popc", O_RDONLY, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p != MAP_FAILED){
    for(int k = 0; k < 8; k++)
      CHECK(!(pm(p + k * PG) & PM_PRESENT) == (k >= 4),
            "POPULATE|NONBLOCK with pages 0-3 cached: page %d: %lx", k, pm(p + k * PG));
    counts(&a);
    touch_pages(p, 8);
    counts(&b);
    // page 4 is a miss out of sequence (the file was opened anew): read alone; page 5 is
    // the next one, so it reads 5-7 ahead, and fault-around maps 6 and 7
    CHECK(DRU(a, b, ru_majflt) == 2 && DRU(a, b, ru_minflt) == 0 &&
          DVM(a, b, faultaround_pages) == 2, "majflt %l minflt %l fault-around %l",
          DRU(a, b, ru_majflt), DRU(a, b, ru_minflt), DVM(a, b, faultaround_pages));
    CHECK(pattern_diff(p, 22, 0, 8 * PG) == -1, "contents");
    munmap(p, 8 * PG);
  }
}

// Thousands of regions of one file that cannot merge.
#define NMANY 2000
static char *many[NMANY];

static void
t_many(void)
{
  CHECK(mkfile("mf_many", 23, 4 * PG) == 0, "create");
  int fd = open("mf_many", O_RDONLY);
  int n = 0;
  char *r = 0;
  for(; n < NMANY; n++){
    r = mmap(0, PG, n % 2 ? PROT_READ : PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, (n % 4) * PG);
    if(r == MAP_FAILED)
      break;
    many[n] = r;
  }
  close(fd);
  CHECK(n == NMANY || (errno == ENOMEM && n >= 1000), "%d regions, then errno %d", n, errno);
  int bad = -1;
  for(int i = 0; i < n; i++)
    if(many[i][7 + i % 64] != (char)fbyte(23, (i % 4) * PG + 7 + i % 64))
      bad = i;
  CHECK(bad < 0, "region %d reads wrong data", bad);
  for(int i = 0; i < n; i++)
    if(munmap(many[i], PG) != 0)
      bad = i;
  CHECK(bad < 0, "munmap of region %d: errno %d", bad, errno);
  if(n > 0)
    CHECK(in_child(touch_read, many[n / 2]) == -1, "a region is still mapped");
  r = fmap(PG, PROT_READ, MAP_PRIVATE, "mf_many", O_RDONLY, PG);
  CHECK(r != MAP_FAILED && r[3] == (char)fbyte(23, PG + 3), "mmap after: errno %d", errno);
  if(r != MAP_FAILED)
    munmap(r, PG);
}

// Children on several harts store disjoint stripes of one shared file at once, in rounds, each
// round followed by msync (MS_SYNC, or MS_ASYNC on odd rounds): writeback of a page races with
// other children's stores to it, and none of the last round's stores may be lost on disk.
#define NCONC 4
#define CONCPAGES 8
#define CONCROUNDS 6

static uchar
cbyte(int c, uint64 o, int round)
{
  return (o * 3 + c * 50 + round * 17 + 1) & 0xff;
}

static void
t_conc(void)
{
  CHECK(mkfile("mf_conc", 24, CONCPAGES * PG) == 0, "create");
  char *mine = fmap(CONCPAGES * PG, PROT_READ, MAP_SHARED, "mf_conc", O_RDONLY, 0);
  CHECK(mine != MAP_FAILED, "mmap: errno %d", errno);
  if(mine == MAP_FAILED)
    return;
  touch_read(mine);
  uint64 pfn = PFN(pm(mine));
  int go[2], res[2];
  CHECK(pipe(go) == 0 && pipe(res) == 0, "pipe");
  int pids[NCONC];
  for(int c = 0; c < NCONC; c++){
    pids[c] = fork();
    if(pids[c] == 0){
      failures = 0;
      close(go[1]);
      char *p = fmap(CONCPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_conc", O_RDWR, 0);
      char ch;
      read(go[0], &ch, 1);                // returns 0 once the parent closes its end
      uint64 e = 0;
      if(p != MAP_FAILED){
        for(int round = 0; round < CONCROUNDS; round++){
          for(uint64 o = c; o < CONCPAGES * PG; o += 8)
            p[o] = cbyte(c, o, round);
          CHECK(msync(p, CONCPAGES * PG, round % 2 ? MS_ASYNC : MS_SYNC) == 0,
                "msync: errno %d", errno);
        }
        e = pm(p);
      }
      write(res[1], &e, sizeof(e));
      child_exit();
    }
  }
  close(go[0]);
  close(go[1]);
  for(int c = 0; c < NCONC; c++){
    uint64 e = 0;
    CHECK(read(res[0], &e, sizeof(e)) == sizeof(e), "child's message");
    CHECK(PFN(e) == pfn && (e & PM_FILE), "a child maps page 0 at %lx, the parent at pfn %lx",
          e, pfn);
  }
  for(int c = 0; c < NCONC; c++){
    int st = 12345, pid = wait(&st);
    int known = 0;
    for(int i = 0; i < NCONC; i++)
      if(pids[i] == pid)
        known = 1;
    CHECK(known && st == 0, "child %d: status %d", pid, st);
  }
  close(res[0]);
  close(res[1]);
  int fd = open("mf_conc", O_RDONLY);
  long bad = -1;
  for(uint64 off = 0; off < CONCPAGES * PG; off += PG){
    if(read(fd, buf, PG) != PG){
      bad = off;
      break;
    }
    for(int j = 0; j < PG; j++){
      uint64 o = off + j;
      uchar want = o % 8 < NCONC ? cbyte(o % 8, o, CONCROUNDS - 1) : fbyte(24, o);
      if((uchar)buf[j] != want && bad < 0)
        bad = o;
    }
  }
  close(fd);
  CHECK(bad < 0, "mf_conc differs at offset %l", bad);
  munmap(mine, CONCPAGES * PG);
}

// Truncation drops the pages beyond the new end from every mapping.
static void
t_trunc(void)
{
  CHECK(mkfile("mf_trunc", 25, 2 * PG) == 0, "create");
  char *p = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_trunc", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  touch_pages(p, 2);
  int fd = open("mf_trunc", O_RDWR | O_TRUNC);
  CHECK(fd >= 0, "open O_TRUNC");
  CHECK(in_child(touch_read, p) == -1 && in_child(touch_read, p + PG) == -1,
        "pages beyond the truncated end still readable");
  mark(buf, 100, 0x19);
  CHECK(write(fd, buf, 100) == 100, "write");
  close(fd);
  CHECK(in_child(touch_read, p + 50) == 0, "page 0 not readable after the file grew again");
  CHECK(marked(p, 100, 0x19) && all_zero(p + 100, PG - 100), "page 0 after truncate and write");
  CHECK(in_child(touch_read, p + PG) == -1, "page 1 readable");
  CHECK(munmap(p, 2 * PG) == 0, "munmap");
  struct mark m[] = { { 0, 100, 0x19 } };
  EXPECT_FILE("mf_trunc", 0x7f, 100, m);
}

// A file of the largest size: writeback larger than the log, through indirect blocks.
#define BIGPAGES 67          // MAXFILE (268 blocks of 1 KiB)

static void
t_bigfile(void)
{
  CHECK(mkfile("mf_big", 26, BIGPAGES * PG) == 0, "create");
  char *p = fmap(BIGPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_big", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  struct counts a, b;
  for(int k = 0; k < BIGPAGES; k++)
    mark(p + k * PG + (k * 37) % 3000, 64, k + 1);
  counts(&a);
  CHECK(msync(p, BIGPAGES * PG, MS_SYNC) == 0, "msync: errno %d", errno);
  counts(&b);
  CHECK(DRU(a, b, ru_wbpages) == BIGPAGES && DVM(a, b, writeback_pages) == BIGPAGES,
        "msync wrote %l (system %l)", DRU(a, b, ru_wbpages), DVM(a, b, writeback_pages));
  CHECK(munmap(p, BIGPAGES * PG) == 0, "munmap");
  static struct mark m[BIGPAGES];
  for(int k = 0; k < BIGPAGES; k++){
    m[k].off = k * PG + (k * 37) % 3000;
    m[k].n = 64;
    m[k].tag = k + 1;
  }
  expect_file(__LINE__, "mf_big", 26, BIGPAGES * PG, m, BIGPAGES);
}

// A mapping outlives its file's name; the inode is freed once the mapping goes (fsck checks).
static void
t_unlink(void)
{
  CHECK(mkfile("mf_unl", 28, 2 * PG) == 0, "create");
  char *p = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_unl", O_RDWR, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  CHECK(unlink("mf_unl") == 0, "unlink: errno %d", errno);
  CHECK(pattern_diff(p, 28, 0, 2 * PG) == -1, "contents after unlink");
  mark(p + PG + 1, 30, 0x29);
  CHECK(msync(p, 2 * PG, MS_SYNC) == 0, "msync of an unlinked file: errno %d", errno);
  int pid = fork();
  if(pid == 0){
    mark(p + 7, 7, 0x2a);                 // exit writes back to the unlinked file
    exit(0);
  }
  CHECK(wait_for(pid) == 0, "child");
  CHECK(marked(p + 7, 7, 0x2a) && marked(p + PG + 1, 30, 0x29), "contents");
  CHECK(munmap(p, 2 * PG) == 0, "munmap");
  CHECK(open("mf_unl", O_RDONLY) < 0, "unlinked file still there");
}

// exec drops the mappings, writing dirty shared pages back.
static void
t_exec(void)
{
  CHECK(mkfile("mf_exec", 29, 2 * PG) == 0, "create");
  struct counts a, b;
  counts(&a);
  int pid = fork();
  if(pid == 0){
    char *p = fmap(2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, "mf_exec", O_RDWR, 0);
    if(p == MAP_FAILED)
      exit(2);
    mark(p + PG + 3, 9, 0x2b);
    char *args[] = { "mapfiletest", "-exit", 0 };
    exec("mapfiletest", args);
    exit(3);
  }
  CHECK(wait_for(pid) == 0, "child");
  counts(&b);
  CHECK(DVM(a, b, writeback_pages) == 1, "exec wrote %l pages", DVM(a, b, writeback_pages));
  struct mark m[] = { { PG + 3, 9, 0x2b } };
  EXPECT_FILE("mf_exec", 29, 2 * PG, m);
}

// read() and write() of a file whose user buffer is an untouched mapping of that same file,
// on pages not in the page cache: the fault happens while the file is being read or written.
static void
t_samefile(void)
{
  CHECK(mkfile("mf_same", 30, 4 * PG) == 0, "create");
  int fd = open("mf_same", O_RDWR);
  char *p = mmap(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  CHECK(write(fd, p + 2 * PG, PG) == PG, "write() from an uncached page of the same file: "
        "errno %d", errno);                // page 0 := page 2
  CHECK(read(fd, p + 3 * PG, PG) == PG, "read() into an uncached page of the same file: "
        "errno %d", errno);                // page 3 := page 1
  close(fd);
  CHECK(pattern_diff(p, 30, 2 * PG, PG) == -1 && pattern_diff(p + PG, 30, PG, 2 * PG) == -1 &&
        pattern_diff(p + 3 * PG, 30, PG, PG) == -1, "contents");
  CHECK(munmap(p, 4 * PG) == 0, "munmap");
}

static struct subtest tests[] = {
  { "errors", t_errors },
  { "lazy", t_lazy },
  { "shared", t_shared },
  { "private", t_private },
  { "coherent", t_coherent },
  { "eof", t_eof },
  { "writeback", t_writeback },
  { "msync", t_msync },
  { "syncpoints", t_syncpoints },
  { "cowfork", t_cowfork },
  { "shanon", t_shanon },
  { "shfork", t_shfork },
  { "punch", t_punch },
  { "mprotect", t_mprotect },
  { "fixed", t_fixed },
  { "sysbuf", t_sysbuf },
  { "populate", t_populate },
  { "many", t_many },
  { "conc", t_conc },
  { "trunc", t_trunc },
  { "bigfile", t_bigfile },
  { "unlink", t_unlink },
  { "exec", t_exec },
  { "samefile", t_samefile },       // last: a deadlock here hangs the program
};

int
main(int argc, char *argv[])
{
  if(argc == 2 && strcmp(argv[1], "-exit") == 0)
    exit(0);                              // t_exec's new image
  struct vmstat st;
  memset(&st, 0, sizeof(st));
  CHECK(vmstat(&st) == 0, "vmstat: errno %d", errno);
  wp = st.dirty_mode == DIRTY_WP;
  CHECK(st.dirty_mode == DIRTY_WP || st.dirty_mode == DIRTY_DBIT, "dirty_mode %l",
        (long)st.dirty_mode);
  printf("mapfiletest: dirty tracking %s\n", wp ? "wp" : "dbit");
  exit(check_main(argc, argv, tests, NELEM(tests)));
}

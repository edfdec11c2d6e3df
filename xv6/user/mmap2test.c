// mmap2test: madvise, mincore, mlock/munlock and MAP_LOCKED, MAP_NORESERVE and the commit
// limit, MAP_GROWSDOWN (+ PROT_GROWSDOWN), MAP_DENYWRITE, on the harness of user/check.h:
// `mmap2test [NAME ...]`, `mmap2test -l`.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fcntl.h"
#include "kernel/stat.h"
#include "kernel/elf.h"
#include "user/user.h"

#define TEST_NAME "mmap2test"
#include "user/check.h"

#define PG 4096



static char *
anon(void *addr, uint64 len, int prot, int flags)
{
  return mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
}

static void touch_write(char *p) { *(volatile char *)p = 1; }

// A file of n pages, byte i of page k = k + i (mod 256).
static void
make_file(char *name, int n)
{
  make_pattern_file(name, n, 1);
}

// n bytes at offset off of file `name`, read through a descriptor of its own (xv6 has no
// pread or lseek).  The count read, or -1.
static int
read_at(char *name, int off, char *buf, int n)
{
  char skip[256];
  int fd = open(name, O_RDONLY);
  if(fd < 0)
    return -1;
  while(off > 0){
    int k = off < (int)sizeof(skip) ? off : (int)sizeof(skip);
    if(read(fd, skip, k) != k){
      close(fd);
      return -1;
    }
    off -= k;
  }
  int got = read(fd, buf, n);
  close(fd);
  return got;
}

static uint64
faults(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt + ru.ru_majflt;
}

// ---- madvise -----------------------------------------------------------------------------------

// What reading byte 1 of each of the 4 pages at m (page k holds k + 1, as make_file writes
// them) moved in the fault and page-cache counters.
struct touched {
  int major, minor, cache;        // faults (getrusage)
  int ahead, around;              // pages read ahead, pages mapped around (vmstat)
};

static struct touched
touch4(char *m, char *what)
{
  struct vmstat v0, v1;
  struct rusage r0, r1;
  vmstat(&v0);
  getrusage(RUSAGE_SELF, &r0);
  for(int k = 0; k < 4; k++)
    CHECK(m[k * PG + 1] == (char)(k + 1), "%s page %d contents", what, k);
  vmstat(&v1);
  getrusage(RUSAGE_SELF, &r1);
  return (struct touched){
    .major = (int)(r1.ru_majflt - r0.ru_majflt),
    .minor = (int)(r1.ru_minflt - r0.ru_minflt),
    .cache = (int)(r1.ru_cacheflt - r0.ru_cacheflt),
    .ahead = (int)(v1.readahead_pages - v0.readahead_pages),
    .around = (int)(v1.faultaround_pages - v0.faultaround_pages),
  };
}

static void
t_madvise(void)
{
  char *p = anon(0, 4 * PG, PROT_READ | PROT_WRITE, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  CHECK(madvise(p + 1, PG, MADV_NORMAL) == -1 && errno == EINVAL, "unaligned: errno %d", errno);
  CHECK(madvise(p, PG, 99) == -1 && errno == EINVAL, "bad advice: errno %d", errno);
  CHECK(madvise(p, PG, -1) == -1 && errno == EINVAL, "negative advice: errno %d", errno);
  CHECK(madvise(p, 0, MADV_DONTNEED) == 0, "len 0: errno %d", errno);
  for(int a = MADV_NORMAL; a <= MADV_WILLNEED; a++)
    CHECK(madvise(p, 4 * PG, a) == 0, "advice %d: errno %d", a, errno);
  CHECK(madvise(p + 4 * PG, PG, MADV_NORMAL) == -1 && errno == ENOMEM,
        "unmapped: errno %d", errno);

  // DONTNEED on private anonymous memory: zeros come back
  p[0] = 'x';
  p[PG + 7] = 'y';
  CHECK(madvise(p, 2 * PG, MADV_DONTNEED) == 0, "DONTNEED: errno %d", errno);
  uint64 e = 1;
  pagemap(p, &e);
  CHECK(e == 0, "page still mapped after DONTNEED (%lx)", e);
  CHECK(p[0] == 0 && p[PG + 7] == 0, "private anonymous not zero after DONTNEED");
  munmap(p, 4 * PG);

  // DONTNEED on a shared file mapping: the stores are written back, not lost
  make_file("madv.f", 2);
  int fd = open("madv.f", O_RDWR);
  char *s = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(s != MAP_FAILED, "mmap shared: errno %d", errno);
  s[5] = 'S';
  CHECK(madvise(s, 2 * PG, MADV_DONTNEED) == 0, "DONTNEED shared: errno %d", errno);
  char c = 0;
  CHECK(read(fd, &c, 1) == 1 && c == (char)0, "read byte 0");
  CHECK(s[5] == 'S', "shared store lost after DONTNEED (%d)", s[5]);
  munmap(s, 2 * PG);

  // DONTNEED on a private file mapping: the private copy goes, the file comes back
  char *q = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  q[9] = 'Q';
  CHECK(madvise(q, PG, MADV_DONTNEED) == 0, "DONTNEED private file");
  CHECK(q[9] == 9, "private file page not refilled from the file (%d)", q[9]);
  munmap(q, PG);
  close(fd);

  // WILLNEED reads a file into the page cache: touching it then is a cache hit
  make_file("madv.g", 4);
  fd = open("madv.g", O_RDONLY);
  char *w = mmap(0, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
  struct vmstat before, after;
  vmstat(&before);
  CHECK(madvise(w, 4 * PG, MADV_WILLNEED) == 0, "WILLNEED: errno %d", errno);
  vmstat(&after);
  CHECK(after.cache_misses + after.readahead_pages - before.cache_misses -
        before.readahead_pages == 4, "WILLNEED read %d pages, not 4",
        (int)(after.cache_misses + after.readahead_pages - before.cache_misses -
              before.readahead_pages));
  // one fault: fault-around maps the other three pages
  struct touched t = touch4(w, "WILLNEED");
  CHECK(t.major == 0 && t.cache == 1, "after WILLNEED: %d major, %d cache faults", t.major,
        t.cache);
  munmap(w, 4 * PG);
  close(fd);

  // RANDOM on pages 0-1 (the region splits): their misses read one page each and map none
  // around; page 2, next in sequence, reads 2-3 ahead, and fault-around maps 3 (not 1: the
  // window stops at its region's start)
  make_file("madv.r", 4);
  fd = open("madv.r", O_RDONLY);
  char *m = mmap(0, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
  CHECK(m != MAP_FAILED, "mmap: errno %d", errno);
  CHECK(madvise(m, 2 * PG, MADV_RANDOM) == 0, "RANDOM: errno %d", errno);
  t = touch4(m, "RANDOM");
  CHECK(t.major == 3 && t.minor == 0 && t.ahead == 1 && t.around == 1,
        "RANDOM on 0-1: %d major, %d minor faults, %d read ahead, %d mapped around",
        t.major, t.minor, t.ahead, t.around);
  // NORMAL takes the mark off: one fault maps the other three cached pages
  CHECK(madvise(m, 4 * PG, MADV_DONTNEED) == 0 && madvise(m, 4 * PG, MADV_NORMAL) == 0,
        "DONTNEED, NORMAL: errno %d", errno);
  t = touch4(m, "NORMAL");
  CHECK(t.major == 0 && t.cache == 1 && t.around == 3,
        "NORMAL again: %d major, %d cache faults, %d mapped around", t.major, t.cache, t.around);
  munmap(m, 4 * PG);
  close(fd);
  unlink("madv.f");
  unlink("madv.g");
  unlink("madv.r");
}

// ---- mincore -----------------------------------------------------------------------------------

static void
t_mincore(void)
{
  unsigned char vec[8];
  char *p = anon(0, 4 * PG, PROT_READ | PROT_WRITE, 0);
  memset(vec, 7, sizeof(vec));
  CHECK(mincore(p, 4 * PG, vec) == 0, "mincore: errno %d", errno);
  CHECK(vec[0] == 0 && vec[1] == 0 && vec[2] == 0 && vec[3] == 0, "untouched pages resident");
  p[PG] = 1;
  p[3 * PG + 100] = 1;
  CHECK(mincore(p, 4 * PG, vec) == 0, "mincore 2");
  CHECK(vec[0] == 0 && vec[1] == 1 && vec[2] == 0 && vec[3] == 1,
        "residency %d%d%d%d, want 0101", vec[0], vec[1], vec[2], vec[3]);
  CHECK(mincore(p + 1, PG, vec) == -1 && errno == EINVAL, "unaligned: errno %d", errno);
  CHECK(mincore(p, 5 * PG, vec) == -1 && errno == ENOMEM, "unmapped: errno %d", errno);
  CHECK(mincore(p, PG, (unsigned char *)0x10) == -1 && errno == EFAULT, "bad vec: errno %d",
        errno);
  munmap(p, 4 * PG);

  // a file's page counts as resident when it is in the page cache, mapped here or not
  make_file("minc.f", 3);
  int fd = open("minc.f", O_RDONLY);
  char *f = mmap(0, 3 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(f[2 * PG] == 2, "page 2");   // a fault out of sequence: page 2 alone comes in
  munmap(f, 3 * PG);
  f = mmap(0, 3 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
  CHECK(mincore(f, 3 * PG, vec) == 0, "mincore file");
  CHECK(vec[0] == 0 && vec[1] == 0 && vec[2] == 1, "file residency %d%d%d, want 001",
        vec[0], vec[1], vec[2]);
  munmap(f, 3 * PG);
  close(fd);
  unlink("minc.f");
}

// ---- mlock, MAP_LOCKED -------------------------------------------------------------------------

static void
lock_all_in_child(char *unused)
{
  // memory locks are not inherited: the child has its own full quota
  char *q = anon(0, MLOCKPAGES * (uint64)PG, PROT_READ | PROT_WRITE, MAP_LOCKED);
  exit(q == MAP_FAILED ? 1 : 0);
}

static void
t_mlock(void)
{
  char *p = anon(0, 8 * PG, PROT_READ | PROT_WRITE, 0);
  CHECK(mlock(p, 8 * PG) == 0, "mlock: errno %d", errno);
  unsigned char vec[8];
  mincore(p, 8 * PG, vec);
  int all = 1;
  for(int i = 0; i < 8; i++)
    all &= vec[i];
  CHECK(all, "mlock did not fault every page in");
  uint64 f0 = faults();
  for(int i = 0; i < 8; i++)
    p[i * PG] = i;
  CHECK(faults() == f0, "%d faults on locked pages", (int)(faults() - f0));
  CHECK(madvise(p, PG, MADV_DONTNEED) == -1 && errno == EINVAL,
        "DONTNEED on locked memory: errno %d", errno);
  CHECK(munlock(p, 8 * PG) == 0, "munlock: errno %d", errno);
  CHECK(madvise(p, PG, MADV_DONTNEED) == 0, "DONTNEED after munlock: errno %d", errno);
  CHECK(mlock(p + 7 * PG, 2 * PG) == -1 && errno == ENOMEM, "mlock past the mapping: errno %d",
        errno);
  munmap(p, 8 * PG);

  // the limit: MLOCKPAGES pages per process
  char *big = anon(0, (MLOCKPAGES + 1) * (uint64)PG, PROT_READ | PROT_WRITE, MAP_NORESERVE);
  CHECK(big != MAP_FAILED, "mmap big: errno %d", errno);
  CHECK(mlock(big, (MLOCKPAGES + 1) * (uint64)PG) == -1 && errno == ENOMEM,
        "mlock past the limit: errno %d", errno);
  CHECK(mlock(big, 16 * PG) == 0, "mlock 16 pages: errno %d", errno);
  char *l = anon(0, (MLOCKPAGES - 15) * (uint64)PG, PROT_READ, MAP_LOCKED);
  CHECK(l == MAP_FAILED && errno == EAGAIN, "MAP_LOCKED past the limit: errno %d", errno);
  CHECK(in_child(lock_all_in_child, 0) == 0, "child could not lock its own quota");
  l = anon(0, (MLOCKPAGES - 16) * (uint64)PG, PROT_READ, MAP_LOCKED);
  CHECK(l != MAP_FAILED, "MAP_LOCKED up to the limit: errno %d", errno);
  if(l != MAP_FAILED){
    CHECK(l[5 * PG] == 0, "locked page");
    CHECK(munmap(l, (MLOCKPAGES - 16) * (uint64)PG) == 0, "munmap locked");
  }
  // unmapping gave the quota back
  l = anon(0, (MLOCKPAGES - 16) * (uint64)PG, PROT_READ, MAP_LOCKED);
  CHECK(l != MAP_FAILED, "MAP_LOCKED after munmap: errno %d", errno);
  munmap(l, (MLOCKPAGES - 16) * (uint64)PG);
  munmap(big, (MLOCKPAGES + 1) * (uint64)PG);
}

// ---- MAP_NORESERVE and the commit limit ------------------------------------------------------------

static uint64 total_pages;

static void
fill_until_killed(char *p)
{
  for(uint64 i = 0;; i++)
    p[i * PG] = 1;         // more pages than RAM: the kernel kills us when none is left
}

static void
t_noreserve(void)
{
  struct vmstat st;
  vmstat(&st);
  total_pages = st.total_pages;
  uint64 big = (total_pages + 16) * PG;
  char *p = anon(0, big, PROT_READ | PROT_WRITE, 0);
  CHECK(p == MAP_FAILED && errno == ENOMEM, "more than RAM, reserved: errno %d", errno);
  p = mmap(0, big, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  CHECK(p == MAP_FAILED && errno == ENOMEM, "shared anonymous more than RAM: errno %d", errno);
  // read-only private memory needs no reservation, until it becomes writable
  p = anon(0, big, PROT_READ, 0);
  CHECK(p != MAP_FAILED, "read-only, more than RAM: errno %d", errno);
  if(p != MAP_FAILED){
    CHECK(mprotect(p, big, PROT_READ | PROT_WRITE) == -1 && errno == ENOMEM,
          "mprotect RW more than RAM: errno %d", errno);
    CHECK(mprotect(p, 16 * PG, PROT_READ | PROT_WRITE) == 0, "mprotect a little: errno %d",
          errno);
    p[3] = 1;
    munmap(p, big);
  }
  // half of RAM twice: the second cannot be promised while the first holds it
  uint64 half = total_pages / 2 * PG + PG;
  char *a = anon(0, half, PROT_READ | PROT_WRITE, 0);
  CHECK(a != MAP_FAILED, "half of RAM: errno %d", errno);
  char *b = anon(0, half, PROT_READ | PROT_WRITE, 0);
  CHECK(b == MAP_FAILED && errno == ENOMEM, "second half reserved: errno %d", errno);
  munmap(a, half);
  b = anon(0, half, PROT_READ | PROT_WRITE, 0);
  CHECK(b != MAP_FAILED, "reservation given back by munmap: errno %d", errno);
  munmap(b, half);

  // NORESERVE: the mapping is made; running out of memory kills only the process
  p = anon(0, big, PROT_READ | PROT_WRITE, MAP_NORESERVE);
  CHECK(p != MAP_FAILED, "NORESERVE more than RAM: errno %d", errno);
  if(p != MAP_FAILED){
    vmstat(&st);
    uint64 free_before = st.free_pages;
    CHECK(in_child(fill_until_killed, p) == -1, "child filling memory not killed");
    vmstat(&st);
    CHECK(st.free_pages + 64 >= free_before, "memory not given back: %d then %d free",
          (int)free_before, (int)st.free_pages);
    munmap(p, big);
  }
}

// fork must reserve the child's copy of reserved private memory
static void
t_fork_reserve(void)
{
  uint64 most = (total_pages * 2 / 3) * PG;
  char *a = anon(0, most, PROT_READ | PROT_WRITE, 0);
  CHECK(a != MAP_FAILED, "two thirds of RAM: errno %d", errno);
  int pid = fork();
  if(pid == 0)
    exit(0);
  CHECK(pid == -1 && errno == ENOMEM, "fork with 2/3 of RAM reserved: pid %d errno %d", pid,
        errno);
  if(pid > 0)
    wait(0);
  munmap(a, most);
  pid = fork();
  if(pid == 0)
    exit(0);
  CHECK(pid > 0, "fork after munmap: errno %d", errno);
  wait(0);
}

// ---- MAP_GROWSDOWN ------------------------------------------------------------------------------

static char *stack_top;

static void
touch_two_below(char *p)
{
  p[-2 * PG] = 1;          // skips a page: not the page just below
}

static void
grow_into_gap(char *p)
{
  // grow one page at a time until the guard gap stops it: the kernel kills us
  for(char *q = p - PG;; q -= PG)
    *q = 1;
}

static void
t_growsdown(void)
{
  int fd = open("README", O_RDONLY);
  CHECK(mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0) == MAP_FAILED &&
        errno == EINVAL, "GROWSDOWN with a file: errno %d", errno);
  close(fd);
  CHECK(mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0)
        == MAP_FAILED && errno == EINVAL, "GROWSDOWN shared: errno %d", errno);

  char *s = anon(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_GROWSDOWN | MAP_STACK);
  CHECK(s != MAP_FAILED, "GROWSDOWN: errno %d", errno);
  if(s == MAP_FAILED)
    return;
  stack_top = s + 2 * PG;
  s[0] = 1;
  s[-1] = 2;               // the page just below: the region grows
  s[-PG] = 3;
  s[-PG - 1] = 4;          // and again
  CHECK(s[-1] == 2 && s[-PG - 1] == 4, "grown pages");
  unsigned char vec[4];
  CHECK(mincore(s - 2 * PG, 4 * PG, vec) == 0, "grown region is mapped: errno %d", errno);
  CHECK(in_child(touch_two_below, s - 2 * PG) == -1, "a fault two pages below grew the stack");

  // PROT_GROWSDOWN applies the change down to the start of the region
  CHECK(mprotect(stack_top - PG, PG, PROT_READ | PROT_GROWSDOWN) == 0,
        "PROT_GROWSDOWN: errno %d", errno);
  CHECK(in_child(touch_write, s - 2 * PG) == -1, "bottom page still writable");
  CHECK(mprotect(s, PG, PROT_READ | PROT_GROWSUP) == -1 && errno == EINVAL,
        "PROT_GROWSUP: errno %d", errno);
  char *plain = anon(0, PG, PROT_READ, 0);
  CHECK(mprotect(plain, PG, PROT_READ | PROT_GROWSDOWN) == -1 && errno == EINVAL,
        "PROT_GROWSDOWN on a plain region: errno %d", errno);
  munmap(plain, PG);
  munmap(s - 2 * PG, 4 * PG);

  // growth stops GUARDGAP pages above the next region down
  char *low = anon(0, (GUARDGAP + 8) * (uint64)PG, PROT_READ, 0);
  CHECK(low != MAP_FAILED, "low region");
  CHECK(munmap(low + PG, (GUARDGAP + 7) * (uint64)PG) == 0, "carve");
  char *st = anon(low + (GUARDGAP + 4) * (uint64)PG, PG, PROT_READ | PROT_WRITE,
                  MAP_GROWSDOWN | MAP_FIXED_NOREPLACE);
  CHECK(st == low + (GUARDGAP + 4) * (uint64)PG, "stack above the low region: errno %d", errno);
  CHECK(in_child(grow_into_gap, st) == -1, "growth into the guard gap not stopped");
  // the child grew 3 pages (gap GUARDGAP from low's end); here nothing grew
  st[-1] = 5;
  st[-PG - 1] = 5;
  st[-2 * PG - 1] = 5;
  CHECK(in_child(touch_write, st - 4 * PG) == -1, "grew into the guard gap");
  munmap(low, (GUARDGAP + 8) * (uint64)PG);
}

// ---- MAP_DENYWRITE -----------------------------------------------------------------------------

static void
t_denywrite(void)
{
  make_file("deny.f", 2);
  int w = open("deny.f", O_RDWR);
  int r = open("deny.f", O_RDONLY);
  char *p = mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_DENYWRITE, r, 0);
  CHECK(p == MAP_FAILED && errno == ETXTBSY, "DENYWRITE while open for writing: errno %d",
        errno);
  close(w);
  p = mmap(0, 2 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_DENYWRITE | MAP_EXECUTABLE, r, 0);
  CHECK(p != MAP_FAILED, "DENYWRITE: errno %d", errno);
  CHECK(open("deny.f", O_WRONLY) == -1 && errno == ETXTBSY, "open for writing: errno %d", errno);
  CHECK(open("deny.f", O_RDWR) == -1 && errno == ETXTBSY, "open O_RDWR: errno %d", errno);
  int r2 = open("deny.f", O_RDONLY);
  CHECK(r2 >= 0, "open for reading: errno %d", errno);
  close(r2);
  CHECK(p[PG + 3] == 4, "contents");
  // a child shares the mapping, and the denial, until it goes
  int pid = fork();
  if(pid == 0){
    munmap(p, 2 * PG);
    exit(open("deny.f", O_WRONLY) == -1 && errno == ETXTBSY ? 0 : 1);
  }
  int st = -5;
  wait(&st);
  CHECK(st == 0, "child could open for writing while the parent maps it");
  // a split region still denies until every part is gone
  munmap(p, PG);
  CHECK(open("deny.f", O_WRONLY) == -1 && errno == ETXTBSY, "after partial munmap: errno %d",
        errno);
  munmap(p + PG, PG);
  w = open("deny.f", O_WRONLY);
  CHECK(w >= 0, "open for writing after munmap: errno %d", errno);
  close(w);
  close(r);
  unlink("deny.f");
}

// ---- ftruncate, and truncation under a running mapper ------------------------------------------

static int
file_size(int fd)
{
  struct stat st;
  fstat(fd, &st);
  return st.size;
}

static void
t_ftruncate(void)
{
  int p[2];
  pipe(p);
  CHECK(ftruncate(p[0], 0) == -1 && errno == EINVAL, "pipe: errno %d", errno);
  close(p[0]);
  close(p[1]);
  CHECK(ftruncate(99, 0) == -1 && errno == EBADF, "bad fd: errno %d", errno);
  make_file("trunc.f", 3);
  int ro = open("trunc.f", O_RDONLY);
  CHECK(ftruncate(ro, 0) == -1 && errno == EINVAL, "read-only fd: errno %d", errno);
  int fd = open("trunc.f", O_RDWR);
  CHECK(ftruncate(fd, -1) == -1 && errno == EINVAL, "negative: errno %d", errno);
  CHECK(ftruncate(fd, 1L << 30) == -1 && errno == EFBIG, "too big: errno %d", errno);

  char *m = mmap(0, 3 * PG, PROT_READ, MAP_SHARED, ro, 0);
  CHECK(m[2 * PG + 5] == (char)(2 + 5) && m[PG + 100] == (char)(1 + 100), "contents");
  CHECK(ftruncate(fd, PG + 100) == 0, "shrink: errno %d", errno);
  CHECK(file_size(fd) == PG + 100, "size %d after shrink", file_size(fd));
  CHECK(m[PG + 99] == (char)(1 + 99) && m[PG + 100] == 0 && m[2 * PG - 1] == 0,
        "last page: data to the end, zeros after");
  // a load from the page past the end is a bus error now
  int pid = fork();
  if(pid == 0){
    volatile char c = m[2 * PG];
    (void)c;
    exit(0);
  }
  int st = 0;
  wait(&st);
  CHECK(st == -1, "page past the new end still readable");

  CHECK(ftruncate(fd, 3 * PG) == 0, "grow: errno %d", errno);
  CHECK(file_size(fd) == 3 * PG, "size %d after growing", file_size(fd));
  int zero = 1;
  for(int i = PG + 100; i < 3 * PG; i++)
    if(m[i] != 0)
      zero = 0;
  CHECK(zero, "grown part not zero through the mapping");
  char buf[8];
  CHECK(read_at("trunc.f", 2 * PG + 8, buf, 8) == 8 && buf[0] == 0 && buf[7] == 0,
        "grown part not zero through read()");
  munmap(m, 3 * PG);
  close(ro);
  close(fd);
  unlink("trunc.f");
}

// A child spins on a shared file page on another hart while we truncate the file: once
// ftruncate returns, its next access must fault (its hart's TLB was shot down), so the count
// it keeps stops moving.
static void
t_truncate_running(void)
{
  make_file("trunc.g", 1);
  int fd = open("trunc.g", O_RDWR);
  char *m = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  volatile uint64 *count = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                -1, 0);
  m[0] = 1;
  int pid = fork();
  if(pid == 0){
    for(;;){
      (void)*(volatile char *)m;
      (*count)++;
    }
  }
  while(*count < 1000)
    ;                     // the child is running
  struct vmstat before, after;
  vmstat(&before);
  CHECK(ftruncate(fd, 0) == 0, "ftruncate: errno %d", errno);
  uint64 c1 = *count;
  for(volatile int i = 0; i < 20000; i++)
    ;
  uint64 c2 = *count;
  vmstat(&after);
  int st = 0;
  wait(&st);
  CHECK(st == -1, "child not killed by the truncation (status %d)", st);
  CHECK(c2 - c1 <= 1, "child went on %d times after ftruncate returned", (int)(c2 - c1));
  printf("  truncate-running: %d shootdown interrupts\n",
         (int)(after.tlb_shootdowns - before.tlb_shootdowns));
  munmap(m, PG);
  munmap((void *)count, PG);
  close(fd);
  unlink("trunc.g");
}

// ---- MAP_HUGETLB ---------------------------------------------------------------------------------

#define HPG (2L * 1024 * 1024)

static uint64
pfn(void *addr)
{
  uint64 e = 0;
  pagemap(addr, &e);
  return (e & PM_PRESENT) ? (e & PM_PFRAME_MASK) : 0;
}

static char *
huge(void *addr, uint64 len, int prot, int flags)
{
  return mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | flags, -1, 0);
}

static void
t_huge(void)
{
  int fd = open("README", O_RDONLY);
  CHECK(mmap(0, HPG, PROT_READ, MAP_PRIVATE | MAP_HUGETLB, fd, 0) == MAP_FAILED &&
        errno == EINVAL, "HUGETLB with a file: errno %d", errno);
  close(fd);
  CHECK(huge(0, HPG, PROT_READ, MAP_HUGE_1GB) == MAP_FAILED && errno == EINVAL,
        "1 GiB pages: errno %d", errno);
  CHECK(huge((void *)(64L << 30) + PG, HPG, PROT_READ, MAP_FIXED) == MAP_FAILED &&
        errno == EINVAL, "unaligned MAP_FIXED: errno %d", errno);

  struct rusage r0, r1;
  char *h = huge(0, 2 * HPG, PROT_READ | PROT_WRITE, MAP_HUGE_2MB);
  CHECK(h != MAP_FAILED, "mmap 4 MiB of 2 MiB pages: errno %d", errno);
  if(h == MAP_FAILED)
    return;
  CHECK((uint64)h % HPG == 0, "not 2 MiB aligned: %p", h);
  getrusage(RUSAGE_SELF, &r0);
  h[0] = 1;                                  // one fault maps all 2 MiB
  for(int i = 0; i < 512; i++)
    h[i * PG + 7] = i;
  getrusage(RUSAGE_SELF, &r1);
  CHECK(r1.ru_minflt - r0.ru_minflt == 1, "%d faults for 512 pages of one megapage",
        (int)(r1.ru_minflt - r0.ru_minflt));
  uint64 f0 = pfn(h), f511 = pfn(h + 511 * PG);
  CHECK(f0 % 512 == 0 && f511 == f0 + 511, "frame not contiguous and aligned: %lx %lx", f0, f511);
  int ok = 1;
  for(int i = 0; i < 512; i++)
    if(h[i * PG + 7] != (char)i || h[i * PG + 8] != 0)
      ok = 0;
  CHECK(ok, "megapage contents");

  // the kernel copies through megapages too
  int p[2];
  pipe(p);
  CHECK(write(p[1], h + 3 * PG, 100) == 100, "write from a megapage: errno %d", errno);
  CHECK(read(p[0], h + HPG + 5, 100) == 100, "read into an untouched megapage: errno %d",
        errno);
  CHECK(h[HPG + 5 + 0] == 0 && h[HPG + 5 + 7] == 3, "copied bytes");
  close(p[0]);
  close(p[1]);

  unsigned char vec[1024];
  CHECK(mincore(h, 2 * HPG, vec) == 0 && vec[0] == 1 && vec[511] == 1 && vec[512] == 1,
        "mincore of megapages");

  // 2 MiB units
  CHECK(munmap(h + PG, PG) == -1 && errno == EINVAL, "munmap inside a megapage: errno %d",
        errno);
  CHECK(mprotect(h, PG, PROT_READ) == -1 && errno == EINVAL, "mprotect part of a megapage");
  CHECK(mprotect(h, HPG, PROT_READ) == 0, "mprotect a megapage: errno %d", errno);
  CHECK(in_child(touch_write, h + 100) == -1, "store to a read-only megapage");
  CHECK(mprotect(h, HPG, PROT_READ | PROT_WRITE) == 0, "mprotect back: errno %d", errno);

  // fork: private megapages are copy-on-write, 2 MiB at a time
  int pid = fork();
  if(pid == 0){
    int same = pfn(h) == f0;
    h[10] = 'c';
    exit(same && pfn(h) != f0 && pfn(h + 511 * PG) == pfn(h) + 511 ? 0 : 1);
  }
  int st = -5;
  wait(&st);
  CHECK(st == 0, "child's copy of a megapage (status %d)", st);
  CHECK(h[10] == 0 && pfn(h) == f0, "parent's megapage changed by the child");

  CHECK(munmap(h + HPG, HPG + PG) == 0, "munmap the second megapage (length rounded): errno %d",
        errno);
  CHECK(pfn(h + HPG) == 0 && h[7 * PG + 7] == 7, "after munmap of the second");
  CHECK(munmap(h, HPG) == 0, "munmap: errno %d", errno);

  // shared anonymous megapages stay shared across fork
  char *s = mmap(0, HPG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB,
                 -1, 0);
  CHECK(s != MAP_FAILED, "shared megapage: errno %d", errno);
  if(s != MAP_FAILED){
    pid = fork();
    if(pid == 0){
      s[PG * 100 + 1] = 'k';
      exit(0);
    }
    wait(0);
    CHECK(s[PG * 100 + 1] == 'k', "child's store to a shared megapage not seen");
    munmap(s, HPG);
  }

  // more than RAM: refused, unless NORESERVE (then the fault that finds no frame kills)
  struct vmstat vs;
  vmstat(&vs);
  uint64 big = (vs.total_pages / 512 + 2) * HPG;
  CHECK(huge(0, big, PROT_READ | PROT_WRITE, 0) == MAP_FAILED && errno == ENOMEM,
        "megapages beyond RAM: errno %d", errno);
  char *n = huge(0, big, PROT_READ | PROT_WRITE, MAP_NORESERVE);
  CHECK(n != MAP_FAILED, "NORESERVE megapages beyond RAM: errno %d", errno);
  if(n != MAP_FAILED){
    pid = fork();
    if(pid == 0){
      for(uint64 off = 0; off < big; off += HPG)
        n[off] = 1;
      exit(0);
    }
    st = 0;
    wait(&st);
    CHECK(st == -1, "touching more megapages than RAM holds did not kill");
    munmap(n, big);
  }
}

// ---- exec maps programs ---------------------------------------------------------------------------

// Run argv[0] with stdout into a pipe; what it wrote (up to n bytes) into buf.  The count.
static int
run_capture(char **argv, char *buf, int n)
{
  int p[2];
  pipe(p);
  int pid = fork();
  if(pid == 0){
    close(1);
    dup(p[1]);
    close(p[0]);
    close(p[1]);
    exec(argv[0], argv);
    exit(100 + errno);
  }
  close(p[1]);
  int got = 0, r;
  while(got < n && (r = read(p[0], buf + got, n - got)) > 0)
    got += r;
  close(p[0]);
  wait(0);
  return got;
}

// "mmap2test pfn": report, on stdout, the physical page of our own text and our fault counts
// so far (all of them came from running the program: exec maps it, nothing is read up front).
static void
report_pfn(void)
{
  uint64 out[3];
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  out[0] = pfn((void *)report_pfn);
  out[1] = ru.ru_majflt;
  out[2] = ru.ru_cacheflt;
  write(1, out, sizeof(out));
  exit(0);
}

static void
t_exec(void)
{
  // the running program's text is the page cache's page, shared with a second run of it
  uint64 mine = pfn((void *)report_pfn);
  uint64 e = 0;
  pagemap((void *)report_pfn, &e);
  CHECK((e & PM_FILE) && !(e & PM_WRITE), "text page is not a read-only page-cache page (%lx)",
        e);
  uint64 got[3] = {0, 0, 0};
  char *args[] = {"mmap2test", "pfn", 0};
  CHECK(run_capture(args, (char *)got, sizeof(got)) == sizeof(got), "no report from the child");
  CHECK(got[0] == mine && mine != 0, "text pages not shared: %lx and %lx", mine, got[0]);
  CHECK(got[1] == 0 && got[2] > 0, "child's faults: %d major, %d cache hits",
        (int)got[1], (int)got[2]);

  // a running program's file cannot be written (MAP_DENYWRITE)
  CHECK(open("mmap2test", O_WRONLY) == -1 && errno == ETXTBSY, "open running program for "
        "writing: errno %d", errno);
  int fd = open("cat", O_WRONLY);
  CHECK(fd >= 0, "cat not running: errno %d", errno);
  int pid = fork();
  if(pid == 0){
    char *cargs[] = {"cat", 0};
    exec("cat", cargs);
    exit(100 + errno);
  }
  int st = 0;
  wait(&st);
  CHECK(st == 100 + ETXTBSY, "exec of a file open for writing: status %d", st);
  close(fd);
  int p[2];
  pipe(p);
  pid = fork();
  if(pid == 0){
    close(0);
    dup(p[0]);
    close(p[0]);
    close(p[1]);
    char *cargs[] = {"cat", 0};
    exec("cat", cargs);
    exit(1);
  }
  close(p[0]);
  sleep(2);                       // cat is running now, reading the pipe
  CHECK(open("cat", O_WRONLY) == -1 && errno == ETXTBSY, "open running cat for writing: "
        "errno %d", errno);
  close(p[1]);                    // cat sees end of file and exits
  wait(0);
  fd = open("cat", O_WRONLY);
  CHECK(fd >= 0, "open cat for writing after it ran: errno %d", errno);
  close(fd);

  // a segment whose file offset and address disagree modulo the page size cannot be mapped
  struct {
    struct elfhdr eh;
    struct proghdr ph;
    char code[16];
  } img;
  memset(&img, 0, sizeof(img));
  img.eh.ident[0] = 0x7f;
  img.eh.ident[1] = 'E';
  img.eh.ident[2] = 'L';
  img.eh.ident[3] = 'F';
  img.eh.ident[EI_CLASS] = ELFCLASS64;
  img.eh.ident[EI_DATA] = ELFDATA2LSB;
  img.eh.ident[EI_VERSION] = EV_CURRENT;
  img.eh.type = ET_EXEC;
  img.eh.machine = EM_RISCV;
  img.eh.version = EV_CURRENT;
  img.eh.entry = 0x1000;
  img.eh.phoff = sizeof(img.eh);
  img.eh.ehsize = sizeof(img.eh);
  img.eh.phentsize = sizeof(img.ph);
  img.eh.phnum = 1;
  img.ph.type = PT_LOAD;
  img.ph.flags = PF_R | PF_X;
  img.ph.off = sizeof(img.eh) + sizeof(img.ph);
  img.ph.vaddr = 0x1000;
  img.ph.filesz = img.ph.memsz = sizeof(img.code);
  fd = open("badalign", O_CREATE | O_RDWR);
  write(fd, &img, sizeof(img));
  close(fd);
  char *bargs[] = {"badalign", 0};
  CHECK(exec("badalign", bargs) == -1 && errno == ENOEXEC, "misaligned segment: errno %d",
        errno);
  unlink("badalign");
}

// ---- reclaim under memory pressure --------------------------------------------------------------

#define RFILES 24
#define RPAGES 64                 // pages per file (an xv6 file holds at most 67)

static void
rname(char *buf, int i)
{
  strcpy(buf, "rcl.00");
  buf[4] = '0' + i / 10;
  buf[5] = '0' + i % 10;
}

// Map more file pages than free memory holds: the kernel must take back pages it mapped
// earlier (writing the stores to them back first) instead of failing, and keep everything.
static void
t_reclaim(void)
{
  char name[8];
  static char buf[PG];
  for(int i = 0; i < RFILES; i++){
    rname(name, i);
    unlink(name);
    int fd = open(name, O_CREATE | O_RDWR);
    for(int k = 0; k < RPAGES; k++){
      memset(buf, i * RPAGES + k, PG);
      CHECK(write(fd, buf, PG) == PG, "write %s", name);
    }
    close(fd);
  }
  // Leave fewer free pages than the files have, by holding anonymous memory.
  struct vmstat st0, st1;
  vmstat(&st0);
  uint64 spare = RFILES * RPAGES / 2;
  uint64 hogpages = st0.free_pages > spare ? st0.free_pages - spare : 0;
  char *hog = anon(0, hogpages * PG, PROT_READ | PROT_WRITE, MAP_NORESERVE);
  CHECK(hog != MAP_FAILED, "hog: errno %d", errno);
  for(uint64 i = 0; i < hogpages; i++)
    hog[i * PG] = 1;
  char *m[RFILES];
  for(int i = 0; i < RFILES; i++){
    rname(name, i);
    int fd = open(name, O_RDWR);
    m[i] = mmap(0, RPAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m[i] != MAP_FAILED, "mmap %s: errno %d", name, errno);
    close(fd);
  }
  // store to every page: more than memory holds
  int bad = 0;
  for(int i = 0; i < RFILES; i++)
    for(int k = 0; k < RPAGES; k++){
      if(m[i][k * PG] != (char)(i * RPAGES + k))
        bad++;
      m[i][k * PG + 1] = 'm';
      m[i][k * PG + 2] = i;
    }
  CHECK(bad == 0, "%d pages read wrong the first time", bad);
  // and again: pages taken away come back, with the stores
  for(int i = 0; i < RFILES; i++)
    for(int k = 0; k < RPAGES; k++)
      if(m[i][k * PG] != (char)(i * RPAGES + k) || m[i][k * PG + 1] != 'm' ||
         m[i][k * PG + 2] != i)
        bad++;
  CHECK(bad == 0, "%d pages wrong after reclaim", bad);
  vmstat(&st1);
  CHECK(st1.reclaim_unmapped > st0.reclaim_unmapped, "nothing was reclaimed from mappings");
  CHECK(st1.writeback_pages > st0.writeback_pages, "no dirty page was written back");
  printf("  reclaim: %d PTEs taken back, %d pages written back, %d reclaimed\n",
         (int)(st1.reclaim_unmapped - st0.reclaim_unmapped),
         (int)(st1.writeback_pages - st0.writeback_pages),
         (int)(st1.reclaimed_pages - st0.reclaimed_pages));
  for(int i = 0; i < RFILES; i++)
    munmap(m[i], RPAGES * PG);
  munmap(hog, hogpages * PG);
  // the file holds every store
  for(int i = 0; i < RFILES; i++){
    rname(name, i);
    int fd = open(name, O_RDONLY);
    for(int k = 0; k < RPAGES; k++){
      if(read(fd, buf, PG) != PG || buf[0] != (char)(i * RPAGES + k) || buf[1] != 'm' ||
         buf[2] != i || buf[3] != (char)(i * RPAGES + k))
        bad++;
    }
    close(fd);
    unlink(name);
  }
  CHECK(bad == 0, "%d file pages wrong on disk", bad);
}

// ---- fsync sees every process's stores ----------------------------------------------------------

// A child stores through its shared mapping and stays alive (its PTE holds the only record of
// the store); our fsync must still write the page, as Linux's does.
static void
t_fsync_other(void)
{
  make_file("fso.f", 2);
  int fd = open("fso.f", O_RDWR);
  int p[2], q[2];
  pipe(p);
  pipe(q);
  int pid = fork();
  if(pid == 0){
    char *m = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    m[PG + 9] = 'F';
    write(p[1], "s", 1);          // stored
    char c;
    read(q[0], &c, 1);            // wait: keep the mapping until the parent has fsynced
    exit(0);
  }
  char c;
  read(p[0], &c, 1);
  struct vmstat st0, st1;
  vmstat(&st0);
  CHECK(fsync(fd) == 0, "fsync: errno %d", errno);
  vmstat(&st1);
  CHECK(st1.writeback_pages - st0.writeback_pages == 1,
        "fsync wrote %d pages, not the child's 1", (int)(st1.writeback_pages - st0.writeback_pages));
  CHECK(sync() == 0 && fsync(fd) == 0, "sync, fsync again");
  struct vmstat st2;
  vmstat(&st2);
  CHECK(st2.writeback_pages == st1.writeback_pages, "page written again though clean");
  write(q[1], "x", 1);
  wait(0);
  close(fd);
  unlink("fso.f");
}

static struct subtest tests[] = {
  {"madvise", t_madvise},
  {"mincore", t_mincore},
  {"mlock", t_mlock},
  {"noreserve", t_noreserve},
  {"forkreserve", t_fork_reserve},
  {"growsdown", t_growsdown},
  {"denywrite", t_denywrite},
  {"ftruncate", t_ftruncate},
  {"truncrun", t_truncate_running},
  {"huge", t_huge},
  {"exec", t_exec},
  {"reclaim", t_reclaim},
  {"fsyncother", t_fsync_other},
};

int
main(int argc, char *argv[])
{
  if(argc == 2 && strcmp(argv[1], "pfn") == 0)
    report_pfn();
  struct vmstat st;
  vmstat(&st);
  total_pages = st.total_pages;
  exit(check_main(argc, argv, tests, NELEM(tests)));
}

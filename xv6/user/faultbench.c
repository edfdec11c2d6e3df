// faultbench: what one kind of page fault costs, one scenario per run, for the host-side
// benchmark benchmarks/test_faults.py.
//
//     faultbench SCENARIO N [M]
//
// Each scenario maps N pages and touches them inside marked regions.  A region is opened by
// fb_mark(FB_MAGIC, 2k) and closed by fb_mark(FB_MAGIC, 2k + 1); the host keeps a breakpoint
// on fb_mark and reads the hart's instruction counter there (user code cannot read it: the
// kernel leaves scounteren clear).  Region "fault" takes the faults; region "base" repeats the
// same loop over pages already mapped, or the same system call with nothing to do, so that
// (fault - base) / N is the cost of one fault.  Around each region the program snapshots its
// own fault counters (getrusage) and the system's (vmstat), outside the marks, and prints
//     fb: region K NAME minflt=.. majflt=.. ... disk_writes=..
// with the differences (counters a kernel lacks are left out), then "fb: done".  On error:
// "fb: error WHAT: REASON (errno E)" and exit status 1.
//
// Scenarios (N pages; file scenarios use the data files fb0..fb3 of FILEPAGES pages each,
// which the benchmark writes into the image, so nothing of them is cached after boot):
//   anon         first store to private anonymous pages: zero-fill faults
//   anon-threaded the same with a second thread of the process alive and parked (blocked in
//                read() on a pipe) through the regions, so that every fault takes the
//                address space's lock for reading; the regions run the main thread alone
//   huge         the same in MAP_HUGETLB memory (N a multiple of 512): one fault per 2 MiB
//   populate     mmap with MAP_POPULATE (fault) against the same mmap without it (base)
//   file-major   first load from a MAP_SHARED file page not cached: read from disk
//   file-cached  the same after an earlier mapping touched the pages: page-cache hits
//   private-cow  first store to a MAP_PRIVATE file page already read: copy-on-write
//   fork-cow     stores in a forked child to private anonymous pages the parent had touched
//   shared-store first store to a clean MAP_SHARED page (a fault only when the kernel tracks
//                dirty pages by write faults)
//   msync        msync(MS_SYNC) of a MAP_SHARED mapping of M pages with N of them dirty
//   munmap       munmap of the same (base: munmap of M clean pages)
//   read         read() of N pages of the files, not cached (fault) against nothing (base)
//   read-cached  read() of N pages already read once
//   heap         sbrk(N pages) and the first store to each page (fault) against the stores
//                again (base): what a heap page costs from sbrk to its first use

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define PG         4096
#define FILEPAGES  64          // pages in each data file (an xv6 file holds at most 67)
#define NFILES     4
#define MAXPAGES   (FILEPAGES * NFILES)   // file scenarios
#define MAXANON    1024                 // anonymous scenarios
#define MAXREGIONS 4
#define FB_MAGIC   0xFA17BE4C4D41524BUL

// The host's breakpoint: a function that is one `ret`, called with magic in a0 and code in a1.
// The host stops there, reads the counter and resumes at ra, so the mark costs the same in
// every region (the call) and never changes the breakpoint set.
void fb_mark(uint64 magic, uint64 code);
asm(".pushsection .text\n"
    ".globl fb_mark\n"
    ".type fb_mark, @function\n"
    "fb_mark:\n"
    "  ret\n"
    ".size fb_mark, . - fb_mark\n"
    ".popsection\n");

struct snap {
  struct rusage ru;
  struct vmstat vs;
};

static char *pg[MAXANON];       // the pages a scenario touches, in order
static char buf[PG];           // read()'s destination
static struct snap before[MAXREGIONS], after[MAXREGIONS];
static const char *names[MAXREGIONS];
static int nregions;
static int have_ru = 1, have_vs = 1;

// anon-threaded's second thread: its stack (clone gets the top) and its two pipes.
#define PARKSTACK 8192
static char park_stack[PARKSTACK] __attribute__((aligned(16)));
static int ready_fds[2], park_fds[2];

static void
fail(const char *what)
{
  printf("fb: error %s: %s (errno %d)\n", what, strerror(errno), errno);
  exit(1);
}

static void
take(struct snap *s)
{
  if(have_ru && getrusage(RUSAGE_SELF, &s->ru) < 0)
    have_ru = 0;
  if(have_vs && vmstat(&s->vs) < 0)
    have_vs = 0;
}

// Open region k (they are numbered in order from 0).
static void
begin(const char *name)
{
  int k = nregions++;
  if(k >= MAXREGIONS){
    printf("fb: error too many regions\n");
    exit(1);
  }
  names[k] = name;
  take(&before[k]);
  fb_mark(FB_MAGIC, 2 * k);
}

static void
end(void)
{
  int k = nregions - 1;
  fb_mark(FB_MAGIC, 2 * k + 1);
  take(&after[k]);
}

#define D(f) (after[k].f - before[k].f)

// Print regions from..nregions-1.
static void
report(int from)
{
  for(int k = from; k < nregions; k++){
    printf("fb: region %d %s", k, names[k]);
    if(have_ru)
      printf(" minflt=%lu majflt=%lu zeroflt=%lu cacheflt=%lu cowflt=%lu dirtyflt=%lu"
             " wbpages=%lu", D(ru.ru_minflt), D(ru.ru_majflt), D(ru.ru_zeroflt),
             D(ru.ru_cacheflt), D(ru.ru_cowflt), D(ru.ru_dirtyflt), D(ru.ru_wbpages));
    if(have_vs)
      printf(" cache_hits=%lu cache_misses=%lu writeback_pages=%lu disk_reads=%lu"
             " disk_writes=%lu", D(vs.cache_hits), D(vs.cache_misses), D(vs.writeback_pages),
             D(vs.disk_reads), D(vs.disk_writes));
    if(have_vs)
      printf(" disk_requests=%lu readahead_pages=%lu faultaround_pages=%lu",
             D(vs.disk_requests), D(vs.readahead_pages), D(vs.faultaround_pages));
    printf("\n");
  }
}

// ---- the loops the regions time -------------------------------------------------------------

static void
store_all(int n)
{
  for(int i = 0; i < n; i++)
    *(volatile char *)pg[i] = (char)i;
}

static uint64
load_all(int n)
{
  uint64 sum = 0;
  for(int i = 0; i < n; i++)
    sum += *(volatile char *)pg[i];
  return sum;
}

// Region "fault" runs fn over the pages, region "base" runs it again.
static void
fault_and_base(void (*fn)(int), int n)
{
  begin("fault");
  fn(n);
  end();
  begin("base");
  fn(n);
  end();
}

static void load_void(int n) { load_all(n); }

// ---- mappings ---------------------------------------------------------------------------------

static char *
anon(int n, int flags)
{
  char *p = mmap(0, (uint64)n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | flags,
                 -1, 0);
  if(p == MAP_FAILED)
    fail("mmap anonymous");
  return p;
}

static void
pages_of(char *p, int n)
{
  for(int i = 0; i < n; i++)
    pg[i] = p + (uint64)i * PG;
}

// Map n pages of the data files (whole files, fb0 first; the last one in part) into pg[].
static void
map_files(int n, int omode, int prot, int flags)
{
  char name[8] = "fb0";
  for(int f = 0; f * FILEPAGES < n; f++){
    int cnt = n - f * FILEPAGES < FILEPAGES ? n - f * FILEPAGES : FILEPAGES;
    name[2] = '0' + f;
    int fd = open(name, omode);
    if(fd < 0)
      fail(name);
    char *p = mmap(0, (uint64)cnt * PG, prot, flags, fd, 0);
    if(p == MAP_FAILED)
      fail("mmap file");
    close(fd);                 // the mapping keeps the file
    for(int i = 0; i < cnt; i++)
      pg[f * FILEPAGES + i] = p + (uint64)i * PG;
  }
}

static void
unmap_files(int n)
{
  for(int f = 0; f * FILEPAGES < n; f++){
    int cnt = n - f * FILEPAGES < FILEPAGES ? n - f * FILEPAGES : FILEPAGES;
    if(munmap(pg[f * FILEPAGES], (uint64)cnt * PG) < 0)
      fail("munmap");
  }
}

// ---- scenarios ----------------------------------------------------------------------------------

static void
s_anon(int n, int m)
{
  pages_of(anon(n, 0), n);
  fault_and_base(store_all, n);
}

// The parked thread: says it is running, then blocks in read() until the main thread writes
// its byte.  It takes no fault while parked (its stack page was faulted in before the write).
static int
parked(void *arg)
{
  char c = 'r';
  if(write(ready_fds[1], &c, 1) != 1)
    return 1;
  if(read(park_fds[0], &c, 1) != 1)
    return 2;
  return c == 'g' ? 0 : 3;
}

// anon with a second thread alive: the address space is shared (mm_shared), so each fault
// takes its lock's read side (kernel/fault.c, fault_shared).  The thread is parked before the
// regions open: the main thread waits for its byte on ready_fds, and on one hart the thread
// then runs on into read() and sleeps before the main thread is scheduled again.  A sleeping
// thread retires no instructions and takes no faults, so the regions count the main thread's
// alone.  After them it is released and joined.
static void
s_anon_threaded(int n, int m)
{
  char c;
  if(pipe(ready_fds) < 0 || pipe(park_fds) < 0)
    fail("pipe");
  int tid = thread_create(parked, 0, park_stack + PARKSTACK);
  if(tid < 0)
    fail("thread_create");
  if(read(ready_fds[0], &c, 1) != 1)
    fail("read ready");
  pages_of(anon(n, 0), n);
  fault_and_base(store_all, n);
  c = 'g';
  if(write(park_fds[1], &c, 1) != 1)
    fail("write park");
  int st = -1;
  if(join(tid, &st) != tid || st != 0){
    printf("fb: error parked thread %d ended with status %d\n", tid, st);
    exit(1);
  }
  close(ready_fds[0]);
  close(ready_fds[1]);
  close(park_fds[0]);
  close(park_fds[1]);
}

// MAP_HUGETLB: n pages (a multiple of 512) of 2 MiB megapages; one fault maps 512 pages.
static void
s_huge(int n, int m)
{
  if(n % 512)
    fail("huge: N must be a multiple of 512");
  pages_of(anon(n, MAP_HUGETLB), n);
  fault_and_base(store_all, n);
}

// The heap: sbrk and first touch in one region, so the figure is comparable whether sbrk maps
// the pages at once or they fault in on first touch.
static void
s_heap(int n, int m)
{
  char *brk = sbrk(0);
  if(sbrk(PG - (uint64)brk % PG) == (char *)-1)   // page-align the break outside the regions
    fail("sbrk");
  pages_of(sbrk(0), n);
  begin("fault");
  if(sbrk(n * PG) == (char *)-1)
    fail("sbrk");
  store_all(n);
  end();
  begin("base");
  store_all(n);
  end();
}

static void
s_populate(int n, int m)
{
  begin("fault");
  char *p = anon(n, MAP_POPULATE);
  end();
  begin("base");
  char *q = anon(n, 0);
  end();
  pages_of(p, n);
  begin("touch");              // populated: no faults left to take
  store_all(n);
  end();
  munmap(q, (uint64)n * PG);
}

static void
s_file_major(int n, int m)
{
  map_files(n, O_RDONLY, PROT_READ, MAP_SHARED);
  fault_and_base(load_void, n);
}

static void
s_file_cached(int n, int m)
{
  map_files(n, O_RDONLY, PROT_READ, MAP_SHARED);
  load_all(n);                 // an earlier mapping brings the pages into the cache
  unmap_files(n);
  map_files(n, O_RDONLY, PROT_READ, MAP_SHARED);
  fault_and_base(load_void, n);
}

static void
s_private_cow(int n, int m)
{
  map_files(n, O_RDONLY, PROT_READ | PROT_WRITE, MAP_PRIVATE);
  load_all(n);                 // mapped read-only, shared with the cache
  fault_and_base(store_all, n);
}

static void
s_fork_cow(int n, int m)
{
  pages_of(anon(n, 0), n);
  store_all(n);
  begin("fork");
  int pid = fork();
  if(pid < 0)
    fail("fork");
  if(pid == 0){
    // The child leaves region 0 to the parent, takes regions 1 and 2, and reports them.
    fault_and_base(store_all, n);
    report(1);
    exit(0);
  }
  end();
  int st;
  if(wait(&st) != pid || st != 0){
    printf("fb: error child failed (status %d)\n", st);
    exit(1);
  }
}

static void
s_shared_store(int n, int m)
{
  map_files(n, O_RDWR, PROT_READ | PROT_WRITE, MAP_SHARED);
  load_all(n);                 // mapped and clean
  fault_and_base(store_all, n);
}

// M pages of fb0 mapped shared and read; n of them (spread evenly) stored to.
static char *
dirty_mapping(int n, int m, int file)
{
  char name[8] = "fb0";
  name[2] = '0' + file;
  int fd = open(name, O_RDWR);
  if(fd < 0)
    fail(name);
  char *p = mmap(0, (uint64)m * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if(p == MAP_FAILED)
    fail("mmap file");
  close(fd);
  pages_of(p, m);
  load_all(m);
  for(int i = 0; i < n; i++)
    *(volatile char *)(p + (uint64)(i * m / n) * PG) = (char)(i + 1);
  return p;
}

static void
s_msync(int n, int m)
{
  char *p = dirty_mapping(n, m, 0);
  begin("fault");
  if(msync(p, (uint64)m * PG, MS_SYNC) < 0)
    fail("msync");
  end();
  begin("base");               // nothing dirty left
  if(msync(p, (uint64)m * PG, MS_SYNC) < 0)
    fail("msync");
  end();
}

static void
s_munmap(int n, int m)
{
  char *clean = dirty_mapping(0, m, 1);
  char *p = dirty_mapping(n, m, 0);
  begin("fault");
  if(munmap(p, (uint64)m * PG) < 0)
    fail("munmap");
  end();
  begin("base");
  if(munmap(clean, (uint64)m * PG) < 0)
    fail("munmap");
  end();
}

// read() n pages of the data files, a page per call.
static void
read_files(int n)
{
  char name[8] = "fb0";
  for(int f = 0; f * FILEPAGES < n; f++){
    int cnt = n - f * FILEPAGES < FILEPAGES ? n - f * FILEPAGES : FILEPAGES;
    name[2] = '0' + f;
    int fd = open(name, O_RDONLY);
    if(fd < 0)
      fail(name);
    for(int i = 0; i < cnt; i++)
      if(read(fd, buf, PG) != PG)
        fail("read");
    close(fd);
  }
}

static void
s_read(int n, int m)
{
  begin("fault");
  read_files(n);
  end();
  begin("base");
  end();
}

static void
s_read_cached(int n, int m)
{
  read_files(n);
  begin("fault");
  read_files(n);
  end();
  begin("base");
  end();
}

enum { ANON, FILES, DIRTY };

static struct {
  const char *name;
  void (*run)(int n, int m);
  int args;                    // ANON, FILES (at most MAXPAGES), or DIRTY (N <= M <= FILEPAGES)
} scenarios[] = {
  {"anon", s_anon, ANON},
  {"anon-threaded", s_anon_threaded, ANON},
  {"huge", s_huge, ANON},
  {"populate", s_populate, ANON},
  {"file-major", s_file_major, FILES},
  {"file-cached", s_file_cached, FILES},
  {"private-cow", s_private_cow, FILES},
  {"fork-cow", s_fork_cow, ANON},
  {"shared-store", s_shared_store, FILES},
  {"msync", s_msync, DIRTY},
  {"munmap", s_munmap, DIRTY},
  {"read", s_read, FILES},
  {"read-cached", s_read_cached, FILES},
  {"heap", s_heap, ANON},
};

static void
usage(void)
{
  fprintf(2, "usage: faultbench SCENARIO N [M]   (N pages; M: mapped pages of msync/munmap)\n"
             "scenarios:");
  for(int i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++)
    fprintf(2, " %s", scenarios[i].name);
  fprintf(2, "\n");
  exit(2);
}

int
main(int argc, char *argv[])
{
  if(argc < 3)
    usage();
  int n = atoi(argv[2]);
  int m = argc > 3 ? atoi(argv[3]) : FILEPAGES;
  for(int i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++){
    if(strcmp(argv[1], scenarios[i].name) != 0)
      continue;
    int args = scenarios[i].args;
    int limit = args == ANON ? MAXANON : args == FILES ? MAXPAGES : FILEPAGES;
    if(n < 1 || n > limit || (args == DIRTY && (m < n || m > FILEPAGES))){
      printf("fb: error pages: N must be 1..%d (and N <= M <= %d)\n", limit, FILEPAGES);
      exit(1);
    }
    // Touch the snapshot buffers now, so that no fault of theirs lands in a region's counts.
    memset(before, 0, sizeof(before));
    memset(after, 0, sizeof(after));
    struct vmstat vs;
    printf("fb: scenario %s pages %d mapped %d dirty_mode %d\n", argv[1], n, m,
           vmstat(&vs) == 0 ? (int)vs.dirty_mode : 0);
    scenarios[i].run(n, m);
    report(0);
    printf("fb: done\n");
    exit(0);
  }
  usage();
  return 0;
}

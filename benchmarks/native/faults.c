// faults: the access patterns of xv6/user/faultbench.c on the host's own kernel, for scale.
//
//     faults DIR PAGES MAPPED REPS DIRTY...
//
// Works in DIR (a data file DIR/faults.dat is made and removed).  For each kind, REPS
// repetitions; each times a "fault" region and a "base" region (the same loop over pages
// already mapped, or the same call with nothing to do), and the cost per page is
// (fault - base) / pages.  Prints one line per kind, the median over the repetitions and the
// fault counts (getrusage) of the fault region of the last one:
//     kind=anon pages=256 ns=123.4 minflt=256 majflt=0
// The kinds are faultbench's scenarios (anon-threaded: anon with a second pthread parked in a
// pipe read() through the regions, so the address space has two users); msync and munmap once per DIRTY count (pages stored to
// out of MAPPED), named msync-K and munmap-K.  Pages "not cached" are dropped from the page
// cache with posix_fadvise(POSIX_FADV_DONTNEED) after an fsync (ignored by tmpfs: the counts
// show it).  Exit status 1 and a message on stderr when something fails.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG 4096
#define MAXREPS 101

static const char *path;
static long npages, nmapped;
static char pagebuf[PG];

struct sample {
  double fault_ns, base_ns;      // the two regions
  long count;                    // pages the cost is divided by
  long minflt, majflt;           // in the fault region
};

static void
die(const char *what)
{
  perror(what);
  exit(1);
}

static double
now_ns(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

static void
faults(long *minflt, long *majflt)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *minflt = ru.ru_minflt;
  *majflt = ru.ru_majflt;
}

// Timing of one region: start() ... stop(&s, is_fault_region).
static double t0;
static long min0, maj0;

static void
start(void)
{
  faults(&min0, &maj0);
  t0 = now_ns();
}

static void
stop(struct sample *s, int fault)
{
  double dt = now_ns() - t0;
  long mi, ma;
  faults(&mi, &ma);
  if(fault){
    s->fault_ns = dt;
    s->minflt = mi - min0;
    s->majflt = ma - maj0;
  } else {
    s->base_ns = dt;
  }
}

static void
store_all(char *p, long n)
{
  for(long i = 0; i < n; i++)
    *(volatile char *)(p + i * PG) = (char)i;
}

static long
load_all(char *p, long n)
{
  long sum = 0;
  for(long i = 0; i < n; i++)
    sum += *(volatile char *)(p + i * PG);
  return sum;
}

static char *
map(long n, int prot, int flags, int fd)
{
  char *p = mmap(0, n * PG, prot, flags, fd, 0);
  if(p == MAP_FAILED)
    die("mmap");
  return p;
}

static int
open_data(int mode)
{
  int fd = open(path, mode);
  if(fd < 0)
    die(path);
  return fd;
}

// Write back and drop the data file's pages from the page cache.
static void
uncache(void)
{
  int fd = open_data(O_RDWR);
  if(fsync(fd) < 0)
    die("fsync");
  posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  close(fd);
}

// Read the whole file once, so that it is cached.
static void
cache(void)
{
  int fd = open_data(O_RDONLY);
  while(read(fd, pagebuf, PG) > 0)
    ;
  close(fd);
}

// ---- the kinds ----------------------------------------------------------------------------------

static void
k_anon(struct sample *s)
{
  char *p = map(npages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  start(); store_all(p, npages); stop(s, 1);
  start(); store_all(p, npages); stop(s, 0);
  munmap(p, npages * PG);
}

// anon-threaded's second thread: reports its tid, then blocks reading its pipe until released.
static int park_fds[2], ready_fds[2];

static void *
parked(void *arg)
{
  pid_t tid = (pid_t)syscall(SYS_gettid);
  char c;
  if(write(ready_fds[1], &tid, sizeof tid) != sizeof tid)
    return (void *)1;
  if(read(park_fds[0], &c, 1) != 1)
    return (void *)2;
  return 0;
}

// Wait until thread tid sleeps (its state in /proc is S), so that the regions run alone.
static void
wait_asleep(pid_t tid)
{
  char name[64], line[512];
  snprintf(name, sizeof name, "/proc/self/task/%d/stat", (int)tid);
  for(int tries = 0; tries < 100000; tries++){
    FILE *f = fopen(name, "r");
    if(!f)
      return;                   // no /proc: the handshake alone
    size_t len = fread(line, 1, sizeof line - 1, f);
    fclose(f);
    line[len] = 0;
    char *paren = strrchr(line, ')');
    if(paren && paren[1] == ' ' && paren[2] == 'S')
      return;
    sched_yield();
  }
  fprintf(stderr, "faults: anon-threaded: the parked thread never slept\n");
  exit(1);
}

static void
k_anon_threaded(struct sample *s)
{
  pthread_t t;
  pid_t tid;
  void *ret;
  if(pipe(park_fds) < 0 || pipe(ready_fds) < 0)
    die("pipe");
  int e = pthread_create(&t, 0, parked, 0);
  if(e){
    errno = e;
    die("pthread_create");
  }
  if(read(ready_fds[0], &tid, sizeof tid) != sizeof tid)
    die("read");
  wait_asleep(tid);
  k_anon(s);
  if(write(park_fds[1], "g", 1) != 1)
    die("write");
  e = pthread_join(t, &ret);
  if(e || ret){
    fprintf(stderr, "faults: anon-threaded: pthread_join %d, thread returned %ld\n", e,
            (long)ret);
    exit(1);
  }
  close(park_fds[0]);
  close(park_fds[1]);
  close(ready_fds[0]);
  close(ready_fds[1]);
}

static void
k_populate(struct sample *s)
{
  start();
  char *p = map(npages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1);
  stop(s, 1);
  start();
  char *q = map(npages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  stop(s, 0);
  munmap(p, npages * PG);
  munmap(q, npages * PG);
}

static void
file_loads(struct sample *s, int cached)
{
  if(cached)
    cache();
  else
    uncache();
  int fd = open_data(O_RDONLY);
  char *p = map(npages, PROT_READ, MAP_SHARED, fd);
  close(fd);
  start(); load_all(p, npages); stop(s, 1);
  start(); load_all(p, npages); stop(s, 0);
  munmap(p, npages * PG);
}

static void k_file_major(struct sample *s) { file_loads(s, 0); }
static void k_file_cached(struct sample *s) { file_loads(s, 1); }

static void
k_private_cow(struct sample *s)
{
  cache();
  int fd = open_data(O_RDONLY);
  char *p = map(npages, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
  close(fd);
  load_all(p, npages);
  start(); store_all(p, npages); stop(s, 1);
  start(); store_all(p, npages); stop(s, 0);
  munmap(p, npages * PG);
}

static void
k_fork_cow(struct sample *s)
{
  char *p = map(npages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  store_all(p, npages);
  int fds[2];
  if(pipe(fds) < 0)
    die("pipe");
  pid_t pid = fork();
  if(pid < 0)
    die("fork");
  if(pid == 0){
    start(); store_all(p, npages); stop(s, 1);
    start(); store_all(p, npages); stop(s, 0);
    if(write(fds[1], s, sizeof *s) != sizeof *s)
      _exit(1);
    _exit(0);
  }
  int st;
  if(read(fds[0], s, sizeof *s) != sizeof *s || waitpid(pid, &st, 0) != pid || st != 0){
    fprintf(stderr, "faults: fork-cow child failed\n");
    exit(1);
  }
  close(fds[0]);
  close(fds[1]);
  munmap(p, npages * PG);
}

static void
k_shared_store(struct sample *s)
{
  uncache();                    // written back: every page clean
  cache();
  int fd = open_data(O_RDWR);
  char *p = map(npages, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
  close(fd);
  load_all(p, npages);
  start(); store_all(p, npages); stop(s, 1);
  start(); store_all(p, npages); stop(s, 0);
  munmap(p, npages * PG);
}

// MAPPED pages mapped shared and read, dirty of them (spread evenly) stored to.
static char *
dirty_mapping(long dirty)
{
  int fd = open_data(O_RDWR);
  char *p = map(nmapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
  close(fd);
  load_all(p, nmapped);
  for(long i = 0; i < dirty; i++)
    *(volatile char *)(p + (i * nmapped / dirty) * PG) = (char)(i + 1);
  return p;
}

static long dirty_now;          // the DIRTY count being measured

static void
k_msync(struct sample *s)
{
  uncache();
  cache();
  char *p = dirty_mapping(dirty_now);
  start();
  if(msync(p, nmapped * PG, MS_SYNC) < 0)
    die("msync");
  stop(s, 1);
  start();
  if(msync(p, nmapped * PG, MS_SYNC) < 0)
    die("msync");
  stop(s, 0);
  munmap(p, nmapped * PG);
  s->count = dirty_now;
}

static void
k_munmap(struct sample *s)
{
  uncache();
  cache();
  char *clean = dirty_mapping(0);
  char *p = dirty_mapping(dirty_now);
  start();
  if(munmap(p, nmapped * PG) < 0)
    die("munmap");
  stop(s, 1);
  start();
  if(munmap(clean, nmapped * PG) < 0)
    die("munmap");
  stop(s, 0);
  s->count = dirty_now;
}

static void
read_pages(void)
{
  int fd = open_data(O_RDONLY);
  for(long i = 0; i < npages; i++)
    if(read(fd, pagebuf, PG) != PG)
      die("read");
  close(fd);
}

static void
reads(struct sample *s, int cached)
{
  if(cached)
    cache();
  else
    uncache();
  start(); read_pages(); stop(s, 1);
  start(); stop(s, 0);
}

static void k_read(struct sample *s) { reads(s, 0); }
static void k_read_cached(struct sample *s) { reads(s, 1); }

static struct {
  const char *name;
  void (*run)(struct sample *);
} kinds[] = {
  {"anon", k_anon},
  {"anon-threaded", k_anon_threaded},
  {"populate", k_populate},
  {"file-major", k_file_major},
  {"file-cached", k_file_cached},
  {"private-cow", k_private_cow},
  {"fork-cow", k_fork_cow},
  {"shared-store", k_shared_store},
  {"read", k_read},
  {"read-cached", k_read_cached},
};

// ---- driver -------------------------------------------------------------------------------------

static int
by_value(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void
measure(const char *name, void (*run)(struct sample *), int reps)
{
  double per[MAXREPS];
  struct sample s;
  for(int r = 0; r < reps; r++){
    memset(&s, 0, sizeof s);
    s.count = npages;
    run(&s);
    per[r] = (s.fault_ns - s.base_ns) / (s.count ? s.count : 1);
  }
  qsort(per, reps, sizeof per[0], by_value);
  double med = reps % 2 ? per[reps / 2] : (per[reps / 2 - 1] + per[reps / 2]) / 2;
  printf("kind=%s pages=%ld ns=%.1f minflt=%ld majflt=%ld\n", name, s.count, med, s.minflt,
         s.majflt);
  fflush(stdout);
}

int
main(int argc, char *argv[])
{
  if(argc < 5){
    fprintf(stderr, "usage: faults DIR PAGES MAPPED REPS DIRTY...\n");
    return 2;
  }
  static char file[4096];
  snprintf(file, sizeof file, "%s/faults.dat", argv[1]);
  path = file;
  npages = atol(argv[2]);
  nmapped = atol(argv[3]);
  int reps = atoi(argv[4]);
  if(npages < 1 || nmapped < 1 || reps < 1 || reps > MAXREPS){
    fprintf(stderr, "faults: PAGES and MAPPED must be positive, REPS 1..%d\n", MAXREPS);
    return 2;
  }
  long size = (npages > nmapped ? npages : nmapped) * PG;
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  if(fd < 0)
    die(path);
  for(long off = 0; off < size; off += PG){
    memset(pagebuf, (int)(off / PG) | 1, PG);
    if(write(fd, pagebuf, PG) != PG)
      die("write");
  }
  close(fd);

  for(unsigned i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    measure(kinds[i].name, kinds[i].run, reps);
  for(int a = 5; a < argc; a++){
    char name[32];
    dirty_now = atol(argv[a]);
    if(dirty_now < 1 || dirty_now > nmapped){
      fprintf(stderr, "faults: DIRTY must be 1..MAPPED\n");
      unlink(path);
      return 2;
    }
    snprintf(name, sizeof name, "msync-%ld", dirty_now);
    measure(name, k_msync, reps);
    snprintf(name, sizeof name, "munmap-%ld", dirty_now);
    measure(name, k_munmap, reps);
  }
  unlink(path);
  return 0;
}

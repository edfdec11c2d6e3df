// threadtest: threads (clone, join, texit, gettid, thread_create), on the harness of
// user/check.h: `threadtest [NAME ...]`, `threadtest -l`.
//
// Tests that must end a process (exit from a thread, kill, a fault, exec) run in a forked child
// and report through a MAP_SHARED page made before the fork and through the exit status.  A
// child that checks things itself exits 0 when they all held; the parent then checks that.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fcntl.h"
#include "kernel/stat.h"
#include "user/user.h"

#define TEST_NAME "threadtest"
#include "user/check.h"

#ifndef RUSAGE_THREAD
#define RUSAGE_THREAD 1
#endif

#define PG 4096
#define STACKSZ 8192
#define NSTACKS (NPROC + 8)     // "many" needs more than the kernel can give

// Thread stacks: thread i runs on stacks[i] (its top is the stack pointer clone gets).
static char stacks[NSTACKS][STACKSZ] __attribute__((aligned(16)));

static void *
stk(int i)
{
  return stacks[i] + STACKSZ;
}

// Where the children tell their parent what happened (MAP_SHARED | MAP_ANONYMOUS, one page,
// made at start and inherited by every child).  Cleared by each test that uses it.
struct shared {
  volatile uint64 cnt[8];       // counters bumped by spinning threads
  volatile uint64 c0, c1, c2;   // a counter read by the child at several moments
  volatile int flag[8];
  volatile int val[8];
};
static struct shared *sh;

static void
sh_clear(void)
{
  memset((void *)sh, 0, sizeof(*sh));
}

static int
atomic_inc(volatile int *p)
{
  return __atomic_fetch_add(p, 1, __ATOMIC_SEQ_CST);
}

// Wait until *v >= want: spin a while (another hart may be about to get there), then give the
// hart away a tick at a time (on one hart nobody else runs while we spin).
#define SPINS 100000
static void
await_spins(volatile int *v, int want, int spins)
{
  int i = 0;
  while(__atomic_load_n(v, __ATOMIC_ACQUIRE) < want){
    if(++i == spins){
      sleep(1);
      i = 0;
    }
  }
}

static void
await(volatile int *v, int want)
{
  await_spins(v, want, SPINS);
}

// A start line for threads that must then race: spin longer (about a clock tick; a new thread
// may wait that long for an idle hart to notice it), so that those already there are still
// spinning, not asleep, when the last one arrives.
#define GATE_SPINS 4000000

// The same for a 64-bit counter, giving up after `ticks` clock ticks.  1 if it got there.
static int
await64(volatile uint64 *v, uint64 want, int ticks)
{
  int t0 = uptime();
  int i = 0;
  while(*v < want){
    if(++i == SPINS){
      if(uptime() - t0 > ticks)
        return 0;
      sleep(1);
      i = 0;
    }
  }
  return 1;
}

// Burn about n loop iterations (several instructions each) without a system call.
static void
busy(int n)
{
  for(volatile int i = 0; i < n; i++)
    ;
}

// texit through a pointer the compiler cannot see through: without the kernel side texit
// returns (-1, ENOSYS), and code after a call it believes never returns would be garbage.
static void (*volatile texit_p)(int) = texit;

static void
texit_or_die(int st)
{
  texit_p(st);
  CHECK(0, "texit(%d) returned: errno %d", st, errno);
  exit(99);
}

// Start fn(arg) on stack i; the tid, or -1 after reporting a failed check.
static int
start(int (*fn)(void *), void *arg, int i)
{
  int tid = thread_create(fn, arg, stk(i));
  CHECK(tid > 0, "thread_create on stack %d: tid %d errno %d", i, tid, errno);
  return tid;
}

// Join tid and check it ended with status want.
static void
join_want(int tid, int want)
{
  if(tid <= 0)
    return;
  int st = 12345;
  int r = join(tid, &st);
  CHECK(r == tid, "join(%d) = %d errno %d", tid, r, errno);
  CHECK(r != tid || st == want, "thread %d status %d, want %d", tid, st, want);
}

// Threads that stand still or keep busy until told otherwise.
static int
spin_forever(void *arg)
{
  volatile uint64 *c = arg;
  for(;;)
    (*c)++;
}

static int
block_read(void *arg)
{
  char c;
  read((int)(uint64)arg, &c, 1);
  return 5;
}

static int
sleep_long(void *arg)
{
  sleep(1000000);
  return 6;
}

static volatile int spin_stop;
static volatile uint64 spin_count;

static int
spin_until_stop(void *arg)
{
  while(!spin_stop)
    spin_count++;
  return 0;
}

// A file of n pages, byte i of page k = k * 7 + i (mod 256).
static void
make_file(char *name, int n)
{
  make_pattern_file(name, n, 7);
}

static uint64
pfn_of(void *addr, uint64 *entry)
{
  uint64 e = 0;
  pagemap(addr, &e);
  if(entry)
    *entry = e;
  return (e & PM_PRESENT) ? (e & PM_PFRAME_MASK) : 0;
}

// Fault in every page of the program's code and read-only data (they start at address 0; the
// writable data follows on the next page, `tests` among it), so that a thread running code not
// yet run causes no fault while a test counts faults.
static struct subtest tests[];

static void
prefault_text(void)
{
  volatile uint64 a = 0;
  for(; a < (uint64)tests; a += PG)
    (void)*(volatile char *)a;
}

// ---- basic -------------------------------------------------------------------------------------

struct binfo {
  int tid, pid;
  uint64 arg;
  uint64 sp;          // address of a local: on the thread's own stack
  uint64 sum;         // a computation that keeps many registers busy
};
static struct binfo binfo[4];

// Sum that needs the stack: frames of about 100 bytes (main's stack is one page).
static uint64
deep(int depth, uint64 seed)
{
  volatile char frame[96];
  for(int i = 0; i < (int)sizeof(frame); i++)
    frame[i] = seed + i;
  uint64 s = depth > 0 ? deep(depth - 1, seed * 31 + 7) : 0;
  for(int i = 0; i < (int)sizeof(frame); i++)
    s += frame[i] * (i + 1);
  return s;
}

static uint64
mix(uint64 seed, int n)
{
  uint64 a = seed, b = seed ^ 0x9e3779b97f4a7c15UL, c = seed * 3, d = 1;
  for(int i = 0; i < n; i++){
    a += b ^ (c >> 3);
    b = (b << 7) | (b >> 57);
    c += a * 5 + d;
    d ^= a + i;
  }
  return a ^ b ^ c ^ d;
}

static int
basic_fn(void *arg)
{
  int i = (int)(uint64)arg;
  volatile int local = 0;
  binfo[i].tid = gettid();
  binfo[i].pid = getpid();
  binfo[i].arg = (uint64)arg;
  binfo[i].sp = (uint64)&local;
  binfo[i].sum = mix(i + 1, 200000) + deep(10, i);
  return 100 + i;
}

static int ret_fn(void *arg) { return (int)(uint64)arg; }

static void
ret_triple(int v)
{
  texit_or_die(v * 3);
}

static int
texit_fn(void *arg)
{
  texit_or_die(77);
  return 0;
}

// A thread that starts a thread and joins it; and one that starts a thread for main to join.
static int
leaf_fn(void *arg)
{
  return (int)(uint64)arg + 1;
}

static int
nest_fn(void *arg)
{
  int t = thread_create(leaf_fn, (void *)40, stk(5));
  if(t <= 0)
    return -1;
  int st = 0;
  if(join(t, &st) != t)
    return -2;
  return st + 1;            // 42
}

static volatile int handed_tid;

static int
hand_fn(void *arg)
{
  handed_tid = thread_create(leaf_fn, (void *)60, stk(7));
  return 0;
}

static void
t_basic(void)
{
  int pid = getpid();
  CHECK(gettid() == pid, "main thread: gettid %d, getpid %d (errno %d)", gettid(), pid, errno);

  uint64 want[3];
  for(int i = 0; i < 3; i++)
    want[i] = mix(i + 1, 200000) + deep(10, i);
  memset(binfo, 0, sizeof(binfo));
  int tid[3];
  for(int i = 0; i < 3; i++)
    tid[i] = start(basic_fn, (void *)(uint64)i, i);
  if(tid[0] < 0)
    return;
  uint64 mine = mix(99, 200000);    // while they run
  CHECK(mine == mix(99, 200000), "main's own computation changed");
  CHECK(tid[0] != tid[1] && tid[1] != tid[2] && tid[0] != tid[2], "tids %d %d %d not distinct",
        tid[0], tid[1], tid[2]);
  for(int i = 2; i >= 0; i--)       // out of creation order
    join_want(tid[i], 100 + i);
  for(int i = 0; i < 3; i++){
    CHECK(tid[i] != pid, "thread %d has the process's id", i);
    CHECK(binfo[i].tid == tid[i], "thread %d: gettid %d, clone said %d", i, binfo[i].tid,
          tid[i]);
    CHECK(binfo[i].pid == pid, "thread %d: getpid %d, want %d", i, binfo[i].pid, pid);
    CHECK(binfo[i].arg == (uint64)i, "thread %d got arg %l", i, binfo[i].arg);
    CHECK(binfo[i].sp >= (uint64)stacks[i] && binfo[i].sp < (uint64)stk(i),
          "thread %d: local at %p, not on its stack [%p, %p)", i, (void *)binfo[i].sp,
          stacks[i], stk(i));
    CHECK(binfo[i].sum == want[i], "thread %d computed %lx, want %lx", i, binfo[i].sum, want[i]);
  }

  // fn's return value goes to ret; texit from inside fn; join without a status
  int t = clone(ret_fn, (void *)5, stk(0), ret_triple);
  CHECK(t > 0, "clone with own ret: errno %d", errno);
  join_want(t, 15);
  t = start(texit_fn, 0, 1);
  join_want(t, 77);
  t = start(ret_fn, (void *)0, 2);
  if(t > 0)
    CHECK(join(t, 0) == t, "join with status 0: errno %d", errno);

  // threads start threads; any thread may join any other
  t = start(nest_fn, 0, 4);
  join_want(t, 42);
  handed_tid = 0;
  t = start(hand_fn, 0, 6);
  join_want(t, 0);
  CHECK(handed_tid > 0, "thread could not start a thread: %d", handed_tid);
  join_want(handed_tid, 61);

  // bad arguments
  errno = 0;
  CHECK(clone(ret_fn, 0, 0, texit) == -1 && errno == EINVAL, "stack 0: errno %d", errno);
  errno = 0;
  CHECK(clone(0, 0, stk(0), texit) == -1 && errno == EINVAL, "fn 0: errno %d", errno);
  errno = 0;
  CHECK(thread_create(ret_fn, 0, 0) == -1 && errno == EINVAL, "thread_create stack 0: errno %d",
        errno);
}

// ---- shared memory -----------------------------------------------------------------------------

static volatile int g_flag, g_ack;
static volatile int g_counter;
static char *g_heap;            // main's sbrk memory
static char *g_tmem;            // a thread's sbrk memory
static char *g_mmap;            // main's private mapping
static char *g_tmap;            // a thread's mapping
static volatile int *g_remote;  // a local on a thread's stack

static int
count_fn(void *arg)
{
  for(int i = 0; i < 10000; i++)
    atomic_inc(&g_counter);
  return 0;
}

static int
mem_fn(void *arg)
{
  int bad = 0;
  // sees main's store made after it started
  await(&g_flag, 1);
  g_ack = 1;
  // main's heap and mapping: read, then change
  for(int i = 0; i < 2 * PG; i += 97)
    if(g_heap[i] != (char)(i * 3))
      bad |= 1;
  for(int i = 0; i < 2 * PG; i += 97)
    g_heap[i] = i * 5;
  for(int k = 0; k < 4; k++)
    if(g_mmap[k * PG + 11] != (char)(k + 1))
      bad |= 2;
  for(int k = 0; k < 4; k++)
    g_mmap[k * PG + 12] = k + 50;
  // memory of its own, for main to see
  g_tmem = sbrk(PG);
  if(g_tmem == (char *)-1)
    bad |= 4;
  else
    for(int i = 0; i < PG; i++)
      g_tmem[i] = i ^ 0x5a;
  g_tmap = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if(g_tmap == MAP_FAILED)
    bad |= 8;
  else
    for(int k = 0; k < 3; k++)
      g_tmap[k * PG + 1] = 'T' + k;
  // a variable on this stack, for main to change
  volatile int local = 1;
  g_remote = &local;
  g_ack = 2;
  while(local == 1)
    ;
  if(local != 2)
    bad |= 16;
  return bad;
}

static void
t_shared(void)
{
  g_counter = 0;
  int t[3];
  for(int i = 0; i < 3; i++)
    t[i] = start(count_fn, 0, i);
  for(int i = 0; i < 3; i++)
    join_want(t[i], 0);
  if(t[0] > 0)
    CHECK(g_counter == 30000, "counter %d after 3 x 10000 atomic increments", g_counter);

  g_flag = g_ack = 0;
  g_remote = 0;
  g_heap = sbrk(2 * PG);
  for(int i = 0; i < 2 * PG; i += 97)
    g_heap[i] = i * 3;
  g_mmap = mmap(0, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CHECK(g_mmap != MAP_FAILED, "mmap: errno %d", errno);
  for(int k = 0; k < 4; k++)
    g_mmap[k * PG + 11] = k + 1;
  int tid = start(mem_fn, 0, 0);
  if(tid < 0)
    return;
  g_flag = 1;
  await(&g_ack, 2);
  CHECK(g_remote != 0 && *g_remote == 1, "thread's local not visible");
  if(g_remote)
    *g_remote = 2;          // the thread waits for this on its own stack
  join_want(tid, 0);
  int bad = 0;
  for(int i = 0; i < 2 * PG; i += 97)
    if(g_heap[i] != (char)(i * 5))
      bad++;
  CHECK(bad == 0, "%d heap bytes: thread's stores not seen", bad);
  bad = 0;
  for(int k = 0; k < 4; k++)
    if(g_mmap[k * PG + 12] != (char)(k + 50) || g_mmap[k * PG + 11] != (char)(k + 1))
      bad++;
  CHECK(bad == 0, "%d pages of the private mapping differ between threads", bad);
  if(g_tmem != (char *)-1 && g_tmem != 0){
    bad = 0;
    for(int i = 0; i < PG; i++)
      if(g_tmem[i] != (char)(i ^ 0x5a))
        bad++;
    CHECK(bad == 0, "%d bytes of the thread's sbrk memory wrong", bad);
    CHECK(sbrk(0) >= g_tmem + PG, "break below the thread's sbrk");
  }
  if(g_tmap != MAP_FAILED && g_tmap != 0){
    for(int k = 0; k < 3; k++)
      CHECK(g_tmap[k * PG + 1] == 'T' + k, "thread's mapping page %d: %d", k, g_tmap[k * PG + 1]);
    CHECK(munmap(g_tmap, 3 * PG) == 0, "main unmaps the thread's mapping: errno %d", errno);
  }
  munmap(g_mmap, 4 * PG);
}

// ---- files -------------------------------------------------------------------------------------

static volatile int f_fd, f_step;

static int
open_fn(void *arg)
{
  f_fd = open("thr.f", O_RDONLY);
  return f_fd >= 0 ? 0 : 1;
}

static int
close_fn(void *arg)
{
  return close((int)(uint64)arg);
}

static int
read5_fn(void *arg)
{
  char buf[5];
  return read((int)(uint64)arg, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0 ? 0 : 1;
}

static int
dup_fn(void *arg)
{
  f_fd = dup((int)(uint64)arg);
  return 0;
}

static int
pipe_fn(void *arg)
{
  int *p = arg;
  char buf[4];
  if(write(p[1], "ping", 4) != 4)
    return 1;
  if(read(p[0], buf, 4) != 4 || memcmp(buf, "pong", 4) != 0)
    return 2;
  return 0;
}

// cwd: chdir, then open a name relative to it; main meanwhile opens the same name from its own
static int
chdir_fn(void *arg)
{
  if(chdir("thr.d") != 0)
    return 1;
  int fd = open("inner", O_RDONLY);
  if(fd < 0)
    return 2;
  close(fd);
  f_step = 1;
  await(&f_step, 2);        // main has looked
  return 0;
}

static int
inner_fn(void *arg)
{
  int fd = open("inner", O_RDONLY);
  if(fd < 0)
    return 1;
  close(fd);
  return 0;
}

static void
t_files(void)
{
  unlink("thr.f");
  int fd = open("thr.f", O_CREATE | O_RDWR);
  CHECK(write(fd, "hello threads", 13) == 13, "write thr.f");
  close(fd);

  // a thread opens; main reads and closes
  f_fd = -1;
  int t = start(open_fn, 0, 0);
  if(t < 0)
    return;
  join_want(t, 0);
  char buf[32];
  memset(buf, 0, sizeof(buf));
  CHECK(f_fd >= 0 && read(f_fd, buf, sizeof(buf)) == 13 && strcmp(buf, "hello threads") == 0,
        "main reading the thread's descriptor %d: '%s' errno %d", f_fd, buf, errno);
  CHECK(close(f_fd) == 0, "main closing the thread's descriptor: errno %d", errno);

  // main opens; a thread closes; main's descriptor is gone
  fd = open("thr.f", O_RDONLY);
  t = start(close_fn, (void *)(uint64)fd, 0);
  join_want(t, 0);
  errno = 0;
  CHECK(read(fd, buf, 1) == -1 && errno == EBADF, "read after the thread closed: errno %d", errno);

  // the open file (and its offset) is the same one
  fd = open("thr.f", O_RDONLY);
  t = start(read5_fn, (void *)(uint64)fd, 0);
  join_want(t, 0);
  memset(buf, 0, sizeof(buf));
  CHECK(read(fd, buf, sizeof(buf)) == 8 && strcmp(buf, " threads") == 0,
        "offset not shared: read '%s'", buf);
  // dup in a thread
  f_fd = -1;
  t = start(dup_fn, (void *)(uint64)fd, 0);
  join_want(t, 0);
  CHECK(f_fd >= 0 && f_fd != fd, "dup in a thread: %d", f_fd);
  if(f_fd >= 0)
    CHECK(close(f_fd) == 0, "close the thread's dup: errno %d", errno);
  close(fd);

  // a pipe between threads
  int p[2], q[2];
  pipe(p);
  pipe(q);
  int pq[2] = {q[0], p[1]};
  t = start(pipe_fn, pq, 0);
  CHECK(read(p[0], buf, 4) == 4 && memcmp(buf, "ping", 4) == 0, "ping");
  CHECK(write(q[1], "pong", 4) == 4, "pong");
  join_want(t, 0);
  close(p[0]);
  close(p[1]);
  close(q[0]);
  close(q[1]);

  // the current directory is the thread's own, copied at clone
  unlink("thr.d/inner");
  unlink("thr.d");
  CHECK(mkdir("thr.d") == 0, "mkdir: errno %d", errno);
  fd = open("thr.d/inner", O_CREATE | O_RDWR);
  close(fd);
  f_step = 0;
  t = start(chdir_fn, 0, 0);
  await(&f_step, 1);
  errno = 0;
  fd = open("inner", O_RDONLY);
  CHECK(fd == -1 && errno == ENOENT, "a thread's chdir moved main: open inner = %d errno %d",
        fd, errno);
  if(fd >= 0)
    close(fd);
  fd = open("thr.d/inner", O_RDONLY);
  CHECK(fd >= 0, "main's own directory: errno %d", errno);
  close(fd);
  f_step = 2;
  join_want(t, 0);
  CHECK(chdir("thr.d") == 0, "chdir: errno %d", errno);
  t = start(inner_fn, 0, 0);
  join_want(t, 0);          // started in thr.d
  CHECK(chdir("..") == 0, "chdir ..: errno %d", errno);
  fd = open("thr.f", O_RDONLY);
  CHECK(fd >= 0, "back in the start directory: errno %d", errno);
  close(fd);
  unlink("thr.d/inner");
  unlink("thr.d");
  unlink("thr.f");
}

// ---- join errors -------------------------------------------------------------------------------

static volatile int je_main, je_self, je_self_tid;

static int
joinerr_fn(void *arg)
{
  int main_tid = (int)(uint64)arg;
  errno = 0;
  je_main = join(main_tid, 0) == -1 ? errno : 0;
  errno = 0;
  je_self_tid = gettid();
  je_self = join(gettid(), 0) == -1 ? errno : 0;
  return 3;
}

static int
quick_fn(void *arg)
{
  return (int)(uint64)arg;
}

static void
t_joinerr(void)
{
  int st;
  errno = 0;
  CHECK(join(0, &st) == -1 && errno == ECHILD, "join(0) without threads: errno %d", errno);
  errno = 0;
  CHECK(join(gettid(), &st) == -1 && errno == EDEADLK, "join(self): errno %d", errno);
  errno = 0;
  CHECK(join(getpid(), &st) == -1 && errno == EDEADLK, "main join(getpid()): errno %d", errno);
  errno = 0;
  CHECK(join(99999, &st) == -1 && errno == ESRCH, "join(99999): errno %d", errno);
  errno = 0;
  CHECK(join(1, &st) == -1 && errno == ESRCH, "join(init): errno %d", errno);

  // from a thread: the main thread (EINVAL) and itself (EDEADLK)
  je_main = je_self = -1;
  int t = start(joinerr_fn, (void *)(uint64)gettid(), 0);
  if(t < 0)
    return;
  join_want(t, 3);
  CHECK(je_main == EINVAL, "thread joining the main thread: errno %d", je_main);
  CHECK(je_self == EDEADLK, "thread joining itself: errno %d", je_self);
  CHECK(je_self_tid == t, "thread's gettid %d, clone said %d", je_self_tid, t);
  // once only
  errno = 0;
  CHECK(join(t, &st) == -1 && errno == ESRCH, "second join: errno %d", errno);

  // join(0): any thread, each once, then ECHILD
  int a = start(quick_fn, (void *)21, 0);
  int b = start(quick_fn, (void *)22, 1);
  int got[2] = {0, 0}, sts[2] = {0, 0};
  got[0] = join(0, &sts[0]);
  got[1] = join(0, &sts[1]);
  CHECK((got[0] == a && got[1] == b && sts[0] == 21 && sts[1] == 22) ||
        (got[0] == b && got[1] == a && sts[0] == 22 && sts[1] == 21),
        "join(0) twice: %d (%d), %d (%d); threads %d, %d", got[0], sts[0], got[1], sts[1], a, b);
  errno = 0;
  CHECK(join(0, &st) == -1 && errno == ECHILD, "join(0) after joining all: errno %d", errno);
  errno = 0;
  CHECK(join(a, &st) == -1 && errno == ESRCH, "join a thread join(0) took: errno %d", errno);

  // a process is not a thread of ours; nor is another process's thread
  int p[2], q[2];
  pipe(p);
  pipe(q);
  int pid = fork();
  if(pid == 0){
    close(p[0]);
    close(q[1]);
    int ct = thread_create(block_read, (void *)(uint64)q[0], stk(0));
    write(p[1], &ct, sizeof(ct));
    if(ct < 0)
      exit(1);
    int cst = 0;
    exit(join(ct, &cst) == ct && cst == 5 ? 0 : 2);
  }
  close(p[1]);
  close(q[0]);
  int ct = -1;
  CHECK(read(p[0], &ct, sizeof(ct)) == sizeof(ct) && ct > 0, "child's thread: %d", ct);
  errno = 0;
  CHECK(join(pid, &st) == -1 && errno == ESRCH, "join(child process): errno %d", errno);
  if(ct > 0){
    errno = 0;
    CHECK(join(ct, &st) == -1 && errno == ESRCH, "join(another process's thread): errno %d",
          errno);
  }
  write(q[1], "x", 1);
  close(q[1]);
  close(p[0]);
  st = 12345;
  CHECK(wait(&st) == pid && st == 0, "child: status %d", st);
}

// ---- exit from a thread ends every thread ---------------------------------------------------

// arg 37: exit(37); arg -1: a store to the (read-only) code page at address 0
static volatile int *volatile code_page = 0;

static int
exit_when_busy(void *arg)
{
  if(!await64(&sh->cnt[0], 100, 300) || !await64(&sh->cnt[1], 100, 300))
    exit(98);
  sh->flag[0] = 1;
  if((int)(uint64)arg == -1){
    code_page[4] = 1;
    exit(95);                 // the store did not fault
  }
  exit((int)(uint64)arg);
}

// Child: two spinners, a blocked reader, a sleeper, and a thread that calls exit(37) or
// faults (how 1, 2); the main thread spins meanwhile.  Or (how 0) the main thread calls exit(38)
// itself.
static void
exitall_child(int how)
{
  int p[2];
  pipe(p);
  if(start(spin_forever, (void *)&sh->cnt[0], 0) < 0 ||
     start(spin_forever, (void *)&sh->cnt[1], 1) < 0 ||
     start(block_read, (void *)(uint64)p[0], 2) < 0 ||
     start(sleep_long, 0, 3) < 0)
    exit(97);
  if(how > 0){
    if(start(exit_when_busy, (void *)(uint64)(how == 1 ? 37 : -1), 4) < 0)
      exit(97);
    for(;;)
      sh->cnt[2]++;
  }
  if(!await64(&sh->cnt[0], 100, 300) || !await64(&sh->cnt[1], 100, 300))
    exit(98);
  sh->flag[0] = 1;
  exit(38);
}

static void
t_exitall(void)
{
  static char *what[] = {"exit(38) from the main thread", "exit(37) from another thread",
                         "a fault in another thread"};
  static int want[] = {38, 37, -1};
  for(int how = 2; how >= 0; how--){
    sh_clear();
    int pid = fork();
    if(pid == 0)
      exitall_child(how);
    int st = 12345;
    CHECK(wait(&st) == pid, "wait");
    CHECK(st == want[how], "%s: process status %d, want %d", what[how], st, want[how]);
    CHECK(sh->flag[0] == 1, "%s: the thread did not get that far", what[how]);
    uint64 c[3] = {sh->cnt[0], sh->cnt[1], sh->cnt[2]};
    busy(200000);
    sleep(2);
    CHECK(c[0] == sh->cnt[0] && c[1] == sh->cnt[1] && c[2] == sh->cnt[2],
          "%s: threads still running after the process was waited for: %l->%l %l->%l %l->%l",
          what[how], c[0], sh->cnt[0], c[1], sh->cnt[1], c[2], sh->cnt[2]);
  }
}

// ---- main thread texits ------------------------------------------------------------------------

static int
first_fn(void *arg)
{
  await(&sh->flag[0], 1);       // main is about to texit
  sleep(1);
  sh->val[0] = getpid();
  sh->flag[1] = 1;
  return 11;
}

static int
last_fn(void *arg)
{
  await(&sh->flag[1], 1);       // the other thread has returned (or is about to)
  sleep(3);
  sh->val[1] = getpid();
  sh->val[2] = gettid();
  sh->flag[2] = 1;
  return 22;
}

static void
t_maintexit(void)
{
  // the only thread texits: the process ends with its status
  int pid = fork();
  if(pid == 0)
    texit_or_die(23);
  int st = 12345;
  CHECK(wait(&st) == pid && st == 23, "single thread texit(23): status %d", st);

  // main texits first; two threads go on; the last one's status is the process's
  sh_clear();
  pid = fork();
  if(pid == 0){
    if(start(first_fn, 0, 0) < 0 || start(last_fn, 0, 1) < 0)
      exit(97);
    sh->flag[0] = 1;
    texit_or_die(9);
  }
  st = 12345;
  CHECK(wait(&st) == pid, "wait");
  CHECK(st == 22, "process status %d, want the last thread's 22", st);
  CHECK(sh->flag[1] == 1 && sh->flag[2] == 1, "process reaped before its threads ended (%d %d)",
        sh->flag[1], sh->flag[2]);
  CHECK(sh->val[0] == pid && sh->val[1] == pid, "getpid after main texited: %d %d, want %d",
        sh->val[0], sh->val[1], pid);
  CHECK(sh->val[2] != pid && sh->val[2] > 0, "gettid of the last thread: %d", sh->val[2]);
}

// ---- kill ends every thread --------------------------------------------------------------------

static void
t_killall(void)
{
  sh_clear();
  int pid = fork();
  if(pid == 0){
    int p[2];
    pipe(p);
    for(int i = 0; i < 3; i++)
      if(start(spin_forever, (void *)&sh->cnt[i], i) < 0)
        exit(97);
    if(start(block_read, (void *)(uint64)p[0], 3) < 0 || start(sleep_long, 0, 4) < 0)
      exit(97);
    sh->flag[0] = 1;
    int st;
    join(0, &st);           // blocks: nothing ends
    exit(96);
  }
  int ok = 1;
  for(int i = 0; i < 3; i++)
    ok &= await64(&sh->cnt[i], 1000, 300);
  CHECK(ok && sh->flag[0], "child's threads did not all run (%l %l %l)", sh->cnt[0], sh->cnt[1],
        sh->cnt[2]);
  CHECK(kill(pid) == 0, "kill: errno %d", errno);
  int st = 12345;
  CHECK(wait(&st) == pid && st == -1, "killed process: status %d", st);
  uint64 c[3] = {sh->cnt[0], sh->cnt[1], sh->cnt[2]};
  busy(200000);
  sleep(2);
  CHECK(c[0] == sh->cnt[0] && c[1] == sh->cnt[1] && c[2] == sh->cnt[2],
        "threads running after kill and wait");
}

// ---- fork from a thread ------------------------------------------------------------------------

static volatile int fk_value;

// In the child: a copy of everything, one thread (the forking one, now the main thread).
static int
fork_child_checks(int parent_pid, volatile int *stack_local)
{
  int bad = 0;
  if(getpid() == parent_pid)
    bad |= 1;
  if(gettid() != getpid())
    bad |= 2;
  if(fk_value != 1234 || *stack_local != 4321)
    bad |= 4;
  fk_value = 1;             // the parent's copy must not change
  uint64 c = spin_count;
  busy(300000);
  sleep(1);
  if(spin_count != c)       // the spinner was not copied
    bad |= 8;
  int st;
  errno = 0;
  if(join(0, &st) != -1 || errno != ECHILD)
    bad |= 16;
  // threads work in the child
  int t = thread_create(leaf_fn, (void *)7, stk(NSTACKS - 1));
  if(t <= 0 || join(t, &st) != t || st != 8)
    bad |= 32;
  return bad;
}

static int
forker_fn(void *arg)
{
  int parent = (int)(uint64)arg;
  volatile int local = 4321;
  int pid = fork();
  if(pid == 0){
    int bad = fork_child_checks(parent, &local);
    exit(bad ? 100 + bad : 42);
  }
  if(pid < 0)
    return 1;
  int st = 12345;
  if(wait(&st) != pid)
    return 2;
  return st;
}

static void
t_forkthread(void)
{
  fk_value = 1234;
  spin_stop = 0;
  int s = start(spin_until_stop, 0, 0);
  if(s < 0)
    return;
  int t = start(forker_fn, (void *)(uint64)getpid(), 1);
  join_want(t, 42);         // 100 + bits: which child check failed
  CHECK(fk_value == 1234, "child's store reached the parent: %d", fk_value);

  // fork from the main thread while a thread runs
  volatile int local = 4321;
  int parent = getpid();
  int pid = fork();
  if(pid == 0){
    int bad = fork_child_checks(parent, &local);
    exit(bad ? 100 + bad : 42);
  }
  int st = 12345;
  CHECK(wait(&st) == pid && st == 42, "child forked by main: status %d", st);
  spin_stop = 1;
  join_want(s, 0);
}

// ---- exec from a thread ------------------------------------------------------------------------

static char *echo_args[] = {"echo", "threadexec-ok", 0};

static int
exec_fn(void *arg)
{
  if(!await64(&sh->cnt[0], 100, 300))
    exit(98);
  sh->flag[0] = 1;
  exec("echo", echo_args);
  exit(100 + errno);
}

// Child: stdout is the pipe.  A spinner, a blocked reader, and either a thread that execs (main
// blocked in join) or main execing.
static void
exec_child(int from_thread)
{
  int p[2];
  pipe(p);
  if(start(spin_forever, (void *)&sh->cnt[0], 0) < 0 ||
     start(block_read, (void *)(uint64)p[0], 1) < 0)
    exit(97);
  if(from_thread){
    if(start(exec_fn, 0, 2) < 0)
      exit(97);
    for(;;){
      int st;
      if(join(0, &st) < 0)
        exit(96);
    }
  }
  exec_fn(0);
}

static void
t_execthread(void)
{
  for(int from_thread = 1; from_thread >= 0; from_thread--){
    sh_clear();
    int p[2];
    pipe(p);
    int pid = fork();
    if(pid == 0){
      close(1);
      dup(p[1]);
      close(p[0]);
      close(p[1]);
      exec_child(from_thread);
    }
    close(p[1]);
    char buf[128];
    int got = 0, r;
    while(got < (int)sizeof(buf) - 1 && (r = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
      got += r;
    buf[got] = 0;
    close(p[0]);
    int st = 12345;
    CHECK(wait(&st) == pid, "wait");
    CHECK(st == 0, "exec from %s thread: status %d", from_thread ? "another" : "the main", st);
    CHECK(strcmp(buf, "threadexec-ok\n") == 0, "exec from %s thread: output '%s'",
          from_thread ? "another" : "the main", buf);
    CHECK(sh->flag[0] == 1, "exec not reached");
    uint64 c = sh->cnt[0];
    busy(200000);
    sleep(1);
    CHECK(c == sh->cnt[0], "spinner survived the exec");
  }
}

// ---- concurrent sbrk ---------------------------------------------------------------------------

#define SB_THREADS 3
#define SB_CALLS 40

struct range {
  char *p;
  int n;
};
static struct range sb_range[SB_THREADS][SB_CALLS];
static volatile int sb_ready;

static int
sbrk_fn(void *arg)
{
  int w = (int)(uint64)arg;
  atomic_inc(&sb_ready);
  await(&sb_ready, SB_THREADS);
  for(int k = 0; k < SB_CALLS; k++){
    int n = 16 + 97 * k + 13 * w;
    char *p = sbrk(n);
    sb_range[w][k].p = p;
    sb_range[w][k].n = n;
    if(p == (char *)-1)
      return 1;
    memset(p, w * SB_CALLS + k + 1, n);
  }
  return 0;
}

static void
t_sbrk(void)
{
  memset(sb_range, 0, sizeof(sb_range));
  sb_ready = 0;
  int t[SB_THREADS];
  for(int w = 0; w < SB_THREADS; w++)
    t[w] = start(sbrk_fn, (void *)(uint64)w, w);
  if(t[0] < 0)
    return;
  for(int w = 0; w < SB_THREADS; w++)
    join_want(t[w], 0);
  char *brk = sbrk(0);
  int overlaps = 0, bad = 0;
  for(int i = 0; i < SB_THREADS * SB_CALLS; i++){
    struct range *a = &sb_range[i / SB_CALLS][i % SB_CALLS];
    if(a->p == 0 || a->p == (char *)-1)
      continue;
    CHECK(a->p + a->n <= brk, "range above the break");
    for(int j = i + 1; j < SB_THREADS * SB_CALLS; j++){
      struct range *b = &sb_range[j / SB_CALLS][j % SB_CALLS];
      if(b->p && b->p != (char *)-1 && a->p < b->p + b->n && b->p < a->p + a->n)
        overlaps++;
    }
    for(int x = 0; x < a->n; x++)
      if(a->p[x] != (char)(i + 1)){
        bad++;
        break;
      }
  }
  CHECK(overlaps == 0, "%d overlapping sbrk ranges", overlaps);
  CHECK(bad == 0, "%d sbrk ranges overwritten", bad);
}

// ---- concurrent faults on the same pages -------------------------------------------------------

#define FO_PAGES 64
#define FO_THREADS 3
#define FO_ROUNDS 4

static char *fo_mem;
static volatile int fo_ready, fo_done, fo_fin;
static struct rusage fo_self_mid, fo_t0[FO_THREADS], fo_t1[FO_THREADS];
static int fo_rc[FO_THREADS];
static uint64 fo_pfn[FO_THREADS][FO_PAGES];

static int
faultonce_fn(void *arg)
{
  int w = (int)(uint64)arg;
  int bad = 0;
  fo_rc[w] = getrusage(RUSAGE_THREAD, &fo_t0[w]);
  atomic_inc(&fo_ready);
  await_spins(&fo_ready, FO_THREADS, GATE_SPINS);
  for(int k = 0; k < FO_PAGES; k++)
    fo_mem[k * PG + 8 * w] = w + 1;
  atomic_inc(&fo_done);
  await(&fo_done, FO_THREADS);
  for(int k = 0; k < FO_PAGES; k++)
    for(int j = 0; j < FO_THREADS; j++)
      if(fo_mem[k * PG + 8 * j] != j + 1)
        bad++;
  if(getrusage(RUSAGE_THREAD, &fo_t1[w]) != 0)
    fo_rc[w] = -1;
  if(w == 0)
    getrusage(RUSAGE_SELF, &fo_self_mid);     // every thread still alive
  atomic_inc(&fo_fin);
  await(&fo_fin, FO_THREADS);
  return bad;
}

static void
t_faultonce(void)
{
  for(int round = 0; round < FO_ROUNDS; round++){
    fo_mem = mmap(0, FO_PAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(fo_mem != MAP_FAILED, "mmap: errno %d", errno);
    // everything the threads touch, other than fo_mem, is present now
    for(int w = 0; w < FO_THREADS; w++)
      memset(stacks[w], 0, STACKSZ);
    memset(&fo_self_mid, 0, sizeof(fo_self_mid));
    memset(fo_t0, 0, sizeof(fo_t0));
    memset(fo_t1, 0, sizeof(fo_t1));
    memset(fo_rc, 0, sizeof(fo_rc));
    fo_ready = fo_done = fo_fin = 0;
    prefault_text();
    struct rusage before, after;
    getrusage(RUSAGE_SELF, &before);
    int t[FO_THREADS];
    for(int w = 0; w < FO_THREADS; w++)
      t[w] = start(faultonce_fn, (void *)(uint64)w, w);
    if(t[0] < 0)
      return;
    for(int w = 0; w < FO_THREADS; w++)
      join_want(t[w], 0);     // non-zero: that many stores of other threads not seen
    getrusage(RUSAGE_SELF, &after);
    int mid = fo_self_mid.ru_zeroflt - before.ru_zeroflt;
    int all = after.ru_zeroflt - before.ru_zeroflt;
    CHECK(mid == FO_PAGES, "round %d: %d zero-fill faults (RUSAGE_SELF, threads alive), want %d",
          round, mid, FO_PAGES);
    CHECK(all == FO_PAGES, "round %d: %d zero-fill faults (RUSAGE_SELF after join), want %d",
          round, all, FO_PAGES);
    CHECK(after.ru_minflt - before.ru_minflt >= FO_PAGES, "round %d: %d minor faults", round,
          (int)(after.ru_minflt - before.ru_minflt));
    int sum = 0, rcbad = 0;
    for(int w = 0; w < FO_THREADS; w++){
      sum += fo_t1[w].ru_zeroflt - fo_t0[w].ru_zeroflt;
      rcbad |= fo_rc[w];
    }
    CHECK(rcbad == 0, "getrusage(RUSAGE_THREAD) failed");
    if(round == FO_ROUNDS - 1)
      printf("  faultonce: zero-fill faults by thread %d/%d/%d\n",
             (int)(fo_t1[0].ru_zeroflt - fo_t0[0].ru_zeroflt),
             (int)(fo_t1[1].ru_zeroflt - fo_t0[1].ru_zeroflt),
             (int)(fo_t1[2].ru_zeroflt - fo_t0[2].ru_zeroflt));
    CHECK(sum == FO_PAGES, "round %d: threads' own zero-fill faults sum to %d, want %d "
          "(%d %d %d)", round, sum, FO_PAGES, (int)(fo_t1[0].ru_zeroflt - fo_t0[0].ru_zeroflt),
          (int)(fo_t1[1].ru_zeroflt - fo_t0[1].ru_zeroflt),
          (int)(fo_t1[2].ru_zeroflt - fo_t0[2].ru_zeroflt));
    // 64 distinct frames, each mapped once
    int absent = 0, dup = 0, shared = 0;
    for(int k = 0; k < FO_PAGES; k++){
      uint64 e;
      fo_pfn[0][k] = pfn_of(fo_mem + k * PG, &e);
      if(fo_pfn[0][k] == 0)
        absent++;
      else if(!(e & PM_MMAP_EXCLUSIVE))
        shared++;
      for(int j = 0; j < k; j++)
        if(fo_pfn[0][k] && fo_pfn[0][j] == fo_pfn[0][k])
          dup++;
    }
    CHECK(absent == 0 && dup == 0 && shared == 0,
          "round %d: %d pages absent, %d frames twice, %d not exclusive", round, absent, dup,
          shared);
    munmap(fo_mem, FO_PAGES * PG);
  }
}

// ---- concurrent faults on a shared file mapping --------------------------------------------------

#define FF_PAGES 32

static char *ff_mem;

static int
faultfile_fn(void *arg)
{
  int w = (int)(uint64)arg;
  int bad = 0;
  fo_rc[w] = getrusage(RUSAGE_THREAD, &fo_t0[w]);
  atomic_inc(&fo_ready);
  await_spins(&fo_ready, FO_THREADS, GATE_SPINS);
  for(int k = 0; k < FF_PAGES; k++)
    if(ff_mem[k * PG + 5] != (char)(k * 7 + 5))
      bad++;
  for(int k = 0; k < FF_PAGES; k++)
    fo_pfn[w][k] = pfn_of(ff_mem + k * PG, 0);
  if(getrusage(RUSAGE_THREAD, &fo_t1[w]) != 0)
    fo_rc[w] = -1;
  atomic_inc(&fo_done);
  await(&fo_done, FO_THREADS);
  if(w == 0)
    getrusage(RUSAGE_SELF, &fo_self_mid);
  for(int k = 0; k < FF_PAGES; k++)
    ff_mem[k * PG + 100 + w] = 'A' + w;
  atomic_inc(&fo_fin);
  await(&fo_fin, FO_THREADS);
  for(int k = 0; k < FF_PAGES; k++)
    for(int j = 0; j < FO_THREADS; j++)
      if(ff_mem[k * PG + 100 + j] != 'A' + j)
        bad++;
  return bad;
}

static void
t_faultfile(void)
{
  make_file("thrmap.f", FF_PAGES);
  int fd = open("thrmap.f", O_RDWR);
  ff_mem = mmap(0, FF_PAGES * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  CHECK(ff_mem != MAP_FAILED, "mmap: errno %d", errno);
  if(ff_mem == MAP_FAILED)
    return;
  // one fault per page: no readahead, no fault-around (counted exactly below)
  CHECK(madvise(ff_mem, FF_PAGES * PG, MADV_RANDOM) == 0, "madvise: errno %d", errno);
  for(int w = 0; w < FO_THREADS; w++)
    memset(stacks[w], 0, STACKSZ);
  memset(&fo_self_mid, 0, sizeof(fo_self_mid));
  memset(fo_t0, 0, sizeof(fo_t0));
  memset(fo_t1, 0, sizeof(fo_t1));
  memset(fo_rc, 0, sizeof(fo_rc));
  memset(fo_pfn, 0, sizeof(fo_pfn));
  fo_ready = fo_done = fo_fin = 0;
  prefault_text();
  struct rusage before;
  getrusage(RUSAGE_SELF, &before);
  int t[FO_THREADS];
  for(int w = 0; w < FO_THREADS; w++)
    t[w] = start(faultfile_fn, (void *)(uint64)w, w);
  if(t[0] < 0)
    return;
  for(int w = 0; w < FO_THREADS; w++)
    join_want(t[w], 0);
  int filled = (fo_self_mid.ru_cacheflt - before.ru_cacheflt) +
               (fo_self_mid.ru_majflt - before.ru_majflt);
  CHECK(filled == FF_PAGES, "%d cache-hit + major faults for %d pages (%d + %d)", filled,
        FF_PAGES, (int)(fo_self_mid.ru_cacheflt - before.ru_cacheflt),
        (int)(fo_self_mid.ru_majflt - before.ru_majflt));
  int sum = 0, rcbad = 0;
  for(int w = 0; w < FO_THREADS; w++){
    sum += (fo_t1[w].ru_cacheflt - fo_t0[w].ru_cacheflt) + (fo_t1[w].ru_majflt - fo_t0[w].ru_majflt);
    rcbad |= fo_rc[w];
  }
  CHECK(rcbad == 0, "getrusage(RUSAGE_THREAD) failed");
  CHECK(sum == FF_PAGES, "threads' own cache-hit + major faults sum to %d, want %d", sum,
        FF_PAGES);
  int absent = 0, differ = 0, dup = 0;
  for(int k = 0; k < FF_PAGES; k++){
    if(fo_pfn[0][k] == 0)
      absent++;
    for(int w = 1; w < FO_THREADS; w++)
      if(fo_pfn[w][k] != fo_pfn[0][k])
        differ++;
    for(int j = 0; j < k; j++)
      if(fo_pfn[0][k] && fo_pfn[0][j] == fo_pfn[0][k])
        dup++;
  }
  CHECK(absent == 0 && differ == 0 && dup == 0,
        "pagemap: %d pages absent, %d frames differ between threads, %d used twice", absent,
        differ, dup);
  uint64 e;
  pfn_of(ff_mem, &e);
  CHECK(e & PM_FILE, "not a page-cache page (%lx)", e);
  CHECK(munmap(ff_mem, FF_PAGES * PG) == 0, "munmap: errno %d", errno);
  // the file holds every thread's stores
  static char buf[PG];
  int wrong = 0;
  for(int k = 0; k < FF_PAGES; k++){
    if(read(fd, buf, PG) != PG){
      wrong++;
      continue;
    }
    if(buf[5] != (char)(k * 7 + 5) || buf[100] != 'A' || buf[101] != 'B' || buf[102] != 'C')
      wrong++;
  }
  CHECK(wrong == 0, "%d file pages lack the threads' stores", wrong);
  close(fd);
  unlink("thrmap.f");
}

// ---- TLB shootdown: munmap / mprotect in one thread, another spinning on the page -------------

// sh->cnt[0]: iterations of the spinner; the spinner touches the page, then counts.
static int
spin_load(void *arg)
{
  volatile char *p = arg;
  for(;;){
    (void)*p;
    sh->cnt[0]++;
  }
}

static int
spin_store(void *arg)
{
  volatile char *p = arg;
  for(uint64 i = 0;; i++){
    *p = i;
    sh->cnt[0]++;
  }
}

enum { SHOOT_MUNMAP, SHOOT_RDONLY, SHOOT_NONE };

static void
shoot_child(int how, int store)
{
  char *pg = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if(pg == MAP_FAILED)
    exit(95);
  pg[0] = 1;
  if(start(store ? spin_store : spin_load, pg, 0) < 0)
    exit(97);
  // Wait for it without sleeping: we keep our hart, so the spinner gets another one (with one
  // hart it runs when the clock takes the hart from us).
  int t0 = uptime();
  for(int i = 0; sh->cnt[0] < 1000; i++)
    if(i % 1000000 == 999999 && uptime() - t0 > 300)
      exit(98);             // the spinner never ran
  // is it running now, on another hart?  (With one hart it cannot be.)
  uint64 b0 = sh->cnt[0];
  for(int i = 0; i < 100000; i++)
    (void)sh->cnt[0];
  sh->c0 = sh->cnt[0] - b0;
  int r;
  if(how == SHOOT_MUNMAP)
    r = munmap(pg, PG);
  else
    r = mprotect(pg, PG, how == SHOOT_RDONLY ? PROT_READ : PROT_NONE);
  sh->c1 = sh->cnt[0];
  sh->flag[0] = 1;
  if(r != 0)
    exit(94);
  for(int i = 0; i < 400000; i++)     // other harts run several time slices meanwhile
    (void)sh->cnt[0];
  sh->c2 = sh->cnt[0];
  sh->flag[1] = 1;
  sleep(5);                 // the spinner's fault kills us (also the way to it on one hart)
  exit(7);
}

static void
shoot(char *what, int how, int store)
{
  sh_clear();
  struct vmstat v0, v1;
  vmstat(&v0);
  int pid = fork();
  if(pid == 0)
    shoot_child(how, store);
  int st = 12345;
  CHECK(wait(&st) == pid, "wait");
  vmstat(&v1);
  uint64 end = sh->cnt[0];
  // The spinner's fault may kill the process, the calling thread included, as the call
  // returns and before that thread notes it (flag[0] still 0): a pass too -- the spinner
  // stopped at the change, which is what is tested.
  CHECK(st == -1, "%s (%s spinner): child not killed (status %d; 7: the spinner never "
        "faulted, 9x: setup failed)", what, store ? "storing" : "loading", st);
  if(sh->flag[0] == 1)
    CHECK(end - sh->c1 <= 1, "%s (%s spinner): spinner went on %l times after the call "
          "returned (%l by the end of the wait loop)", what, store ? "storing" : "loading",
          end - sh->c1, sh->flag[1] ? sh->c2 - sh->c1 : (uint64)0);
  // "concurrent" when the spinner ran on another hart just before the call (the test then
  // means something; system tests on several harts check that it did)
  if(sh->flag[0] == 1)
    printf("  %s, %s spinner: %s, %l shootdown interrupts, %l spins after\n", what,
           store ? "storing" : "loading", sh->c0 ? "concurrent" : "not concurrent",
           v1.tlb_shootdowns - v0.tlb_shootdowns, end - sh->c1);
  else
    printf("  %s, %s spinner: %s, %l shootdown interrupts, killed at the call\n", what,
           store ? "storing" : "loading", sh->c0 ? "concurrent" : "not concurrent",
           v1.tlb_shootdowns - v0.tlb_shootdowns);
}

static void
t_munmapshoot(void)
{
  for(int r = 0; r < 2; r++){
    shoot("munmap", SHOOT_MUNMAP, 0);
    shoot("munmap", SHOOT_MUNMAP, 1);
  }
}

static void
t_mprotectshoot(void)
{
  for(int r = 0; r < 2; r++){
    shoot("mprotect PROT_READ", SHOOT_RDONLY, 1);
    shoot("mprotect PROT_NONE", SHOOT_NONE, 0);
  }
}

// ---- as many threads as the kernel gives -------------------------------------------------------

static int many_tid[NSTACKS];

static int
many_fn(void *arg)
{
  int fd = (int)((uint64)arg >> 16), i = (int)((uint64)arg & 0xffff);
  char c = 0;
  if(read(fd, &c, 1) != 1 || c != 'g')
    return -1;
  return 1000 + i;
}

// Start threads until the kernel says EAGAIN (or we run out of stacks); the count.
static int
many_round(int round)
{
  int p[2];
  pipe(p);
  int n = 0;
  errno = 0;
  for(; n < NSTACKS; n++){
    many_tid[n] = thread_create(many_fn, (void *)(((uint64)p[0] << 16) | n), stk(n));
    if(many_tid[n] < 0)
      break;
  }
  int err = errno;
  CHECK(n < NSTACKS, "round %d: %d threads and no EAGAIN yet", round, n);
  CHECK(n == NSTACKS || (many_tid[n] == -1 && err == EAGAIN),
        "round %d: thread %d: errno %d, want EAGAIN", round, n, err);
  char go[NSTACKS];
  memset(go, 'g', sizeof(go));
  CHECK(write(p[1], go, n) == n, "write");
  int joined = 0;
  for(int i = n - 1; i >= 0; i--){
    int st = 0;
    if(join(many_tid[i], &st) == many_tid[i] && st == 1000 + i)
      joined++;
  }
  CHECK(joined == n, "round %d: %d of %d threads joined with their status", round, joined, n);
  int st;
  errno = 0;
  CHECK(join(0, &st) == -1 && errno == ECHILD, "threads left after joining all: errno %d",
        errno);
  close(p[0]);
  close(p[1]);
  return n;
}

static void
t_many(void)
{
  int n1 = many_round(1);
  CHECK(n1 >= 8, "only %d threads", n1);
  if(n1 == 0)
    return;
  int n2 = many_round(2);
  CHECK(n2 == n1, "%d threads the second time, %d the first: slots not given back", n2, n1);
  printf("  many: %d threads\n", n1);
}

// ---- growsdown: a thread grows a MAP_GROWSDOWN region ---------------------------------------------

// With two threads, a fault takes the address space's lock for reading; growing a region
// changes the table, so the kernel retries that fault with the lock's write side.
static char *gd_top;

static int
gd_fn(void *arg)
{
  for(int i = 1; i <= 4; i++)
    gd_top[-i * PG] = (char)i;    // each store is just below the region: it grows a page
  return 0;
}

static void
t_growsdown(void)
{
  char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
  CHECK(p != MAP_FAILED, "mmap MAP_GROWSDOWN: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  gd_top = p;
  int t = start(gd_fn, 0, 0);
  join_want(t, 0);
  for(int i = 1; i <= 4; i++)
    CHECK(p[-i * PG] == (char)i, "grown page %d holds %d", i, p[-i * PG]);
  unsigned char vec[6];
  CHECK(mincore(p - 4 * PG, 6 * PG, vec) == 0, "mincore over the grown region: errno %d", errno);
  CHECK(munmap(p - 4 * PG, 6 * PG) == 0, "munmap grown region: errno %d", errno);
}

// ---- cowrace: threads storing to the same copy-on-write page at once ------------------------------

// After a fork, every page of the heap is copy-on-write.  Three threads then store to the same
// pages at the same moment: on several harts two of them fault on one page together, and the
// one that finds it already copied by the other must simply retry its store.
#define CR_PAGES  8
#define CR_ROUNDS 20

static char *cr_buf;
static volatile int cr_round, cr_done;

static int
cr_fn(void *arg)
{
  int me = (int)(uint64)arg;
  for(int round = 1; round <= CR_ROUNDS; round++){
    await_spins(&cr_round, round, GATE_SPINS);
    for(int i = 0; i < CR_PAGES; i++)
      cr_buf[i * PG + 8 * me] = (char)(round + me);
    atomic_inc(&cr_done);
  }
  return 0;
}

static void
cowrace_child(char *unused)
{
  failures = 0;                   // the parent's so far are not ours
  cr_buf = sbrk(CR_PAGES * PG);
  memset(cr_buf, 0, CR_PAGES * PG);
  cr_round = cr_done = 0;
  int t[3];
  for(int i = 0; i < 3; i++)
    t[i] = start(cr_fn, (void *)(uint64)i, i);
  for(int round = 1; round <= CR_ROUNDS; round++){
    int pid = fork();             // the heap becomes copy-on-write again
    if(pid == 0)
      exit(0);
    if(pid < 0 || wait(0) != pid)
      exit(2);
    __atomic_store_n(&cr_round, round, __ATOMIC_RELEASE);
    await_spins(&cr_done, 3 * round, GATE_SPINS);
    for(int i = 0; i < CR_PAGES; i++)
      for(int me = 0; me < 3; me++)
        if(cr_buf[i * PG + 8 * me] != (char)(round + me)){
          printf(TEST_NAME ": cowrace round %d page %d thread %d: %d, want %d\n", round, i, me,
                 cr_buf[i * PG + 8 * me], round + me);
          exit(3);
        }
  }
  for(int i = 0; i < 3; i++)
    join_want(t[i], 0);
  exit(failures ? 4 : 0);
}

static void
t_cowrace(void)
{
  int st = in_child(cowrace_child, 0);
  CHECK(st == 0, "threads storing to one copy-on-write page: status %d", st);
}

// ---- stress -------------------------------------------------------------------------------------

#define ST_WORKERS 4
#define ST_TICKS 20         // how long the workers run (2 s of guest time)
#define ST_SBRKS 32

static volatile int st_stop;
static volatile int st_iters[ST_WORKERS];
static volatile int st_bad[ST_WORKERS];
static volatile int st_forks, st_forkbad;
static struct range st_sbrk[ST_WORKERS][ST_SBRKS];
static char *st_fixed;        // main's mapping, stable during the run: the children check it

static int
st_worker(void *arg)
{
  int w = (int)(uint64)arg;
  int ns = 0;
  char fname[8] = {'s', 't', 'r', '.', '0' + w, 0};
  int fd = open(fname, O_RDWR);
  if(fd < 0)
    st_bad[w] |= 64;
  for(int i = 0; !st_stop || i < 3; i++){
    int n = 1 + (i + w) % 4;
    char tag = w * 50 + i;
    // private anonymous
    char *p = mmap(0, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if(p == MAP_FAILED){
      st_bad[w] |= 1;
      break;
    }
    for(int k = 0; k < n; k++)
      p[k * PG + (i % 64) * 8] = tag + k;
    for(int k = 0; k < n; k++)
      if(p[k * PG + (i % 64) * 8] != (char)(tag + k) || p[k * PG + 1] != 0)
        st_bad[w] |= 2;
    if(mprotect(p, n * PG, PROT_READ) != 0 || p[(n - 1) * PG + (i % 64) * 8] != (char)(tag + n - 1))
      st_bad[w] |= 2;
    if(munmap(p, n * PG) != 0)
      st_bad[w] |= 2;
    // shared anonymous
    char *s = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if(s == MAP_FAILED){
      st_bad[w] |= 4;
      break;
    }
    s[0] = tag;
    s[PG + 9] = tag + 1;
    if(s[0] != tag || s[PG + 9] != (char)(tag + 1) || s[1] != 0)
      st_bad[w] |= 4;
    if(munmap(s, 2 * PG) != 0)
      st_bad[w] |= 4;
    // the worker's own file, shared
    if(fd >= 0 && i % 4 == 0){
      char *f = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      if(f == MAP_FAILED)
        st_bad[w] |= 8;
      else{
        if(f[PG + 3] != (char)(7 + 3) || (i > 0 && f[200] != (char)(w * 50 + i - 4)))
          st_bad[w] |= 8;
        f[200] = tag;
        if(munmap(f, 2 * PG) != 0)
          st_bad[w] |= 8;
      }
    }
    // heap
    if(ns < ST_SBRKS){
      int len = 64 + 200 * w + 32 * ns;
      char *h = sbrk(len);
      if(h == (char *)-1)
        st_bad[w] |= 16;
      else{
        memset(h, w * ST_SBRKS + ns + 1, len);
        st_sbrk[w][ns].p = h;
        st_sbrk[w][ns].n = len;
        ns++;
      }
    }
    // earlier heap ranges intact
    for(int j = 0; j < ns; j++)
      if(st_sbrk[w][j].p[st_sbrk[w][j].n - 1] != (char)(w * ST_SBRKS + j + 1) ||
         st_sbrk[w][j].p[0] != (char)(w * ST_SBRKS + j + 1))
        st_bad[w] |= 32;
    st_iters[w] = i + 1;
  }
  if(fd >= 0)
    close(fd);
  return 0;
}

static int
st_forker(void *arg)
{
  for(int k = 0; !st_stop; k++){
    int pid = fork();
    if(pid == 0){
      int bad = 0;
      for(int i = 0; i < 2 * PG; i += 64)
        if(st_fixed[i] != (char)(i / 64))
          bad = 1;
      st_fixed[0] = 99;         // our copy only
      exit(bad ? 1 : 10 + k % 50);
    }
    if(pid < 0){
      st_forkbad |= 1;
      continue;
    }
    int st = 12345;
    if(wait(&st) != pid || st != 10 + k % 50)
      st_forkbad |= 2;
    st_forks++;
  }
  return 0;
}

static void
t_stress(void)
{
  st_stop = st_forks = st_forkbad = 0;
  memset(st_sbrk, 0, sizeof(st_sbrk));
  for(int w = 0; w < ST_WORKERS; w++){
    st_iters[w] = st_bad[w] = 0;
    char fname[8] = {'s', 't', 'r', '.', '0' + w, 0};
    make_file(fname, 2);
  }
  st_fixed = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  for(int i = 0; i < 2 * PG; i += 64)
    st_fixed[i] = i / 64;
  int t[ST_WORKERS + 1];
  for(int w = 0; w < ST_WORKERS; w++)
    t[w] = start(st_worker, (void *)(uint64)w, w);
  t[ST_WORKERS] = start(st_forker, 0, ST_WORKERS);
  if(t[0] < 0)
    return;
  sleep(ST_TICKS);
  // QEMU's guest time is the host's: on a busy host the forking thread may not have finished a
  // fork yet.  Give it more time rather than report a slow machine as a failure.
  for(int i = 0; i < 30 * ST_TICKS && st_forks == 0; i++)
    sleep(1);
  st_stop = 1;
  for(int w = 0; w <= ST_WORKERS; w++)
    join_want(t[w], 0);
  int total = 0;
  for(int w = 0; w < ST_WORKERS; w++){
    CHECK(st_bad[w] == 0, "worker %d: bad data or failed call (bits %x) after %d iterations",
          w, st_bad[w], st_iters[w]);
    total += st_iters[w];
  }
  CHECK(st_forkbad == 0, "forking thread: bits %x", st_forkbad);
  CHECK(st_forks > 0, "no fork finished");
  CHECK(st_fixed[0] == 0, "a child's store reached the parent");
  munmap(st_fixed, 2 * PG);
  for(int w = 0; w < ST_WORKERS; w++){
    char fname[8] = {'s', 't', 'r', '.', '0' + w, 0};
    unlink(fname);
  }
  printf("  stress: %d iterations, %d forks\n", total, st_forks);
}

static struct subtest tests[] = {
  {"basic", t_basic},
  {"shared", t_shared},
  {"files", t_files},
  {"joinerr", t_joinerr},
  {"exitall", t_exitall},
  {"maintexit", t_maintexit},
  {"killall", t_killall},
  {"forkthread", t_forkthread},
  {"execthread", t_execthread},
  {"sbrk", t_sbrk},
  {"faultonce", t_faultonce},
  {"faultfile", t_faultfile},
  {"munmapshoot", t_munmapshoot},
  {"mprotectshoot", t_mprotectshoot},
  {"many", t_many},
  {"growsdown", t_growsdown},
  {"cowrace", t_cowrace},
  {"stress", t_stress},
};

int
main(int argc, char *argv[])
{
  sh = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  REQUIRE(sh != MAP_FAILED, "mmap shared page: errno %d", errno);
  exit(check_main(argc, argv, tests, NELEM(tests)));
}

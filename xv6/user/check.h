// check.h: the one harness of the guest test programs (xv6test, threadtest, mmaptest, heaptest,
// mmap2test, mapfiletest, mmapargs, mmapstress, commitfill, rotest).  A program defines
// TEST_NAME (its name) before including this, keeps its subtests in one table and ends main
// with exit(check_main(...)):
//
//   static struct subtest tests[] = {
//     {"basic", t_basic},               // runs in the program's own process
//     {"bigdir", t_bigdir, 1, 6000},    // slow (left out by -q); runs in a child process,
//   };                                  //   killed after 6000 clock ticks
//   int main(int argc, char *argv[]) { ...; exit(check_main(argc, argv, tests, NELEM(tests))); }
//
// tests/system reads that table from the source to make one pytest item per subtest: keep
// it one entry a line, {"name", function[, slow, ticks]}, named `tests`.
//
// Command line:   PROG [-q] [-l] [NAME ...]
//   (no NAME)   every subtest, in table order; -q leaves the slow ones out and sets
//               check_quick (a subtest may then do less)
//   NAME ...    those subtests, in the order given (a name may repeat; slow ones run too)
//   -l          print the names that would run, one a line, and run nothing
//   An unknown option or name: one line saying so, nothing runs, exit status 2.
// Before the first subtest the program's code and read-only data are faulted in, so that the
// fault counters a subtest reads count its own faults, not those of code it runs first.
//
// Output, one printf a line (so lines of concurrent processes do not mix):
//   PROG: NAME                             a subtest starts
//   FAIL NAME: message (file.c:line)       a check failed: one line per failed check
//   FAIL NAME: timed out after N ticks     (or killed, or an exit status): a child subtest
//   ok NAME                                the subtest ended and none of its checks failed
//   PROG: P passed, F failed[: names]
//   PROG: ALL OK (exit 0)  or  PROG: FAILED (exit 1)
// A check that fails outside any subtest (setup in main) names the program instead.
//
// Checks, for use in subtests and in whatever they run (children, threads):
//   CHECK(cond, fmt, ...)   if cond is false: report it; the subtest goes on (and fails)
//   REQUIRE(cond, fmt, ...) if cond is false: report it and end the subtest: its process exits
//                           (a child subtest; or a child the subtest forked), or, in the
//                           program's own process, the program stops ("PROG: FAILED
//                           (stopped in NAME)")
//   FAIL(fmt, ...)          REQUIRE(0, ...)
//   OK(call)                the call must succeed (return >= 0; REQUIRE); its value
//   ERR(call, err)          the call must fail with -1 and errno err (CHECK)
//   check_fail(file, line, msg)
//                           report a failed check found elsewhere (a table row's line, say)
//   failures                checks failed in this process so far
//   check_quick             -q was given
//   in_child(fn, arg)       run fn(arg) in a child; its exit status, -1 if the kernel killed it
//   make_pattern_file(name, n, kmul)
//                           a file of n pages whose byte i of page k is k * kmul + i (mod 256)
#ifndef XV6_USER_CHECK_H
#define XV6_USER_CHECK_H

#include "kernel/fcntl.h"

#ifndef NELEM
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))
#endif

struct subtest {
  const char *name;
  void (*fn)(void);
  int slow;       // left out by -q
  int ticks;      // > 0: run in a child process, killed after this many clock ticks
};

#define CHECK_EXIT_FAILED 1     // a child subtest's status when its failures are reported

static int failures;            // checks failed in this process (threads add atomically)
static int check_quick;         // -q
static const char *check_subtest = TEST_NAME;   // the running subtest's name
static int check_pid;           // the harness's process (REQUIRE there stops the program)

// Report a failed check of the running subtest.
static void
check_fail(const char *file, int line, const char *msg)
{
  __atomic_fetch_add(&failures, 1, __ATOMIC_SEQ_CST);
  printf("FAIL %s: %s (%s:%d)\n", check_subtest, msg, file, line);
}

// REQUIRE failed: end the subtest's process, or, in the harness's own, the program.
static void
check_stop(void)
{
  if(check_pid != 0 && getpid() == check_pid){
    printf("%s: FAILED (stopped in %s)\n", TEST_NAME, check_subtest);
    exit(1);
  }
  exit(CHECK_EXIT_FAILED);
}

#define CHECK_REPORT_(...)                                        \
  do {                                                            \
    char msg_[160];                                               \
    snprintf(msg_, sizeof(msg_), __VA_ARGS__);                    \
    check_fail(__FILE_NAME__, __LINE__, msg_);                    \
  } while(0)

#define CHECK(cond, ...)                                          \
  do {                                                            \
    if(!(cond))                                                   \
      CHECK_REPORT_(__VA_ARGS__);                                 \
  } while(0)

#define REQUIRE(cond, ...)                                        \
  do {                                                            \
    if(!(cond)){                                                  \
      CHECK_REPORT_(__VA_ARGS__);                                 \
      check_stop();                                               \
    }                                                             \
  } while(0)

#define FAIL(...) REQUIRE(0, __VA_ARGS__)

#define OK(call)                                                  \
  ({                                                              \
    errno = 0;                                                    \
    long r_ = (long)(call);                                       \
    REQUIRE(r_ >= 0, "%s: %s", #call, strerror(errno));           \
    r_;                                                           \
  })

#define ERR(call, err)                                            \
  do {                                                            \
    errno = 0;                                                    \
    long r_ = (long)(call);                                       \
    int e_ = errno;                                               \
    CHECK(r_ == -1 && e_ == (err), "%s returned %ld, errno %d (%s); want -1, %s", #call, \
          r_, e_, e_ ? strerror(e_) : "-", #err);                 \
  } while(0)

// ---- running subtests

extern char etext[];    // the linker's: the end of the code and read-only data (from address 0)

// Fault in every page of the program's code and read-only data, so that code a subtest runs
// for the first time adds no page fault to the counters it reads.
static void
check_prefault(void)
{
  volatile uint64 a = 0;
  for(; a < (uint64)etext; a += 4096)
    (void)*(volatile char *)a;
}

// Run t in a child process under a watchdog; 1 if it passed.  The child reports its own failed
// checks; what only the parent sees (a timeout, a kill, an odd status) is reported here.
static int
check_run_child(struct subtest *t)
{
  int pid = fork();
  if(pid < 0){
    printf("FAIL %s: cannot fork: %s\n", t->name, strerror(errno));
    return 0;
  }
  if(pid == 0){
    failures = 0;
    t->fn();
    exit(failures ? CHECK_EXIT_FAILED : 0);
  }
  int dog = fork();
  if(dog == 0){
    sleep(t->ticks);
    kill(pid);
    exit(0);
  }
  int status = 0, timedout = 0;
  for(;;){
    int st, r = wait(&st);
    if(r == pid){
      status = st;
      break;
    }
    if(r == dog){
      timedout = 1;
      dog = -1;
    } else if(r < 0){
      printf("FAIL %s: wait: %s\n", t->name, strerror(errno));
      return 0;
    }
  }
  if(dog > 0){
    kill(dog);
    int r;
    do
      r = wait(0);
    while(r != dog && r >= 0);
  }
  if(timedout && status != 0)
    printf("FAIL %s: timed out after %d ticks\n", t->name, t->ticks);
  else if(status != 0 && status != CHECK_EXIT_FAILED)
    printf("FAIL %s: exit status %d%s\n", t->name, status, status == -1 ? " (killed)" : "");
  return status == 0;
}

// Run one subtest and print its result line; 1 if it passed.
static int
check_run(struct subtest *t)
{
  printf("%s: %s\n", TEST_NAME, t->name);
  check_subtest = t->name;
  int ok;
  if(t->ticks > 0){
    ok = check_run_child(t);
  } else {
    int before = failures;
    t->fn();
    ok = failures == before;
  }
  check_subtest = TEST_NAME;
  if(ok)
    printf("ok %s\n", t->name);
  return ok;
}

static struct subtest *
check_find(struct subtest *tests, int n, const char *name)
{
  for(int i = 0; i < n; i++)
    if(strcmp(tests[i].name, name) == 0)
      return &tests[i];
  return 0;
}

// Parse the command line (see the top of this file): the subtests to run into run[], their
// number; -l sets *list.  Exits with status 2 on a bad option or name.
static int
check_args(int argc, char *argv[], struct subtest *tests, int n, struct subtest **run,
           int *list)
{
  int k = 0;
  for(int a = 1; a < argc; a++){
    if(strcmp(argv[a], "-q") == 0){
      check_quick = 1;
    } else if(strcmp(argv[a], "-l") == 0){
      *list = 1;
    } else if(argv[a][0] == '-'){
      printf("%s: unknown option %s (usage: %s [-q] [-l] [NAME ...])\n", TEST_NAME, argv[a],
             TEST_NAME);
      exit(2);
    } else if((run[k] = check_find(tests, n, argv[a])) == 0){
      printf("%s: no subtest named %s (%s -l lists them)\n", TEST_NAME, argv[a], TEST_NAME);
      exit(2);
    } else if(++k == 4 * n){
      printf("%s: more than %d names\n", TEST_NAME, 4 * n);
      exit(2);
    }
  }
  if(k == 0)
    for(int i = 0; i < n; i++)
      if(!(check_quick && tests[i].slow))
        run[k++] = &tests[i];
  return k;
}

// Run the subtests the command line names and print the summary; the exit status for main
// (0: all passed).  -l and a bad command line exit here.
static int
check_main(int argc, char *argv[], struct subtest *tests, int n)
{
  static struct subtest *run[4 * 64];
  if(n > 64){
    printf("%s: more than 64 subtests\n", TEST_NAME);
    exit(2);
  }
  int list = 0;
  int k = check_args(argc, argv, tests, n, run, &list);
  if(list){
    for(int i = 0; i < k; i++)
      printf("%s\n", run[i]->name);
    exit(0);
  }
  check_pid = getpid();
  check_prefault();
  static char failed[400];
  int passed = 0, nfailed = 0, len = 0;
  for(int i = 0; i < k; i++){
    if(check_run(run[i])){
      passed++;
    } else {
      nfailed++;
      if(len + strlen(run[i]->name) + 2 < sizeof(failed))
        len += snprintf(failed + len, sizeof(failed) - len, " %s", run[i]->name);
    }
  }
  printf("%s: %d passed, %d failed%s%s\n", TEST_NAME, passed, nfailed, nfailed ? ":" : "",
         failed);
  if(nfailed || failures){
    printf("%s: FAILED\n", TEST_NAME);
    return 1;
  }
  printf("%s: ALL OK\n", TEST_NAME);
  return 0;
}

// ---- helpers

static int
in_child(void (*fn)(char *), char *arg)
{
  int pid = fork();
  if(pid == 0){
    fn(arg);
    exit(0);
  }
  int st = 12345;
  if(pid < 0 || wait(&st) != pid)
    return 12345;
  return st;
}

static void
make_pattern_file(char *name, int n, int kmul)
{
  unlink(name);
  int fd = open(name, O_CREATE | O_RDWR);
  CHECK(fd >= 0, "create %s: errno %d", name, errno);
  char buf[512];
  for(int k = 0; k < n; k++){
    for(int part = 0; part < 4096 / (int)sizeof(buf); part++){
      for(int i = 0; i < (int)sizeof(buf); i++)
        buf[i] = k * kmul + part * sizeof(buf) + i;
      CHECK(write(fd, buf, sizeof(buf)) == sizeof(buf), "write %s", name);
    }
  }
  close(fd);
}

#endif

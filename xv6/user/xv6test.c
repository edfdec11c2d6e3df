// xv6test: our kernel's test suite, run inside the guest, on the harness of user/check.h.
//
//   xv6test           every test
//   xv6test -q        quick: skips the slow tests, and the big-file test stays below MAXFILE
//   xv6test NAME...   only the named tests (slow ones included)
//   xv6test -l        the names of the tests
//
// Every test runs in a child process, watched by a second child that kills it when it takes
// too long (the table's ticks), so one test crashing or hanging cannot take the suite down.
// REQUIRE ends a test at its first failed check.  A test reports "ok NAME" or "FAIL NAME:
// why (xv6test.c:line)"; the run ends with check.h's summary, then "ALL TESTS PASSED" (exit 0)
// or "SOME TESTS FAILED" (exit 1), as xv6's usertests do.
//
// Tests make no assumption about how many harts run them or in what order processes are
// scheduled.  Their files are named "xt.*" in the directory xv6test was started in and are
// removed again; leftovers from an interrupted run are removed before use.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "kernel/fcntl.h"
#include "kernel/memlayout.h"
#include "user/user.h"

#define TEST_NAME "xv6test"
#include "user/check.h"

#define PGSIZE 4096
#define PGROUNDUP(a)   (((uint64)(a) + PGSIZE - 1) & ~(uint64)(PGSIZE - 1))
#define PGROUNDDOWN(a) ((uint64)(a) & ~(uint64)(PGSIZE - 1))

static char buf[BSIZE * 8];

// Children reaped while waiting for a different one, kept until asked for.
static struct {
  int pid;
  int status;
} early[NPROC];

// Wait for one particular child; its exit status.
static int
waitfor(int pid)
{
  for (int i = 0; i < NPROC; i++)
    if (early[i].pid == pid) {
      early[i].pid = 0;
      return early[i].status;
    }
  for (;;) {
    int st;
    int r = wait(&st);
    if (r == pid)
      return st;
    if (r < 0)
      FAIL("wait for %d: %s", pid, strerror(errno));
    for (int i = 0; i < NPROC; i++)
      if (early[i].pid == 0) {
        early[i].pid = r;
        early[i].status = st;
        break;
      }
  }
}

// Fork; the child runs fn(arg) and exits with its result.  Returns the child's pid.
static int
spawn(int (*fn)(int), int arg)
{
  int pid = fork();
  if (pid < 0)
    FAIL("fork: %s", strerror(errno));
  if (pid == 0)
    exit(fn(arg));
  return pid;
}

// The child pid must exit with status 0.
static void
reap_ok(int pid, const char *what)
{
  int st = waitfor(pid);
  if (st != 0)
    FAIL("%s: child exited with status %d", what, st);
}

// The child pid must have been killed (status -1).
static void
reap_killed(int pid, const char *what)
{
  int st = waitfor(pid);
  if (st != -1)
    FAIL("%s: child was not killed (status %d)", what, st);
}

static void
fill(char *p, int n, int seed)
{
  for (int i = 0; i < n; i++)
    p[i] = (char)(seed * 31 + i * 7 + (i >> 8));
}

static int
same(const char *p, int n, int seed)
{
  for (int i = 0; i < n; i++)
    if (p[i] != (char)(seed * 31 + i * 7 + (i >> 8)))
      return 0;
  return 1;
}

// Create (or truncate) a file holding the NUL-terminated text.
static void
putfile(const char *name, const char *text)
{
  int fd = OK(open(name, O_CREATE | O_WRONLY | O_TRUNC));
  int n = strlen(text);
  REQUIRE(write(fd, text, n) == n, "write %s: %s", name, strerror(errno));
  close(fd);
}

// Read a whole (small) file into buf, NUL-terminated; returns its length.
static int
getfile(const char *name)
{
  int fd = OK(open(name, O_RDONLY));
  int total = 0, n;
  while ((n = read(fd, buf + total, sizeof(buf) - 1 - total)) > 0)
    total += n;
  REQUIRE(n == 0, "read %s: %s", name, strerror(errno));
  close(fd);
  buf[total] = 0;
  return total;
}

static uint64
rsp(void)
{
  uint64 sp;
  asm volatile("mv %0, sp" : "=r"(sp));
  return sp;
}

static int
contains(const char *hay, const char *needle)
{
  int n = strlen(needle);
  for (; *hay; hay++)
    if (strncmp(hay, needle, n) == 0)
      return 1;
  return 0;
}

// Wait for pid without judging how it ended.
static void
waitfor_quiet(int pid)
{
  int r;
  do
    r = wait(0);
  while (r != pid && r >= 0);
}

static int
exists(const char *name)
{
  struct stat st;
  return stat(name, &st) == 0;
}

// ==== processes

static int exit_with(int code) { return code; }

static void
t_forkwait(void)
{
  enum { N = 20 };
  int pids[N], seen[N];
  for (int i = 0; i < N; i++) {
    pids[i] = spawn(exit_with, i + 3);
    seen[i] = 0;
  }
  for (int k = 0; k < N; k++) {
    int st;
    int pid = wait(&st);
    REQUIRE(pid > 0, "wait returned %d (%s)", pid, strerror(errno));
    int i = 0;
    while (i < N && pids[i] != pid)
      i++;
    REQUIRE(i < N, "wait returned %d, not one of our children", pid);
    REQUIRE(!seen[i], "child %d reaped twice", pid);
    REQUIRE(st == i + 3, "child %d: status %d, want %d", pid, st, i + 3);
    seen[i] = 1;
  }
  ERR(wait(0), ECHILD);

  // A null status pointer is allowed; negative statuses survive the trip.
  int pid = spawn(exit_with, 0);
  REQUIRE(wait(0) == pid, "wait(0) did not return the child");
  pid = spawn(exit_with, -7);
  REQUIRE(waitfor(pid) == -7, "exit(-7) not seen by wait");

  // The child's getpid is what fork told the parent, and differs from the parent's.
  int p[2];
  OK(pipe(p));
  pid = fork();
  REQUIRE(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) {
    int me = getpid();
    write(p[1], &me, sizeof(me));
    exit(0);
  }
  int childsays = 0;
  REQUIRE(read(p[0], &childsays, sizeof(childsays)) == sizeof(childsays), "read pid");
  REQUIRE(childsays == pid, "child's getpid %d, fork said %d", childsays, pid);
  REQUIRE(getpid() != pid && getpid() > 0, "parent getpid %d", getpid());
  reap_ok(pid, "getpid child");
  close(p[0]);
  close(p[1]);

  // Fork copies memory: the child's changes stay in the child.
  static int shared_value = 11;
  pid = fork();
  if (pid == 0) {
    shared_value = 22;
    exit(shared_value == 22 ? 0 : 1);
  }
  reap_ok(pid, "memory copy child");
  REQUIRE(shared_value == 11, "child's write reached the parent");
}

static void
t_reparent(void)
{
  // Children that leave running grandchildren behind: the grandchildren go to init, and
  // we see exactly our own children.
  int rounds = check_quick ? 20 : 100;
  for (int i = 0; i < rounds; i++) {
    int pid = fork();
    REQUIRE(pid >= 0, "fork: %s", strerror(errno));
    if (pid == 0) {
      if (fork() == 0) {
        if (i % 2)
          sleep(1);
        exit(0);
      }
      exit(0);
    }
    REQUIRE(waitfor(pid) == 0, "child failed");
    ERR(wait(0), ECHILD);
  }
}

static void
t_exec(void)
{
  unlink("xt.exec");
  int pid = fork();
  REQUIRE(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) {
    close(1);
    if (open("xt.exec", O_CREATE | O_WRONLY | O_TRUNC) != 1)
      exit(2);
    char *args[] = {"echo", "hello", "exec", 0};
    exec("/echo", args);
    exit(3);
  }
  int st = waitfor(pid);
  REQUIRE(st == 0, "echo child status %d", st);
  getfile("xt.exec");
  REQUIRE(strcmp(buf, "hello exec\n") == 0, "echo wrote '%s'", buf);

  // Many arguments arrive in order.
  static char words[20][8];
  char *args[22];
  args[0] = "echo";
  for (int i = 0; i < 20; i++) {
    snprintf(words[i], sizeof(words[i]), "w%d", i);
    args[i + 1] = words[i];
  }
  args[21] = 0;
  pid = fork();
  if (pid == 0) {
    close(1);
    if (open("xt.exec", O_CREATE | O_WRONLY | O_TRUNC) != 1)
      exit(2);
    exec("/echo", args);
    exit(3);
  }
  REQUIRE(waitfor(pid) == 0, "echo with 20 args failed");
  getfile("xt.exec");
  REQUIRE(strncmp(buf, "w0 w1 w2 ", 9) == 0 && strcmp(buf + strlen(buf) - 5, " w19\n") == 0,
          "echo with 20 args wrote '%s'", buf);
  unlink("xt.exec");

  // Failures leave the caller running with its memory intact.
  static int canary = 0x5a5a;
  char *eargs[] = {"x", 0};
  ERR(exec("/xt.nonexistent", eargs), ENOENT);
  putfile("xt.notelf", "#!/bin/sh\nthis is not an ELF file, it is just some text\n");
  ERR(exec("xt.notelf", eargs), ENOEXEC);
  unlink("xt.notelf");
  errno = 0;
  REQUIRE(exec("/", eargs) == -1, "exec of a directory did not fail");
  REQUIRE(canary == 0x5a5a, "memory changed by a failed exec");

  // Too many arguments: an error, not a crash.
  static char *many[MAXARG + 10];
  for (int i = 0; i < MAXARG + 9; i++)
    many[i] = "arg";
  many[MAXARG + 9] = 0;
  errno = 0;
  REQUIRE(exec("/echo", many) == -1, "exec with %d args did not fail", MAXARG + 9);
  REQUIRE(canary == 0x5a5a, "memory changed by a failed exec");
}

static int
spin(int unused)
{
  volatile int n = 0;
  for (;;)
    n++;
  return 0;
}

static void
t_kill(void)
{
  // A process that never makes a system call is killed at its next timer interrupt.
  int pid = spawn(spin, 0);
  OK(kill(pid));
  reap_killed(pid, "spinning");

  // Several spinning processes at once (with one hart the parent must still get to run).
  int pids[3];
  for (int i = 0; i < 3; i++)
    pids[i] = spawn(spin, 0);
  sleep(1);
  for (int i = 0; i < 3; i++)
    OK(kill(pids[i]));
  for (int i = 0; i < 3; i++)
    reap_killed(pids[i], "one of three spinning");

  // A process asleep in read on an empty pipe.
  int p[2];
  OK(pipe(p));
  pid = fork();
  if (pid == 0) {
    char c;
    close(p[1]);
    read(p[0], &c, 1);
    exit(5);
  }
  close(p[0]);
  sleep(1);
  OK(kill(pid));
  reap_killed(pid, "blocked in read");
  close(p[1]);

  // A process in sleep(), and one blocked in wait().
  pid = fork();
  if (pid == 0) {
    sleep(1000000);
    exit(6);
  }
  OK(kill(pid));
  reap_killed(pid, "sleeping");
  // (Its own child waits for our pipe to close, then exits, reaped by init.)
  OK(pipe(p));
  pid = fork();
  if (pid == 0) {
    if (fork() == 0) {
      char c;
      close(p[1]);
      read(p[0], &c, 1);
      exit(0);
    }
    wait(0);
    exit(7);
  }
  sleep(1);
  OK(kill(pid));
  reap_killed(pid, "blocked in wait");
  close(p[0]);
  close(p[1]);

  ERR(kill(1000000), ESRCH);
}

// ==== pipes

static void
t_pipedata(void)
{
  enum { CHUNKS = 5, CHUNK = 1033 };
  int p[2];
  OK(pipe(p));
  int pid = fork();
  REQUIRE(pid >= 0, "fork: %s", strerror(errno));
  if (pid == 0) {
    close(p[0]);
    int seq = 0;
    for (int c = 0; c < CHUNKS; c++) {
      for (int i = 0; i < CHUNK; i++)
        buf[i] = seq++;
      if (write(p[1], buf, CHUNK) != CHUNK)
        FAIL("pipe write: %s", strerror(errno));
    }
    exit(0);
  }
  close(p[1]);
  int total = 0, want = 1, n, seq = 0;
  while ((n = read(p[0], buf, want)) > 0) {
    for (int i = 0; i < n; i++)
      REQUIRE((buf[i] & 0xff) == (seq++ & 0xff), "byte %d wrong", total + i);
    total += n;
    want = want * 2 > 3000 ? 3000 : want * 2;
  }
  REQUIRE(n == 0, "pipe read: %s", strerror(errno));
  REQUIRE(total == CHUNKS * CHUNK, "read %d bytes, want %d", total, CHUNKS * CHUNK);
  close(p[0]);
  reap_ok(pid, "writer");

  // Two writers, one reader: every byte arrives exactly once.
  OK(pipe(p));
  for (int w = 0; w < 2; w++) {
    int pid = fork();
    if (pid == 0) {
      close(p[0]);
      memset(buf, 'a' + w, 500);
      for (int i = 0; i < 20; i++)
        if (write(p[1], buf, 500) != 500)
          exit(1);
      exit(0);
    }
  }
  close(p[1]);
  int count[2] = {0, 0};
  while ((n = read(p[0], buf, sizeof(buf))) > 0)
    for (int i = 0; i < n; i++) {
      REQUIRE(buf[i] == 'a' || buf[i] == 'b', "stray byte %d", buf[i]);
      count[buf[i] - 'a']++;
    }
  REQUIRE(count[0] == 10000 && count[1] == 10000, "got %d a and %d b, want 10000 each",
          count[0], count[1]);
  close(p[0]);
  for (int w = 0; w < 2; w++)
    REQUIRE(wait(&n) > 0 && n == 0, "writer failed");
}

static void
t_pipeclose(void)
{
  int p[2];
  char c;

  // No writers left: read sees end of file at once.
  OK(pipe(p));
  close(p[1]);
  REQUIRE(read(p[0], &c, 1) == 0, "read with no writers did not return 0");
  close(p[0]);

  // No readers left: write fails.
  OK(pipe(p));
  close(p[0]);
  ERR(write(p[1], "x", 1), EPIPE);
  close(p[1]);

  // Wrong directions.
  OK(pipe(p));
  ERR(write(p[0], "x", 1), EBADF);
  ERR(read(p[1], &c, 1), EBADF);

  // A dup of the write end keeps the pipe open for writing.
  int q = OK(dup(p[1]));
  close(p[1]);
  REQUIRE(write(q, "z", 1) == 1, "write through dup: %s", strerror(errno));
  close(q);
  REQUIRE(read(p[0], &c, 1) == 1 && c == 'z', "byte written through dup lost");
  REQUIRE(read(p[0], &c, 1) == 0, "no EOF after the last writer closed");
  close(p[0]);

  // The reader blocks until the last writer (in another process) is gone.
  OK(pipe(p));
  int pid = fork();
  if (pid == 0) {
    close(p[0]);
    sleep(2);
    write(p[1], "ab", 2);
    exit(0);
  }
  close(p[1]);
  int n = read(p[0], buf, 10);
  REQUIRE(n >= 1 && buf[0] == 'a', "first read gave %d", n);
  if (n == 1)
    REQUIRE(read(p[0], buf + 1, 10) == 1 && buf[1] == 'b', "second byte lost");
  REQUIRE(read(p[0], buf, 10) == 0, "no EOF after the writer exited");
  close(p[0]);
  reap_ok(pid, "delayed writer");

  // A writer blocked on a full pipe is released when the reader goes away.
  OK(pipe(p));
  pid = fork();
  if (pid == 0) {
    close(p[0]);
    memset(buf, 'w', sizeof(buf));
    for (int i = 0; i < 10; i++) {
      int r = write(p[1], buf, sizeof(buf));
      if (r < 0)
        exit(errno == EPIPE ? 0 : 2);
      if (r < sizeof(buf))
        exit(0);       // a short count is also an acceptable way to stop
    }
    exit(3);           // the pipe swallowed 80 KiB with nobody reading
  }
  close(p[1]);
  REQUIRE(read(p[0], buf, 100) > 0, "nothing to read from the writer");
  close(p[0]);
  n = waitfor(pid);
  REQUIRE(n == 0, "writer after reader closed: status %d", n);

  // Many pipes opened and closed: no file or memory leak makes this fail.
  for (int i = 0; i < 200; i++) {
    OK(pipe(p));
    close(p[0]);
    close(p[1]);
  }
}

// ==== files and directories

static void
t_files(void)
{
  const char *f = "xt.file";
  unlink(f);
  int fd = OK(open(f, O_CREATE | O_RDWR));
  for (int i = 0; i < 10; i++) {
    fill(buf, 100, i);
    REQUIRE(write(fd, buf, 100) == 100, "write %d: %s", i, strerror(errno));
  }
  struct stat st;
  OK(fstat(fd, &st));
  REQUIRE(st.type == T_FILE && st.size == 1000 && st.nlink == 1,
          "fstat: type %d size %lu nlink %d", st.type, st.size, st.nlink);
  close(fd);

  // Read it back in odd-sized pieces.
  fd = OK(open(f, O_RDONLY));
  int total = 0, n;
  while ((n = read(fd, buf + total, 333)) > 0)
    total += n;
  REQUIRE(n == 0 && total == 1000, "read back %d bytes (last %d)", total, n);
  for (int i = 0; i < 10; i++)
    REQUIRE(same(buf + i * 100, 100, i), "block %d corrupted", i);
  REQUIRE(read(fd, buf, 10) == 0, "read at end of file not 0");
  ERR(write(fd, "x", 1), EBADF);
  close(fd);

  // Write-only: no reading; writing starts at offset 0 and keeps the rest.
  fd = OK(open(f, O_WRONLY));
  ERR(read(fd, buf, 1), EBADF);
  REQUIRE(write(fd, "abc", 3) == 3, "overwrite: %s", strerror(errno));
  OK(fstat(fd, &st));
  REQUIRE(st.size == 1000, "size %lu after overwriting 3 bytes", st.size);
  close(fd);
  getfile(f);
  REQUIRE(memcmp(buf, "abc", 3) == 0 && same(buf + 100, 100, 1), "overwrite went wrong");

  // O_CREATE of an existing file keeps it; O_TRUNC empties it.
  fd = OK(open(f, O_CREATE | O_RDWR));
  OK(fstat(fd, &st));
  REQUIRE(st.size == 1000, "O_CREATE changed the size to %lu", st.size);
  close(fd);
  fd = OK(open(f, O_WRONLY | O_TRUNC));
  OK(fstat(fd, &st));
  REQUIRE(st.size == 0, "O_TRUNC left size %lu", st.size);
  close(fd);

  // A reader keeps its offset while another descriptor truncates and rewrites the file.
  putfile(f, "abcd");
  int r = OK(open(f, O_RDONLY));
  REQUIRE(read(r, buf, 2) == 2, "read 2");
  int w = OK(open(f, O_WRONLY | O_TRUNC));
  REQUIRE(read(r, buf, 2) == 0, "read after truncation found data");
  REQUIRE(write(w, "xyz", 3) == 3, "rewrite");
  REQUIRE(read(r, buf, 10) == 1 && buf[0] == 'z', "read after rewrite at old offset");
  close(r);
  close(w);

  // Descriptors: lowest free number first; closing twice fails.
  fd = OK(open(f, O_RDONLY));
  int fd2 = OK(open(f, O_RDONLY));
  REQUIRE(fd2 == fd + 1, "fds %d then %d", fd, fd2);
  close(fd);
  int fd3 = OK(open(f, O_RDONLY));
  REQUIRE(fd3 == fd, "freed fd %d not reused (got %d)", fd, fd3);
  close(fd3);
  close(fd2);
  ERR(close(fd2), EBADF);

  ERR(open("xt.nonexistent", O_RDONLY), ENOENT);
  OK(unlink(f));
  ERR(open(f, O_RDONLY), ENOENT);
  ERR(unlink(f), ENOENT);

  // Zero-length operations.
  fd = OK(open(f, O_CREATE | O_RDWR));
  REQUIRE(write(fd, buf, 0) == 0, "write of 0 bytes");
  REQUIRE(read(fd, buf, 0) == 0, "read of 0 bytes");
  close(fd);
  OK(unlink(f));
}

static void
t_dup(void)
{
  const char *f = "xt.dup";
  unlink(f);
  int fd = OK(open(f, O_CREATE | O_RDWR));
  int fd2 = OK(dup(fd));
  REQUIRE(fd2 == fd + 1, "dup returned %d, want %d", fd2, fd + 1);
  REQUIRE(write(fd, "aaa", 3) == 3 && write(fd2, "bbb", 3) == 3, "write");
  close(fd);
  close(fd2);
  getfile(f);
  REQUIRE(strcmp(buf, "aaabbb") == 0, "dup does not share the offset: '%s'", buf);

  // After fork parent and child share the offset too.
  fd = OK(open(f, O_CREATE | O_WRONLY | O_TRUNC));
  int pid = fork();
  REQUIRE(pid >= 0, "fork");
  const char *line = pid == 0 ? "child\n" : "parent\n";
  for (int i = 0; i < 50; i++)
    if (write(fd, line, strlen(line)) != strlen(line))
      FAIL("write");
  if (pid == 0)
    exit(0);
  reap_ok(pid, "writer");
  close(fd);
  int n = getfile(f);
  REQUIRE(n == 50 * 6 + 50 * 7, "file has %d bytes, want %d", n, 50 * 6 + 50 * 7);
  int nchild = 0, nparent = 0;
  for (char *s = buf; *s; ) {
    if (strncmp(s, "child\n", 6) == 0) {
      nchild++;
      s += 6;
    } else if (strncmp(s, "parent\n", 7) == 0) {
      nparent++;
      s += 7;
    } else {
      FAIL("garbled line at offset %d", (int)(s - buf));
    }
  }
  REQUIRE(nchild == 50 && nparent == 50, "%d child and %d parent lines", nchild, nparent);
  OK(unlink(f));
  ERR(dup(99), EBADF);
}

static void
t_unlinkopen(void)
{
  const char *f = "xt.unl";
  unlink(f);
  int w = OK(open(f, O_CREATE | O_RDWR));
  REQUIRE(write(w, "hello", 5) == 5, "write");
  int r = OK(open(f, O_RDONLY));
  OK(unlink(f));
  ERR(open(f, O_RDONLY), ENOENT);
  REQUIRE(!exists(f), "stat finds an unlinked file");

  // Both descriptors still work.
  REQUIRE(read(r, buf, 5) == 5 && memcmp(buf, "hello", 5) == 0, "read after unlink");
  REQUIRE(write(w, " world", 6) == 6, "write after unlink");
  REQUIRE(read(r, buf, 10) == 6 && memcmp(buf, " world", 6) == 0, "second read after unlink");
  struct stat st;
  OK(fstat(w, &st));
  REQUIRE(st.nlink == 0 && st.size == 11, "nlink %d size %lu", st.nlink, st.size);
  close(w);
  close(r);

  // The name is free for a new, empty file.
  int fd = OK(open(f, O_CREATE | O_RDWR));
  OK(fstat(fd, &st));
  REQUIRE(st.size == 0, "new file under an unlinked name has size %lu", st.size);
  close(fd);
  OK(unlink(f));

  // Unlink while another process has the file open.
  putfile(f, "shared");
  fd = OK(open(f, O_RDONLY));
  int pid = fork();
  if (pid == 0) {
    exit(unlink(f) == 0 ? 0 : 1);
  }
  reap_ok(pid, "unlinking child");
  REQUIRE(read(fd, buf, 6) == 6 && memcmp(buf, "shared", 6) == 0, "read after child unlinked");
  close(fd);
}

static void
t_link(void)
{
  unlink("xt.l1");
  unlink("xt.l2");
  putfile("xt.l1", "link!");
  OK(link("xt.l1", "xt.l2"));
  struct stat s1, s2;
  OK(stat("xt.l1", &s1));
  OK(stat("xt.l2", &s2));
  REQUIRE(s1.ino == s2.ino && s1.nlink == 2, "ino %u/%u nlink %d", s1.ino, s2.ino, s1.nlink);

  ERR(link("xt.l1", "xt.l2"), EEXIST);
  ERR(link("xt.nonexistent", "xt.l3"), ENOENT);
  ERR(link("xt.l1", "xt.nodir/x"), ENOENT);
  ERR(link("xt.l1", "xt.l2/x"), ENOTDIR);
  errno = 0;
  REQUIRE(link(".", "xt.l4") == -1, "hard link to a directory allowed");
  REQUIRE(!exists("xt.l4"), "failed link left a name");

  OK(unlink("xt.l1"));
  getfile("xt.l2");
  REQUIRE(strcmp(buf, "link!") == 0, "content via second name: '%s'", buf);
  OK(stat("xt.l2", &s2));
  REQUIRE(s2.nlink == 1, "nlink %d after unlinking one name", s2.nlink);
  OK(unlink("xt.l2"));
  REQUIRE(!exists("xt.l2"), "still exists");
}

static void
t_dirs(void)
{
  unlink("xt.d/sub/f");
  unlink("xt.d/sub");
  unlink("xt.d/f");
  unlink("xt.d");

  struct stat dot, st;
  OK(stat(".", &dot));
  REQUIRE(dot.type == T_DIR, "'.' is not a directory");
  OK(mkdir("xt.d"));
  ERR(mkdir("xt.d"), EEXIST);
  OK(stat(".", &st));
  REQUIRE(st.nlink == dot.nlink + 1, "parent nlink %d -> %d after mkdir", dot.nlink, st.nlink);
  OK(stat("xt.d", &st));
  REQUIRE(st.type == T_DIR, "new directory has type %d", st.type);

  OK(mkdir("xt.d/sub"));
  putfile("xt.d/f", "in d");
  putfile("xt.d/sub/f", "in sub");

  // Paths through . and ..
  getfile("xt.d/sub/../f");
  REQUIRE(strcmp(buf, "in d") == 0, "xt.d/sub/../f read '%s'", buf);
  getfile("./xt.d/./sub/f");
  REQUIRE(strcmp(buf, "in sub") == 0, "./xt.d/./sub/f read '%s'", buf);

  // chdir down and back up.
  int pid = fork();
  if (pid == 0) {
    OK(chdir("xt.d"));
    getfile("f");
    REQUIRE(strcmp(buf, "in d") == 0, "f after chdir");
    OK(chdir("sub"));
    getfile("../f");
    REQUIRE(strcmp(buf, "in d") == 0, "../f from sub");
    OK(chdir("../.."));
    OK(stat(".", &st));
    REQUIRE(st.ino == dot.ino, "../.. is inode %u, want %u", st.ino, dot.ino);
    exit(0);
  }
  reap_ok(pid, "chdir child");

  // The root is its own parent.
  struct stat root, rootup;
  OK(stat("/", &root));
  OK(stat("/..", &rootup));
  REQUIRE(root.ino == ROOTINO && rootup.ino == ROOTINO, "/ is %u, /.. is %u", root.ino,
          rootup.ino);

  // A directory reads as struct dirent records, starting with . and ..
  int fd = OK(open("xt.d", O_RDONLY));
  struct dirent de;
  REQUIRE(read(fd, &de, sizeof(de)) == sizeof(de) && strcmp(de.name, ".") == 0,
          "first entry not '.'");
  REQUIRE(read(fd, &de, sizeof(de)) == sizeof(de) && strcmp(de.name, "..") == 0,
          "second entry not '..'");
  ERR(write(fd, "x", 1), EBADF);
  close(fd);

  // Errors.
  ERR(open("xt.d", O_WRONLY), EISDIR);
  ERR(open("xt.d", O_RDWR), EISDIR);
  ERR(open("xt.d/f/x", O_RDONLY), ENOTDIR);
  ERR(open("xt.d/f/x", O_CREATE | O_RDWR), ENOTDIR);
  ERR(mkdir("xt.d/f/x"), ENOTDIR);
  ERR(chdir("xt.d/f"), ENOTDIR);
  ERR(mkdir("xt.nonexistent/x"), ENOENT);
  ERR(open("xt.nonexistent/x", O_CREATE | O_RDWR), ENOENT);
  ERR(unlink("xt.d"), ENOTEMPTY);
  ERR(unlink("xt.d/sub"), ENOTEMPTY);
  errno = 0;
  REQUIRE(unlink("xt.d/sub/.") == -1, "unlink of . allowed");
  errno = 0;
  REQUIRE(unlink("xt.d/sub/..") == -1, "unlink of .. allowed");
  ERR(mkdir("xt.d/."), EEXIST);

  // Empty the directories, then they can go.
  OK(unlink("xt.d/sub/f"));
  OK(unlink("xt.d/sub"));
  OK(unlink("xt.d/f"));
  OK(unlink("xt.d"));
  OK(stat(".", &st));
  REQUIRE(st.nlink == dot.nlink, "parent nlink %d, was %d", st.nlink, dot.nlink);
  ERR(chdir("xt.d"), ENOENT);

  // A directory removed while it is some process's current directory.
  // (The pipes order the steps: child in the directory, parent removes it, child goes on.)
  int ready[2], go[2];
  OK(pipe(ready));
  OK(pipe(go));
  OK(mkdir("xt.d"));
  pid = fork();
  if (pid == 0) {
    char c;
    OK(chdir("xt.d"));
    write(ready[1], "r", 1);
    read(go[0], &c, 1);
    // Creating in a removed directory must fail cleanly, not corrupt anything.
    int fd = open("f", O_CREATE | O_RDWR);
    if (fd >= 0)
      close(fd);
    OK(chdir(".."));
    exit(0);
  }
  char c;
  REQUIRE(read(ready[0], &c, 1) == 1, "child did not get into the directory");
  OK(unlink("xt.d"));
  write(go[1], "g", 1);
  reap_ok(pid, "child in a removed directory");
  for (int i = 0; i < 2; i++) {
    close(ready[i]);
    close(go[i]);
  }
  REQUIRE(!exists("xt.d"), "removed directory still there");

  // Deep nesting.
  pid = fork();
  if (pid == 0) {
    int depth;
    for (depth = 0; depth < 20; depth++) {
      OK(mkdir("xt.n"));
      OK(chdir("xt.n"));
    }
    putfile("leaf", "deep");
    for (; depth > 0; depth--) {
      OK(chdir(".."));
      if (depth == 20)
        OK(unlink("xt.n/leaf"));
      OK(unlink("xt.n"));
    }
    exit(0);
  }
  reap_ok(pid, "nesting child");
  REQUIRE(!exists("xt.n"), "nested directories left behind");
}

static void
t_names(void)
{
  const char *n14 = "xt.abcdefghijk";     // exactly DIRSIZ
  const char *n15 = "xt.abcdefghijkl";    // one more
  REQUIRE(strlen(n14) == DIRSIZ, "test bug");
  unlink(n14);

  putfile(n14, "fourteen");
  getfile(n14);
  REQUIRE(strcmp(buf, "fourteen") == 0, "14-char name read '%s'", buf);

  // The full-length name is in the directory (without a terminating NUL).
  int fd = OK(open(".", O_RDONLY));
  struct dirent de;
  int found = 0;
  while (read(fd, &de, sizeof(de)) == sizeof(de))
    if (de.inum && memcmp(de.name, n14, DIRSIZ) == 0)
      found++;
  close(fd);
  REQUIRE(found == 1, "14-char name found %d times in the directory", found);

  // One character more is an error, never a silent truncation to the 14-char name.
  ERR(open(n15, O_CREATE | O_RDWR), ENAMETOOLONG);
  ERR(open(n15, O_RDONLY), ENAMETOOLONG);
  ERR(mkdir(n15), ENAMETOOLONG);
  ERR(unlink(n15), ENAMETOOLONG);
  ERR(link(n14, n15), ENAMETOOLONG);
  REQUIRE(exists(n14), "14-char file vanished");
  OK(unlink(n14));

  // 14-char directory names, nested.
  unlink("xt.12345678901/xt.12345678901/f");
  unlink("xt.12345678901/xt.12345678901");
  unlink("xt.12345678901");
  OK(mkdir("xt.12345678901"));
  OK(mkdir("xt.12345678901/xt.12345678901"));
  putfile("xt.12345678901/xt.12345678901/f", "nested");
  getfile("xt.12345678901/xt.12345678901/f");
  REQUIRE(strcmp(buf, "nested") == 0, "nested 14-char dirs");
  OK(unlink("xt.12345678901/xt.12345678901/f"));
  OK(unlink("xt.12345678901/xt.12345678901"));
  OK(unlink("xt.12345678901"));

  // A path longer than MAXPATH ("a/a/a/...").
  static char longpath[MAXPATH * 2];
  memset(longpath, 'a', sizeof(longpath) - 1);
  for (int i = 1; i < sizeof(longpath) - 1; i += 2)
    longpath[i] = '/';
  longpath[sizeof(longpath) - 1] = 0;
  ERR(open(longpath, O_RDONLY), ENAMETOOLONG);
  ERR(mkdir(longpath), ENAMETOOLONG);
  ERR(chdir(longpath), ENAMETOOLONG);

  // Empty path.
  errno = 0;
  REQUIRE(open("", O_CREATE | O_RDWR) == -1, "open(\"\", O_CREATE) succeeded");
  errno = 0;
  REQUIRE(mkdir("") == -1, "mkdir(\"\") succeeded");
}

static void
t_device(void)
{
  unlink("xt.cons");
  OK(mknod("xt.cons", 1, 0));
  ERR(mknod("xt.cons", 1, 0), EEXIST);
  struct stat st;
  OK(stat("xt.cons", &st));
  REQUIRE(st.type == T_DEVICE, "device node has type %d", st.type);
  int fd = OK(open("xt.cons", O_WRONLY));
  REQUIRE(write(fd, buf, 0) == 0, "empty console write");
  close(fd);
  OK(unlink("xt.cons"));
  // The console itself, as init set it up.
  OK(fstat(1, &st));
  REQUIRE(st.type == T_DEVICE, "fd 1 is not a device (type %d)", st.type);
}

static void
t_bigfile(void)
{
  // Quick mode goes just past the direct blocks into the indirect block.
  int nblocks = check_quick ? NDIRECT + 20 : MAXFILE;
  const char *f = "xt.big";
  unlink(f);
  int fd = OK(open(f, O_CREATE | O_RDWR));
  for (int b = 0; b < nblocks; b++) {
    fill(buf, BSIZE, b);
    int n = write(fd, buf, BSIZE);
    REQUIRE(n == BSIZE, "write of block %d returned %d (%s)", b, n, strerror(errno));
  }
  if (nblocks == MAXFILE) {
    ERR(write(fd, buf, 1), EFBIG);
    ERR(write(fd, buf, BSIZE), EFBIG);
  }
  struct stat st;
  OK(fstat(fd, &st));
  REQUIRE(st.size == (uint64)nblocks * BSIZE, "size %lu, want %d", st.size, nblocks * BSIZE);
  close(fd);

  // Read back, in pieces that straddle block boundaries.
  fd = OK(open(f, O_RDONLY));
  for (int b = 0; b < nblocks; b++) {
    int got = 0, n;
    // Odd blocks in one read, even ones in pieces of up to 300 bytes.
    while (got < BSIZE) {
      int want = BSIZE - got;
      if (b % 2 == 0 && want > 300)
        want = 300;
      if ((n = read(fd, buf + got, want)) <= 0)
        break;
      got += n;
    }
    REQUIRE(got == BSIZE, "block %d: read %d bytes", b, got);
    REQUIRE(same(buf, BSIZE, b), "block %d corrupted", b);
  }
  REQUIRE(read(fd, buf, 1) == 0, "data after the end");
  close(fd);

  // Truncation frees the blocks: a second full-size file fits again (full mode only, where
  // running out of blocks would show).
  fd = OK(open(f, O_WRONLY | O_TRUNC));
  OK(fstat(fd, &st));
  REQUIRE(st.size == 0, "size %lu after O_TRUNC", st.size);
  if (!check_quick) {
    fill(buf, sizeof(buf), 3);
    for (int b = 0; b < nblocks; b += 8) {
      int n = nblocks - b < 8 ? nblocks - b : 8;
      REQUIRE(write(fd, buf, n * BSIZE) == n * BSIZE, "rewrite at block %d: %s", b,
              strerror(errno));
    }
  }
  close(fd);
  OK(unlink(f));
}

// Several processes creating, writing and removing files in one directory at the same time.
static int
creator(int c)
{
  char name[32];
  for (int i = 0; i < 12; i++) {
    snprintf(name, sizeof(name), "xt.c%d.%d", c, i);
    int fd = open(name, O_CREATE | O_RDWR);
    if (fd < 0) {
      printf("  creator %d: open %s: %s\n", c, name, strerror(errno));
      return 1;
    }
    int len = i == 0 ? 5000 : 40;   // one larger file each, for block allocation races
    fill(buf, len, c * 100 + i);
    if (write(fd, buf, len) != len) {
      printf("  creator %d: write %s: %s\n", c, name, strerror(errno));
      return 1;
    }
    close(fd);
  }
  return 0;
}

static int
racer(int c)
{
  char name[16];
  for (int r = 0; r < 40; r++) {
    snprintf(name, sizeof(name), "xt.s%d", r % 5);
    int what = (c + r) % 3, res;
    if (what == 0) {
      res = unlink(name);
    } else if (what == 1) {
      res = open(name, O_CREATE | O_RDWR);
      if (res >= 0) {
        write(res, "r", 1);
        close(res);
      }
    } else {
      res = link("xt.s0", name);
    }
    if (res < 0 && errno != ENOENT && errno != EEXIST) {
      printf("  racer %d: %s on %s: %s\n", c, what == 0 ? "unlink" : what == 1 ? "open" : "link",
             name, strerror(errno));
      return 1;
    }
  }
  return 0;
}

static int
mkdirer(int c)
{
  if (mkdir("xt.cd") == 0)
    return 0;
  return errno == EEXIST ? 1 : 2;
}

static void
t_concurrent(void)
{
  enum { NC = 4 };
  char name[32];
  int pids[NC];

  // Distinct names.
  for (int c = 0; c < NC; c++)
    for (int i = 0; i < 12; i++) {
      snprintf(name, sizeof(name), "xt.c%d.%d", c, i);
      unlink(name);
    }
  for (int c = 0; c < NC; c++)
    pids[c] = spawn(creator, c);
  for (int c = 0; c < NC; c++)
    reap_ok(pids[c], "creator");
  for (int c = 0; c < NC; c++)
    for (int i = 0; i < 12; i++) {
      snprintf(name, sizeof(name), "xt.c%d.%d", c, i);
      int len = getfile(name);
      REQUIRE(len == (i == 0 ? 5000 : 40) && same(buf, len, c * 100 + i), "%s: wrong content",
              name);
    }
  // Remove them concurrently too.
  for (int c = 0; c < NC; c++) {
    int pid = fork();
    if (pid == 0) {
      for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof(name), "xt.c%d.%d", c, i);
        if (unlink(name) < 0)
          FAIL("unlink %s: %s", name, strerror(errno));
      }
      exit(0);
    }
    pids[c] = pid;
  }
  for (int c = 0; c < NC; c++)
    reap_ok(pids[c], "remover");

  // The same few names created, linked and unlinked by everyone at once.
  for (int i = 0; i < 5; i++) {
    snprintf(name, sizeof(name), "xt.s%d", i);
    unlink(name);
  }
  for (int c = 0; c < NC; c++)
    pids[c] = spawn(racer, c);
  for (int c = 0; c < NC; c++)
    reap_ok(pids[c], "racer");
  // No name may appear twice in the directory.
  int seen[5] = {0};
  int fd = OK(open(".", O_RDONLY));
  struct dirent de;
  while (read(fd, &de, sizeof(de)) == sizeof(de)) {
    if (de.inum == 0 || strncmp(de.name, "xt.s", 4) != 0 || de.name[5] != 0)
      continue;
    int i = de.name[4] - '0';
    REQUIRE(i >= 0 && i < 5, "odd name");
    REQUIRE(++seen[i] == 1, "xt.s%d is in the directory twice", i);
  }
  close(fd);
  for (int i = 0; i < 5; i++) {
    snprintf(name, sizeof(name), "xt.s%d", i);
    if (seen[i])
      OK(unlink(name));
    REQUIRE(!exists(name), "%s still exists", name);
  }

  // Racing mkdir of one name: exactly one wins.
  unlink("xt.cd");
  for (int c = 0; c < NC; c++)
    pids[c] = spawn(mkdirer, c);
  int winners = 0;
  for (int c = 0; c < NC; c++) {
    int st = waitfor(pids[c]);
    REQUIRE(st == 0 || st == 1, "mkdir racer: unexpected error");
    winners += st == 0;
  }
  REQUIRE(winners == 1, "%d processes created the same directory", winners);
  OK(unlink("xt.cd"));
}

static void
t_bigdir(void)
{
  enum { N = 300 };
  char name[32];
  unlink("xt.bd/f");
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof(name), "xt.bd/x%d", i);
    unlink(name);
  }
  unlink("xt.bd");
  OK(mkdir("xt.bd"));
  putfile("xt.bd/f", "one inode, many names");
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof(name), "xt.bd/x%d", i);
    OK(link("xt.bd/f", name));
  }
  struct stat st;
  OK(stat("xt.bd/f", &st));
  REQUIRE(st.nlink == N + 1, "nlink %d, want %d", st.nlink, N + 1);
  for (int i = 0; i < N; i++) {
    snprintf(name, sizeof(name), "xt.bd/x%d", i);
    OK(unlink(name));
  }
  OK(unlink("xt.bd/f"));
  OK(unlink("xt.bd"));
}

// In-memory inode, file-table and directory references are all given back.
static void
t_refs(void)
{
  // A chain deeper than the inode cache, walked down and back up.
  int pid = fork();
  if (pid == 0) {
    int depth;
    for (depth = 0; depth < NINODE + 10; depth++) {
      OK(mkdir("xt.ir"));
      OK(chdir("xt.ir"));
    }
    for (; depth > 0; depth--) {
      OK(chdir(".."));
      OK(unlink("xt.ir"));
    }
    exit(0);
  }
  reap_ok(pid, "deep chain");

  // More opens than the file table holds, each closed again.
  putfile("xt.ref", "x");
  for (int i = 0; i < NFILE * 2; i++) {
    int fd = OK(open("xt.ref", O_RDONLY));
    close(fd);
  }
  // Descriptors open in exiting processes are released.
  for (int i = 0; i < 8; i++) {
    pid = fork();
    if (pid == 0) {
      for (int k = 0; k < NOFILE - 3; k++)
        open("xt.ref", O_RDONLY);
      exit(0);
    }
    reap_ok(pid, "opener");
  }
  OK(unlink("xt.ref"));

  // Many distinct files created and removed.
  char name[16];
  for (int i = 0; i < NINODE + 20; i++) {
    snprintf(name, sizeof(name), "xt.r%d", i);
    int fd = OK(open(name, O_CREATE | O_RDWR));
    close(fd);
    OK(unlink(name));
  }
}

// ==== memory

static void
t_sbrk(void)
{
  char *a = sbrk(0);
  // Byte by byte.
  for (int i = 0; i < 5000; i++) {
    char *b = sbrk(1);
    REQUIRE(b == a + i, "sbrk(1) returned %p, want %p", b, a + i);
    *b = (char)i;
  }
  for (int i = 0; i < 5000; i++)
    REQUIRE(a[i] == (char)i, "byte %d lost", i);

  // Many pages.
  char *c = sbrk(10 * PGSIZE);
  REQUIRE(c == a + 5000, "sbrk(10 pages) returned %p, want %p", c, a + 5000);
  char *end = sbrk(0);
  REQUIRE(end == c + 10 * PGSIZE, "break %p, want %p", end, c + 10 * PGSIZE);
  fill(c, 10 * PGSIZE, 9);
  REQUIRE(same(c, 10 * PGSIZE, 9), "new heap memory did not hold data");

  // The heap is copied by fork.
  int pid = fork();
  if (pid == 0) {
    if (!same(c, 10 * PGSIZE, 9))
      exit(1);
    memset(c, 0, 10 * PGSIZE);
    exit(0);
  }
  reap_ok(pid, "heap-checking child");
  REQUIRE(same(c, 10 * PGSIZE, 9), "child's writes reached the parent's heap");

  // Shrink: the pages are gone, touching them kills.
  REQUIRE(sbrk(-10 * PGSIZE) == end, "shrinking sbrk returned the wrong old break");
  REQUIRE(sbrk(0) == c, "break %p after shrinking, want %p", sbrk(0), c);
  pid = fork();
  if (pid == 0) {
    volatile char *p = c + 5 * PGSIZE;
    *p = 1;
    exit(0);
  }
  reap_killed(pid, "touching freed heap");

  // Growing again gives zeroed pages (at least the whole pages that were given back).
  char *c2 = sbrk(10 * PGSIZE);
  REQUIRE(c2 == c, "regrow at %p, want %p", c2, c);
  for (char *p = (char*)PGROUNDUP(c2); p < c2 + 10 * PGSIZE; p++)
    REQUIRE(*p == 0, "regrown heap not zero at %p", p);

  // System calls can use heap memory.
  int fds[2];
  int *pp = (int*)(c2 + PGSIZE);
  OK(pipe(pp));
  fds[0] = pp[0];
  fds[1] = pp[1];
  // (Less than a pipe's buffer, since nobody else reads.)
  fill(c2 + 2 * PGSIZE, 500, 4);
  REQUIRE(write(fds[1], c2 + 2 * PGSIZE, 500) == 500, "pipe write from heap");
  int got = 0, n;
  while (got < 500 && (n = read(fds[0], c2 + 6 * PGSIZE + got, 500 - got)) > 0)
    got += n;
  REQUIRE(got == 500 && same(c2 + 6 * PGSIZE, 500, 4), "pipe read into heap");
  close(fds[0]);
  close(fds[1]);

  // Far too much at once: refused, and nothing changes.
  char *before = sbrk(0);
  ERR(sbrk(0x7ff00000), ENOMEM);
  REQUIRE(sbrk(0) == before, "failed sbrk moved the break");
  sbrk(-(10 * PGSIZE + 5000));
  REQUIRE(sbrk(0) == a, "break not back where it started");

  // malloc and free: many blocks of many sizes, none overlapping.
  enum { NB = 200 };
  static char *blk[NB];
  static int len[NB];
  for (int round = 0; round < 3; round++) {
    for (int i = 0; i < NB; i++) {
      if (blk[i] && (i + round) % 2)
        continue;
      free(blk[i]);
      len[i] = 1 + (i * 37 + round * 101) % 3000;
      blk[i] = malloc(len[i]);
      REQUIRE(blk[i] != 0, "malloc(%d) failed", len[i]);
      REQUIRE(((uint64)blk[i] & 15) == 0, "malloc returned unaligned %p", blk[i]);
      fill(blk[i], len[i], i);
    }
    for (int i = 0; i < NB; i++)
      REQUIRE(same(blk[i], len[i], i), "malloc block %d overwritten", i);
  }
  for (int i = 0; i < NB; i++)
    free(blk[i]);
  char *big = malloc(1 << 20);
  REQUIRE(big != 0, "malloc(1 MiB) failed after frees");
  memset(big, 1, 1 << 20);
  free(big);
}

// A child that takes every page it can get, in steps of `step` bytes; reports the total.
static int
hog(int step)
{
  int pages = 0;
  while (sbrk(step) != (char*)-1)
    pages += step / PGSIZE;
  if (errno != ENOMEM) {
    printf("  hog: sbrk failed with %s, want ENOMEM\n", strerror(errno));
    return -2;
  }
  return pages;
}

static int
hog_report(int fd)
{
  int pages = hog(1 << 20);
  if (pages < 0)
    exit(1);
  pages += hog(PGSIZE);     // the last scraps
  // With no memory left, fork must fail cleanly.
  int pid = fork();
  if (pid == 0)
    exit(0);
  if (pid > 0) {
    printf("  hog: fork succeeded with memory exhausted\n");
    wait(0);
  }
  write(fd, &pages, sizeof(pages));
  return 0;
}

static void
t_oom(void)
{
  int p[2];
  OK(pipe(p));
  int first = 0, second = 0;
  reap_ok(spawn(hog_report, p[1]), "first hog");
  REQUIRE(read(p[0], &first, sizeof(first)) == sizeof(first), "no report from first hog");
  reap_ok(spawn(hog_report, p[1]), "second hog");
  REQUIRE(read(p[0], &second, sizeof(second)) == sizeof(second), "no report from second hog");
  close(p[0]);
  close(p[1]);
  printf("  oom: %d pages, then %d pages\n", first, second);
  REQUIRE(first > 1000, "only %d pages could be allocated", first);
  // Everything the first hog had came back (a few pages of slack for other activity).
  REQUIRE(second >= first - 16, "first hog got %d pages, second only %d", first, second);

  // A process that runs out of memory while its parent waits; the parent survives.
  int pid = fork();
  if (pid == 0) {
    char *last = 0;
    for (;;) {
      char *m = malloc(64 * 1024);
      if (m == 0)
        break;
      m[0] = 1;
      last = m;
    }
    exit(last ? 0 : 1);
  }
  reap_ok(pid, "malloc until failure");
}

static int
guard_read(int unused)
{
  // The stack occupies USERSTACK pages under its top; sp is in the top page this early on.
  uint64 bottom = PGROUNDDOWN(rsp()) - (USERSTACK - 1) * PGSIZE;
  volatile char *p = (char*)(bottom - 8);
  return *p;      // reaching here means the guard page was readable
}

static int
guard_write(int unused)
{
  uint64 bottom = PGROUNDDOWN(rsp()) - (USERSTACK - 1) * PGSIZE;
  volatile char *p = (char*)(bottom - PGSIZE / 2);
  *p = 1;
  return 0;
}

// Each call's frame holds 512 bytes and is still in use when the next call is made (the
// callee writes to its caller's frame), so the compiler cannot turn this into a loop.
static int __attribute__((noinline))
recurse(int depth, volatile char *up)
{
  volatile char frame[512];
  frame[0] = depth;
  frame[511] = depth;
  if (up)
    up[1] = depth;
  if (depth == 0)
    return frame[0];
  return recurse(depth - 1, frame) + frame[1];
}

static int
overflow(int unused)
{
  recurse(USERSTACK * PGSIZE / 512 + 20, 0);   // more frames than the stack holds
  return 0;
}

static int
touch(int which)
{
  volatile char *p;
  switch (which) {
  case 0: p = (char*)KERNBASE; return *p;
  case 1: p = (char*)(PGROUNDUP(sbrk(0)) + 16 * PGSIZE); return *p;
  case 2: p = (char*)TRAPFRAME; *p = 0; return 0;
  case 3: p = (char*)0xffffffffffff0000UL; return *p;
  case 4: p = (char*)touch; *p = 0; return 0;     // text is not writable
  default: return 0;
  }
}

static void
t_faults(void)
{
  reap_killed(spawn(guard_read, 0), "read of the stack guard page");
  reap_killed(spawn(guard_write, 0), "write to the stack guard page");
  reap_killed(spawn(overflow, 0), "stack overflow by recursion");
  static const char *what[] = {"read of kernel memory", "read above the heap",
                               "write to the trapframe", "read above MAXVA",
                               "write to program text"};
  for (int i = 0; i < 5; i++)
    reap_killed(spawn(touch, i), what[i]);
  // The kernel and the suite are still fine.
  REQUIRE(getpid() > 0, "getpid");
}

// System calls given pointers the process may not use must fail with EFAULT and do nothing.
static void
t_badptr(void)
{
  // A page-aligned break with one writable page under it.
  char *brk = sbrk(0);
  sbrk(PGROUNDUP(brk) - (uint64)brk + PGSIZE);
  char *top = sbrk(0);
  uint64 sp = rsp();
  char *bad[] = {
    (char*)KERNBASE,                                             // kernel memory
    (char*)KERNBASE + 0x1000000,
    top + 8 * PGSIZE,                                            // unmapped, above the heap
    (char*)TRAPFRAME,                                            // mapped, kernel-only
    (char*)TRAMPOLINE,
    (char*)(PGROUNDDOWN(sp) - (USERSTACK - 1) * PGSIZE - 16),    // the stack guard page
    (char*)MAXVA,                                                // past the last user page
    (char*)0xffffffffffff8000UL,                                 // far past it
  };
  const char *f = "xt.bad";
  putfile(f, "0123456789");
  int fd = OK(open(f, O_RDWR));

  for (int k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
    char *b = bad[k];
    ERR(write(fd, b, 10), EFAULT);
    ERR(read(fd, b, 10), EFAULT);
    ERR(open(b, O_RDONLY), EFAULT);
    ERR(open(b, O_CREATE | O_RDWR), EFAULT);
    ERR(mkdir(b), EFAULT);
    ERR(chdir(b), EFAULT);
    ERR(unlink(b), EFAULT);
    ERR(link(b, "xt.bad2"), EFAULT);
    ERR(link(f, b), EFAULT);
    ERR(mknod(b, 1, 0), EFAULT);
    ERR(fstat(fd, (struct stat*)b), EFAULT);
    char *args[] = {"echo", b, 0};
    ERR(exec(b, args), EFAULT);
    ERR(exec("/echo", (char**)b), EFAULT);
    ERR(exec("/echo", args), EFAULT);
    int before = OK(dup(0));
    close(before);
    ERR(pipe((int*)b), EFAULT);
    int after = OK(dup(0));
    close(after);
    REQUIRE(after == before, "failed pipe() leaked descriptors");

    int p[2];
    OK(pipe(p));
    ERR(write(p[1], b, 10), EFAULT);
    REQUIRE(write(p[1], "abc", 3) == 3, "pipe write");
    ERR(read(p[0], b, 3), EFAULT);
    close(p[0]);
    close(p[1]);

    int pid = spawn(exit_with, 0);
    ERR(wait((int*)b), EFAULT);
    int r = wait(0);     // the child may or may not still be waitable; either is fine
    REQUIRE(r == pid || (r == -1 && errno == ECHILD), "wait after EFAULT: %d", r);
  }
  REQUIRE(!exists("xt.bad2"), "a failed link created xt.bad2");

  // A path that runs off the end of mapped memory without a terminating NUL.
  memset(top - 8, 'x', 8);
  ERR(open(top - 8, O_RDONLY), EFAULT);
  ERR(mkdir(top - 8), EFAULT);
  // A buffer that starts in mapped memory and ends outside it: an error or a short count.
  errno = 0;
  int n = write(fd, top - 5, 10);
  REQUIRE((n == -1 && errno == EFAULT) || n == 5, "straddling write returned %d", n);
  close(fd);
  fd = OK(open(f, O_RDONLY));
  errno = 0;
  n = read(fd, top - 5, 10);
  REQUIRE((n == -1 && errno == EFAULT) || n == 5, "straddling read returned %d", n);
  close(fd);
  OK(unlink(f));

  // Writes to read-only memory (our text) are refused too.
  fd = OK(open("xt.bad", O_CREATE | O_RDWR));
  write(fd, "0123456789", 10);
  close(fd);
  fd = OK(open("xt.bad", O_RDONLY));
  ERR(read(fd, (char*)t_badptr, 10), EFAULT);
  close(fd);
  OK(unlink("xt.bad"));
}

// ==== limits and error numbers

static void
t_manyprocs(void)
{
  int counts[2];
  for (int round = 0; round < 2; round++) {
    int p[2];
    OK(pipe(p));
    int n = 0;
    for (;;) {
      int pid = fork();
      if (pid < 0) {
        REQUIRE(errno == EAGAIN || errno == ENOMEM, "fork failed with %s", strerror(errno));
        break;
      }
      if (pid == 0) {
        char c;
        close(p[1]);
        read(p[0], &c, 1);     // wait for the parent to close the pipe
        exit(0);
      }
      n++;
      REQUIRE(n <= NPROC, "more than NPROC (%d) forks succeeded", NPROC);
    }
    close(p[0]);
    close(p[1]);
    for (int i = 0; i < n; i++) {
      int st;
      REQUIRE(wait(&st) > 0, "only %d of %d children reaped", i, n);
      REQUIRE(st == 0, "child status %d", st);
    }
    ERR(wait(0), ECHILD);
    counts[round] = n;
  }
  printf("  manyprocs: %d and %d processes forked\n", counts[0], counts[1]);
  REQUIRE(counts[0] >= NPROC / 2, "only %d processes could be created", counts[0]);
  REQUIRE(counts[1] >= counts[0] - 2, "first round %d processes, second only %d", counts[0],
          counts[1]);
}

static void
t_errno(void)
{
  char c;
  ERR(read(-1, &c, 1), EBADF);
  ERR(read(NOFILE, &c, 1), EBADF);
  ERR(read(12, &c, 1), EBADF);
  ERR(write(99, "x", 1), EBADF);
  ERR(close(15), EBADF);
  ERR(close(-3), EBADF);
  struct stat st;
  ERR(fstat(13, &st), EBADF);
  ERR(dup(NOFILE + 1), EBADF);

  ERR(open("xt.nonexistent", O_RDONLY), ENOENT);
  ERR(unlink("xt.nonexistent"), ENOENT);
  ERR(chdir("xt.nonexistent"), ENOENT);
  ERR(open("/xt.nonexistent/x/y", O_RDONLY), ENOENT);

  unlink("xt.e/f");
  unlink("xt.e");
  OK(mkdir("xt.e"));
  ERR(mkdir("xt.e"), EEXIST);
  putfile("xt.e/f", "f");
  ERR(link("xt.e/f", "xt.e/f"), EEXIST);
  ERR(mknod("xt.e/f", 1, 0), EEXIST);
  ERR(open("xt.e/f/g", O_RDONLY), ENOTDIR);
  ERR(chdir("xt.e/f"), ENOTDIR);
  ERR(open("xt.e", O_WRONLY), EISDIR);
  ERR(unlink("xt.e"), ENOTEMPTY);
  OK(unlink("xt.e/f"));
  OK(unlink("xt.e"));

  putfile("xt.e", "data");
  int efd = OK(open("xt.e", O_RDONLY));
  ERR(read(efd, (char*)KERNBASE, 1), EFAULT);
  close(efd);
  OK(unlink("xt.e"));
  ERR(wait(0), ECHILD);
  ERR(kill(-5), ESRCH);

  // Descriptor exhaustion: open, dup and pipe all report EMFILE.
  int opened = 0;
  for (;;) {
    int fd = open("/", O_RDONLY);
    if (fd < 0)
      break;
    opened++;
    REQUIRE(opened <= NOFILE, "more than NOFILE descriptors");
  }
  REQUIRE(errno == EMFILE, "open failed with %s, want EMFILE", strerror(errno));
  REQUIRE(opened == NOFILE - 3, "%d descriptors opened beside 0, 1, 2; want %d", opened,
          NOFILE - 3);
  ERR(dup(0), EMFILE);
  int p[2];
  ERR(pipe(p), EMFILE);
  close(3);
  ERR(pipe(p), EMFILE);      // needs two free slots
  for (int fd = 3; fd < NOFILE; fd++)
    close(fd);
  OK(pipe(p));
  close(p[0]);
  close(p[1]);
}

static void
t_time(void)
{
  int t0 = uptime();
  REQUIRE(t0 >= 0, "uptime %d", t0);
  OK(sleep(3));
  int t1 = uptime();
  REQUIRE(t1 - t0 >= 3, "slept 3 ticks but uptime went %d -> %d", t0, t1);
  OK(sleep(0));
  // The clock advances on its own while a process computes.
  t0 = uptime();
  volatile uint64 x = 0;
  while (uptime() == t0)
    x++;
}

// ==== the user library

static void
t_ulib(void)
{
  char out[64];
  // Each case formats into out and compares with the expected text.
#define FMT(want, ...)                                                  \
  do {                                                                  \
    int n_ = snprintf(out, sizeof(out), __VA_ARGS__);                   \
    REQUIRE(strcmp(out, want) == 0 && n_ == strlen(want),               \
            "snprintf gave '%s' (%d), want '%s'", out, n_, want);       \
  } while (0)
  FMT("-42|7|3000000000|beef|BEEF", "%d|%i|%u|%x|%X", -42, 7, 3000000000U, 0xbeef, 0xbeef);
  FMT("-9223372036854775808", "%ld", (int64)(1UL << 63));
  FMT("18446744073709551615 ffffffffffffffff", "%lu %lx", ~0UL, ~0UL);
  FMT("12345678901", "%l", 12345678901L);
  FMT("x=5 y", "x=%l y", 5L);
  FMT("0x00000000deadbeef", "%p", (void*)0xdeadbeefUL);
  FMT("[  ab][ab  ][007][-07][  -7]", "[%4s][%-4s][%03d][%03d][%4d]", "ab", "ab", 7, -7, -7);
  FMT("c(null)%", "%c%s%%", 'c', (char*)0);
  FMT("[   x]", "[%*s]", 4, "x");
  int n = snprintf(out, 4, "%s", "abcdef");
  REQUIRE(n == 6 && strcmp(out, "abc") == 0, "truncation: '%s' %d", out, n);

  // Strings and memory.
  REQUIRE(strlen("") == 0 && strlen("abc") == 3, "strlen");
  REQUIRE(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0, "strcmp");
  REQUIRE(strncmp("abcx", "abcy", 3) == 0 && strncmp("ab", "abc", 3) < 0, "strncmp");
  REQUIRE(atoi("123") == 123 && atoi("-45") == -45 && atoi("  7x") == 7, "atoi");
  const char *hello = "hello";
  REQUIRE(strchr(hello, 'l') == hello + 2, "strchr");
  REQUIRE(strchr("hello", 'z') == 0, "strchr miss");
  static char m[64];
  for (int i = 0; i < 64; i++)
    m[i] = i;
  memmove(m + 1, m, 40);     // overlapping, forwards
  REQUIRE(m[1] == 0 && m[40] == 39 && m[41] == 41, "memmove up");
  memmove(m, m + 1, 40);     // overlapping, backwards
  REQUIRE(m[0] == 0 && m[39] == 39, "memmove down");
  memset(m + 3, 0xab, 30);
  REQUIRE((m[2] & 0xff) != 0xab && (m[3] & 0xff) == 0xab && (m[32] & 0xff) == 0xab &&
          (m[33] & 0xff) != 0xab, "memset bounds");
  REQUIRE(memcmp("abc", "abd", 3) < 0 && memcmp("abc", "abc", 3) == 0, "memcmp");
  char s[16];
  strcpy(s, "ab");
  strcat(s, "cd");
  REQUIRE(strcmp(s, "abcd") == 0, "strcpy/strcat");
  REQUIRE(strcmp(strerror(ENOENT), "no such file or directory") == 0, "strerror");
}

// ==== the shell

static void
t_shell(void)
{
  unlink("xt.sh.out");
  unlink("xt.sh.in");
  unlink("xt.sh.d/f");
  unlink("xt.sh.d");
  putfile("xt.sh.in",
          "echo one > xt.sh.out\n"
          "echo two >> xt.sh.out ; echo three | cat >> xt.sh.out\n"
          "(echo four; echo five) | grep f >> xt.sh.out\n"
          "mkdir xt.sh.d ; cd xt.sh.d\n"
          "echo six > f ; cd .. ; cat xt.sh.d/f >> xt.sh.out\n"
          "wc < xt.sh.in | grep '^8 ' >> xt.sh.out\n"
          "nosuchprogram\n"
          "echo bg > xt.sh.bg &\n");
  unlink("xt.sh.bg");
  int pid = fork();
  if (pid == 0) {
    char *args[] = {"sh", "xt.sh.in", 0};
    close(2);
    open("xt.sh.err", O_CREATE | O_WRONLY | O_TRUNC);
    exec("/sh", args);
    exit(99);
  }
  waitfor(pid);
  getfile("xt.sh.out");
  const char *want = "one\ntwo\nthree\nfour\nfive\nsix\n";
  REQUIRE(strncmp(buf, want, strlen(want)) == 0, "shell output '%s'", buf);
  REQUIRE(strncmp(buf + strlen(want), "8 ", 2) == 0, "wc via < gave '%s'", buf + strlen(want));
  getfile("xt.sh.err");
  REQUIRE(contains(buf, "nosuchprogram"), "no error for a missing program: '%s'", buf);
  // The background job finishes in its own time.
  for (int i = 0; i < 100; i++) {
    if (exists("xt.sh.bg") && getfile("xt.sh.bg") >= 3)
      break;
    sleep(1);
  }
  REQUIRE(strcmp(buf, "bg\n") == 0, "background job wrote '%s'", buf);
  OK(unlink("xt.sh.out"));
  OK(unlink("xt.sh.in"));
  OK(unlink("xt.sh.err"));
  OK(unlink("xt.sh.bg"));
  OK(unlink("xt.sh.d/f"));
  OK(unlink("xt.sh.d"));
}

// ==== the runner

static struct subtest tests[] = {
  {"forkwait", t_forkwait, 0, 600},
  {"reparent", t_reparent, 0, 600},
  {"exec", t_exec, 0, 600},
  {"kill", t_kill, 0, 600},
  {"pipedata", t_pipedata, 0, 600},
  {"pipeclose", t_pipeclose, 0, 600},
  {"files", t_files, 0, 600},
  {"dup", t_dup, 0, 600},
  {"unlinkopen", t_unlinkopen, 0, 600},
  {"link", t_link, 0, 600},
  {"dirs", t_dirs, 0, 600},
  {"names", t_names, 0, 600},
  {"device", t_device, 0, 600},
  {"bigfile", t_bigfile, 0, 6000},
  {"concurrent", t_concurrent, 0, 1200},
  {"refs", t_refs, 0, 1200},
  {"sbrk", t_sbrk, 0, 600},
  {"faults", t_faults, 0, 600},
  {"badptr", t_badptr, 0, 600},
  {"manyprocs", t_manyprocs, 0, 1200},
  {"errno", t_errno, 0, 600},
  {"time", t_time, 0, 600},
  {"ulib", t_ulib, 0, 600},
  {"shell", t_shell, 0, 1200},
  {"bigdir", t_bigdir, 1, 6000},
  {"oom", t_oom, 1, 6000},
};

int
main(int argc, char *argv[])
{
  int status = check_main(argc, argv, tests, NELEM(tests));
  // the line xv6's own usertests end with, which course graders look for
  printf(status == 0 ? "ALL TESTS PASSED\n" : "SOME TESTS FAILED\n");
  exit(status);
}

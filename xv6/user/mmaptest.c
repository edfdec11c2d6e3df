// mmaptest: anonymous private mmap, munmap, mprotect, on the harness of user/check.h:
// `mmaptest [NAME ...]`, `mmaptest -l`.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fcntl.h"
#include "kernel/riscv.h"
#include "kernel/memlayout.h"
#include "user/user.h"

#define TEST_NAME "mmaptest"
#include "user/check.h"

#define PG 4096



static char *
anon(void *addr, uint64 len, int prot, int flags)
{
  return mmap(addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);
}

static void touch_read(char *p) { volatile char c = *p; (void)c; }
static void touch_write(char *p) { *(volatile char *)p = 1; }

static void
t_basic(void)
{
  char *p = anon(0, 3 * PG, PROT_READ | PROT_WRITE, 0);
  CHECK(p != MAP_FAILED, "mmap: errno %d", errno);
  if(p == MAP_FAILED)
    return;
  CHECK(((uint64)p % PG) == 0, "unaligned %p", p);
  int zero = 1;
  for(int i = 0; i < 3 * PG; i++)
    if(p[i] != 0)
      zero = 0;
  CHECK(zero, "not zero filled");
  for(int i = 0; i < 3 * PG; i++)
    p[i] = i * 7;
  int ok = 1;
  for(int i = 0; i < 3 * PG; i++)
    if(p[i] != (char)(i * 7))
      ok = 0;
  CHECK(ok, "read back differs");
  CHECK(munmap(p, 3 * PG) == 0, "munmap: errno %d", errno);
  CHECK(in_child(touch_read, p) == -1, "read after munmap not killed");
  // lazy: a huge mapping costs nothing until touched
  char *big = anon(0, 1L << 32, PROT_READ | PROT_WRITE, MAP_NORESERVE);
  CHECK(big != MAP_FAILED, "4 GiB lazy mmap: errno %d", errno);
  if(big != MAP_FAILED){
    big[(1L << 31) + 5] = 9;
    CHECK(big[(1L << 31) + 5] == 9 && big[0] == 0, "sparse access");
    CHECK(munmap(big, 1L << 32) == 0, "munmap big");
  }
}

static void
t_partial_munmap(void)
{
  char *p = anon(0, 4 * PG, PROT_READ | PROT_WRITE, 0);
  CHECK(p != MAP_FAILED, "mmap");
  for(int i = 0; i < 4; i++)
    p[i * PG] = 'a' + i;
  CHECK(munmap(p + PG, PG) == 0, "munmap middle");
  CHECK(p[0] == 'a' && p[2 * PG] == 'c' && p[3 * PG] == 'd', "neighbours lost data");
  CHECK(in_child(touch_write, p + PG) == -1, "hole still mapped");
  CHECK(munmap(p + PG, PG) == 0, "munmap of a hole");
  CHECK(munmap(p, 4 * PG) == 0, "munmap across the hole");
  CHECK(in_child(touch_read, p + 3 * PG) == -1, "tail still mapped");
}

static void
t_mprotect(void)
{
  char *p = anon(0, 3 * PG, PROT_READ | PROT_WRITE, 0);
  CHECK(p != MAP_FAILED, "mmap");
  p[PG] = 42;
  CHECK(mprotect(p + PG, PG, PROT_READ) == 0, "mprotect: errno %d", errno);
  CHECK(p[PG] == 42, "data lost by mprotect");
  CHECK(in_child(touch_write, p + PG) == -1, "write to read-only not killed");
  CHECK(in_child(touch_write, p) == 0, "write to the writable neighbour killed");
  CHECK(in_child(touch_write, p + 2 * PG + 1) == 0, "write to the writable tail killed");
  CHECK(mprotect(p, PG, PROT_NONE) == 0, "mprotect none");
  CHECK(in_child(touch_read, p) == -1, "read of PROT_NONE not killed");
  CHECK(mprotect(p, 3 * PG, PROT_READ | PROT_WRITE) == 0, "mprotect back");
  p[PG] = 43;
  CHECK(p[PG] == 43, "write after mprotect back");
  int fds[2];
  pipe(fds);
  CHECK(write(fds[1], "xy", 2) == 2, "pipe write");
  CHECK(mprotect(p, PG, PROT_READ) == 0, "mprotect ro");
  CHECK(read(fds[0], p, 2) == -1 && errno == EFAULT, "read() into read-only mapping");
  close(fds[0]);
  close(fds[1]);
  CHECK(mprotect(p + 100, PG, PROT_READ) == -1 && errno == EINVAL, "unaligned mprotect");
  CHECK(mprotect(p, PG, 0x40) == -1 && errno == EINVAL, "bad prot");
  munmap(p, 3 * PG);
  CHECK(mprotect(p, PG, PROT_READ) == -1 && errno == ENOMEM, "mprotect of a hole");
}

static void
t_fixed(void)
{
  char *p = anon(0, 4 * PG, PROT_READ | PROT_WRITE, 0);
  CHECK(p != MAP_FAILED, "mmap");
  memset(p, 'x', 4 * PG);
  char *q = anon(p + PG, 2 * PG, PROT_READ | PROT_WRITE, MAP_FIXED);
  CHECK(q == p + PG, "MAP_FIXED at %p gave %p", p + PG, q);
  CHECK(p[0] == 'x' && p[PG] == 0 && p[2 * PG] == 0 && p[3 * PG] == 'x', "replace");
  char *r = anon(p + PG, PG, PROT_READ, MAP_FIXED_NOREPLACE);
  CHECK(r == MAP_FAILED && errno == EEXIST, "NOREPLACE over a mapping: %p errno %d", r, errno);
  munmap(p + 3 * PG, PG);
  r = anon(p + 3 * PG, PG, PROT_READ, MAP_FIXED_NOREPLACE);
  CHECK(r == p + 3 * PG, "NOREPLACE into a hole");
  r = anon(p + 3 * PG, PG, PROT_READ, MAP_FIXED_NOREPLACE);
  CHECK(r == MAP_FAILED && errno == EEXIST, "NOREPLACE twice");
  // a free hint is honoured
  munmap(p, 4 * PG);
  r = anon(p + PG, PG, PROT_READ | PROT_WRITE, 0);
  CHECK(r == p + PG, "hint %p gave %p", p + PG, r);
  munmap(r, PG);
  // populate
  r = anon(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_POPULATE | MAP_STACK);
  CHECK(r != MAP_FAILED && r[PG] == 0, "MAP_POPULATE");
  munmap(r, 2 * PG);
}

static void
t_errors(void)
{
  char *r;
  r = anon(0, 0, PROT_READ, 0);
  CHECK(r == MAP_FAILED && errno == EINVAL, "len 0: errno %d", errno);
  r = mmap(0, PG, PROT_READ, MAP_ANONYMOUS, -1, 0);
  CHECK(r == MAP_FAILED && errno == EINVAL, "no type: errno %d", errno);
  r = mmap(0, PG, PROT_READ, 0x0f | MAP_ANONYMOUS, -1, 0);
  CHECK(r == MAP_FAILED && errno == EINVAL, "bad type: errno %d", errno);
  r = anon(0, PG, 0x80, 0);
  CHECK(r == MAP_FAILED && errno == EINVAL, "bad prot: errno %d", errno);
  r = anon((void *)0x40000100, PG, PROT_READ, MAP_FIXED);
  CHECK(r == MAP_FAILED && errno == EINVAL, "unaligned fixed: errno %d", errno);
  r = mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 100);
  CHECK(r == MAP_FAILED && errno == EINVAL, "unaligned offset: errno %d", errno);
  r = anon(0, -1L, PROT_READ, 0);
  CHECK(r == MAP_FAILED && errno == ENOMEM, "huge len: errno %d", errno);
  r = mmap(0, PG, PROT_READ, MAP_PRIVATE, 15, 0);
  CHECK(r == MAP_FAILED && errno == EBADF, "bad fd: errno %d", errno);
  r = mmap(0, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_ANONYMOUS | 0x400, -1, 0);
  CHECK(r == MAP_FAILED && errno == EOPNOTSUPP, "validate unknown flag: errno %d", errno);
  CHECK(munmap((void *)0x40000100, PG) == -1 && errno == EINVAL, "unaligned munmap");
  CHECK(munmap((void *)0x40000000, 0) == -1 && errno == EINVAL, "munmap len 0");
}

static void
t_syscall_buffer(void)
{
  char *p = anon(0, 2 * PG, PROT_READ | PROT_WRITE, 0);
  CHECK(p != MAP_FAILED, "mmap");
  int fd = open("mmaptest.tmp", O_CREATE | O_RDWR);
  CHECK(fd >= 0, "open");
  // untouched mapped pages as the source and destination of system calls
  CHECK(write(fd, p + 100, 2 * PG - 200) == 2 * PG - 200, "write from fresh mapping: errno %d",
        errno);
  close(fd);
  char *q = anon(0, 2 * PG, PROT_READ | PROT_WRITE, 0);
  fd = open("mmaptest.tmp", O_RDONLY);
  CHECK(read(fd, q + 10, 2 * PG - 200) == 2 * PG - 200, "read into fresh mapping: errno %d",
        errno);
  close(fd);
  unlink("mmaptest.tmp");
  munmap(p, 2 * PG);
  munmap(q, 2 * PG);
}

static void
t_fork(void)
{
  char *p = anon(0, 2 * PG, PROT_READ | PROT_WRITE, 0);
  CHECK(p != MAP_FAILED, "mmap");
  strcpy(p, "parent data");
  int pid = fork();
  if(pid == 0){
    int ok = strcmp(p, "parent data") == 0 && p[PG] == 0;
    strcpy(p, "child data");
    p[PG] = 5;
    exit(ok ? 0 : 3);
  }
  int st = -5;
  wait(&st);
  CHECK(st == 0, "child did not see the parent's data (status %d)", st);
  CHECK(strcmp(p, "parent data") == 0 && p[PG] == 0, "child's writes reached the parent");
  munmap(p, 2 * PG);
}

// exec drops every mapping: the new program finds the address free.
#define EXEC_ADDR ((char *)(MMAPTOP - PGSIZE))   // the top page of the mmap area

static void
t_exec(void)
{
  int pid = fork();
  if(pid == 0){
    char *p = anon(EXEC_ADDR, PG, PROT_READ | PROT_WRITE, MAP_FIXED);
    if(p != EXEC_ADDR)
      exit(2);
    p[0] = 1;
    char *args[] = { "mmaptest", "execd", 0 };
    exec("mmaptest", args);
    exit(3);
  }
  int st = -5;
  wait(&st);
  CHECK(st == 0, "mapping survived exec (status %d)", st);
}

// Regions that cannot merge (alternating prot) run into the MAXMAPCOUNT limit: ENOMEM.
static void
t_limit(void)
{
  char *first = 0, *r = 0;
  int n = 0;
  for(; n < MAXMAPCOUNT + 10; n++){
    r = anon(0, PG, n % 2 ? PROT_READ : PROT_READ | PROT_WRITE, 0);
    if(r == MAP_FAILED)
      break;
    if(n == 0)
      first = r;
  }
  // the program's own segments are regions too (exec maps them): a few less than the limit
  CHECK(r == MAP_FAILED && errno == ENOMEM && n < MAXMAPCOUNT && n >= MAXMAPCOUNT - 4,
        "map count limit: %d regions, errno %d", n, errno);
  if(first)
    CHECK(munmap(first - (n - 1) * PG, n * PG) == 0, "munmap all");
  r = anon(0, PG, PROT_READ, 0);
  CHECK(r != MAP_FAILED, "mmap after freeing the regions");
  munmap(r, PG);
}

static void
t_exec_cleanup(void)
{
  // many mappings, then exit: the pages are given back (checked by the next runs not failing)
  for(int i = 0; i < 20; i++){
    char *p = anon(0, PG, PROT_READ | PROT_WRITE, 0);
    CHECK(p != MAP_FAILED, "mmap %d", i);
    if(p != MAP_FAILED)
      p[0] = 1;
  }
}

static struct subtest tests[] = {
  {"basic", t_basic},
  {"partial", t_partial_munmap},
  {"mprotect", t_mprotect},
  {"fixed", t_fixed},
  {"errors", t_errors},
  {"sysbuf", t_syscall_buffer},
  {"fork", t_fork},
  {"exec", t_exec},
  {"limit", t_limit},
  {"execcleanup", t_exec_cleanup},
};

int
main(int argc, char *argv[])
{
  if(argc > 1 && strcmp(argv[1], "execd") == 0){
    char *p = anon(EXEC_ADDR, PG, PROT_READ, MAP_FIXED_NOREPLACE);
    exit(p == EXEC_ADDR && p[0] == 0 ? 0 : 1);
  }
  exit(check_main(argc, argv, tests, NELEM(tests)));
}

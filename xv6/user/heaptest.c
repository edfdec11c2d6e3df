// heaptest: the heap and the stack are regions like any other.  The sbrk heap is faulted in
// lazily (a page costs memory only once touched), shrinking it unmaps and frees, fork shares
// it copy-on-write, exec starts a fresh one; the stack has an unmapped guard page below it.
// Runs on user/check.h (heaptest [-q] [-l] [NAME ...]); "heaptest --after-exec OLDBREAK" is the
// program exec_child starts.

#include "kernel/types.h"
#include "kernel/param.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define TEST_NAME "heaptest"
#include "user/check.h"

#define PG 4096
#define LAZY_PAGES 2048          // 8 MiB of heap, of which a few pages are touched

static struct rusage
usage(void)
{
  struct rusage ru;
  memset(&ru, 0, sizeof(ru));
  getrusage(RUSAGE_SELF, &ru);
  return ru;
}

static struct vmstat
vm_stat(void)
{
  struct vmstat st;
  memset(&st, 0, sizeof(st));
  vmstat(&st);
  return st;
}

// The pagemap entry of the page at p (0: nothing mapped there).
static uint64
pm(void *p)
{
  uint64 e = 0;
  if(pagemap(p, &e) < 0)
    return ~0UL;
  return e;
}

// The break rounded up to a page boundary (sbrk's memory from here on starts on a page).
static char *
align_break(void)
{
  char *b = sbrk(0);
  if((uint64)b % PG)
    sbrk(PG - (uint64)b % PG);
  return sbrk(0);
}

// sbrk a lot, touch a little: only the touched pages take memory, and each is one zero-fill
// fault; the rest is promised (committed) but absent.
static void
t_lazy(void)
{
  char *h = align_break();
  struct vmstat st0 = vm_stat();
  struct rusage ru0 = usage();
  CHECK(sbrk(LAZY_PAGES * PG) == h, "sbrk(%d pages) failed: errno %d", LAZY_PAGES, errno);
  struct vmstat st1 = vm_stat();
  CHECK(st0.free_pages - st1.free_pages < 64, "sbrk of %d pages took %d free pages",
        LAZY_PAGES, (int)(st0.free_pages - st1.free_pages));
  CHECK(st1.committed_pages - st0.committed_pages >= LAZY_PAGES,
        "sbrk of %d pages committed only %d", LAZY_PAGES,
        (int)(st1.committed_pages - st0.committed_pages));
  CHECK(pm(h + 100 * PG) == 0, "an untouched heap page is present: %lx", pm(h + 100 * PG));
  h[0] = 1;
  h[7 * PG] = 2;
  CHECK(h[LAZY_PAGES * PG - 1] == 0, "the heap's last byte is not zero");
  struct rusage ru1 = usage();
  CHECK(ru1.ru_zeroflt - ru0.ru_zeroflt == 3, "3 touched heap pages took %d zero-fill faults",
        (int)(ru1.ru_zeroflt - ru0.ru_zeroflt));
  CHECK((pm(h + 7 * PG) & PM_PRESENT) && pm(h + 8 * PG) == 0,
        "pagemap of touched %lx / untouched %lx heap pages", pm(h + 7 * PG), pm(h + 8 * PG));
  struct vmstat st2 = vm_stat();
  CHECK(st0.free_pages - st2.free_pages < 64, "3 touched pages took %d free pages",
        (int)(st0.free_pages - st2.free_pages));
  CHECK(sbrk(-LAZY_PAGES * PG) == h + LAZY_PAGES * PG, "shrinking sbrk");
  struct vmstat st3 = vm_stat();
  CHECK(st3.committed_pages <= st0.committed_pages, "shrinking left %d pages committed",
        (int)(st3.committed_pages - st0.committed_pages));
}

// Growth past the commit limit fails with ENOMEM and leaves the break where it was.
static void
t_limit(void)
{
  char *b = sbrk(0);
  struct vmstat st = vm_stat();
  uint64 room = st.commit_limit - st.committed_pages;
  if(room + 16 < 0x7fffffff / PG){
    CHECK(sbrk((room + 16) * PG) == (char *)-1 && errno == ENOMEM,
          "sbrk past the commit limit: errno %d", errno);
    CHECK(sbrk(0) == b, "a failed sbrk moved the break");
  }
  CHECK(sbrk(0x7ff00000) == (char *)-1 && errno == ENOMEM, "sbrk(2 GiB): errno %d", errno);
  CHECK(sbrk(0) == b, "a failed sbrk moved the break");
}

static char *shrunk;

static void
touch_shrunk(char *unused)
{
  *(volatile char *)shrunk = 1;
}

// Shrinking the heap unmaps and frees its pages: touching one kills the process.
static void
t_shrink(void)
{
  char *h = align_break();
  CHECK(sbrk(4 * PG) == h, "sbrk(4 pages)");
  memset(h, 7, 4 * PG);
  struct vmstat st0 = vm_stat();
  CHECK(sbrk(-3 * PG) == h + 4 * PG, "sbrk(-3 pages)");
  struct vmstat st1 = vm_stat();
  CHECK(st1.free_pages >= st0.free_pages + 3, "shrinking freed %d pages, want 3",
        (int)(st1.free_pages - st0.free_pages));
  CHECK(pm(h + PG) == 0, "a page above the break is still mapped");
  CHECK(h[PG - 1] == 7, "the page below the break lost its data");
  shrunk = h + 2 * PG;
  CHECK(in_child(touch_shrunk, 0) == -1, "touching the heap above the break did not kill");
  CHECK(sbrk(3 * PG) == h + PG, "regrow");
  CHECK(h[2 * PG] == 0 && h[PG - 1] == 7, "regrown heap not zero, or old data lost");
  sbrk(-4 * PG);
}

// The stack: the page under it is a guard page; touching it kills.
static void
stack_guard(char *unused)
{
  char here;
  char *guard = (char *)(((uint64)&here & ~(uint64)(PG - 1)) - (USERSTACK - 1) * PG) - 1;
  *(volatile char *)guard = 1;
}

static void
t_stack(void)
{
  char here;
  CHECK(pm(&here) & PM_PRESENT, "the stack page is not present");
  CHECK(in_child(stack_guard, 0) == -1, "a store to the stack guard page did not kill");
}

static uint64 parent_pfn;
static char *fork_heap;

// In the child of t_fork: the touched page is the parent's (shared, copy-on-write) until the
// child stores; the untouched one arrives zero-filled.
static void
fork_child(char *unused)
{
  char *h = fork_heap;
  uint64 e = pm(h);
  if(!(e & PM_PRESENT) || (e & PM_PFRAME_MASK) != parent_pfn || !(e & PM_COW) || (e & PM_WRITE))
    exit(2);
  if(h[0] != 5 || pm(h + 5 * PG) != 0)
    exit(3);
  struct rusage ru0 = usage();
  h[0] = 6;
  h[5 * PG] = 6;
  struct rusage ru1 = usage();
  if(ru1.ru_cowflt - ru0.ru_cowflt != 1 || ru1.ru_zeroflt - ru0.ru_zeroflt != 1)
    exit(4);
  if((pm(h) & PM_PFRAME_MASK) == parent_pfn)
    exit(5);
  exit(0);
}

// fork of a lazily grown heap: touched pages are shared copy-on-write, untouched ones stay
// absent in both; the parent keeps its data.
static void
t_fork(void)
{
  char *h = align_break();
  fork_heap = h;
  CHECK(sbrk(8 * PG) == h, "sbrk(8 pages)");
  h[0] = 5;
  parent_pfn = pm(h) & PM_PFRAME_MASK;
  int st = in_child(fork_child, 0);
  CHECK(st == 0, "fork's child found the heap wrong: status %d", st);
  CHECK(h[0] == 5 && pm(h + 5 * PG) == 0, "the child's stores reached the parent");
  CHECK((pm(h) & PM_PFRAME_MASK) == parent_pfn, "the parent's page moved");
  sbrk(-8 * PG);
}

// exec: the new program starts with a fresh, small heap; the old one is gone.
static void
exec_child(char *unused)
{
  char *h = align_break();
  sbrk(64 * PG);
  memset(h, 9, 64 * PG);
  char arg[20];
  uint64 v = (uint64)(h + 64 * PG);
  int n = 0;
  for(; v; v /= 16)
    arg[n++] = "0123456789abcdef"[v % 16];
  char rev[20];
  for(int i = 0; i < n; i++)
    rev[i] = arg[n - 1 - i];
  rev[n] = 0;
  char *argv[] = {"heaptest", "--after-exec", rev, 0};
  exec("heaptest", argv);
  exit(7);
}

static void
t_exec(void)
{
  CHECK(in_child(exec_child, 0) == 0, "after exec the heap was not fresh");
}

// heaptest --after-exec OLDBREAK: the break is below the old one and nothing is mapped there.
static int
after_exec(char *old)
{
  uint64 v = 0;
  for(; *old; old++)
    v = v * 16 + (*old <= '9' ? *old - '0' : *old - 'a' + 10);
  char *b = sbrk(0);
  if((uint64)b > v - 64 * PG)
    return 1;
  if(pm((char *)v - PG) != 0 || pm((char *)v - 64 * PG) != 0)
    return 2;
  return 0;
}

static struct subtest tests[] = {
  {"lazy", t_lazy},
  {"limit", t_limit},
  {"shrink", t_shrink},
  {"stack", t_stack},
  {"fork", t_fork},
  {"exec", t_exec},
};

int
main(int argc, char *argv[])
{
  if(argc == 3 && strcmp(argv[1], "--after-exec") == 0)
    exit(after_exec(argv[2]));
  exit(check_main(argc, argv, tests, NELEM(tests)));
}

// commitfill: reserve memory in steps -- private writable mmap, shared anonymous mmap and sbrk
// in turn, smaller steps as the larger ones fail -- until every kind answers ENOMEM, then
// store to every page reserved.  The kernel promised those pages (its commit limit leaves room
// for itself and the page cache), so none of the stores may get the process killed.
// Prints "commitfill: reserved N pages (limit L, RAM T), touched all"; the run is the one
// subtest ("fill") of the harness of user/check.h.
#include "kernel/types.h"
#include "kernel/mman.h"
#include "user/user.h"

#define TEST_NAME "commitfill"
#include "user/check.h"

#define PG 4096UL
#define MAXMAPS 4096

static struct { char *p; uint64 len; } maps[MAXMAPS];
static int nmaps;
static char *heap_lo;

// One reservation of npages of kind k (0 private, 1 shared anonymous, 2 sbrk); 0 or errno.
static int
reserve(int k, uint64 npages)
{
  uint64 len = npages * PG;
  if(k == 2){
    if(len > 0x7fffffff)
      return ENOMEM;
    return sbrk(len) == (char *)-1 ? errno : 0;
  }
  if(nmaps == MAXMAPS)
    return ENOMEM;
  int flags = (k == 0 ? MAP_PRIVATE : MAP_SHARED) | MAP_ANONYMOUS;
  char *p = mmap(0, len, PROT_READ | PROT_WRITE, flags, -1, 0);
  if(p == MAP_FAILED)
    return errno;
  maps[nmaps].p = p;
  maps[nmaps++].len = len;
  return 0;
}

static void
t_fill(void)
{
  heap_lo = sbrk(0);
  uint64 reserved = 0;
  for(uint64 step = 1024; step >= 1; step /= 4){
    int full[3] = {0, 0, 0};
    while(!full[0] || !full[1] || !full[2]){
      for(int k = 0; k < 3; k++){
        if(full[k])
          continue;
        int e = reserve(k, step);
        if(e == 0)
          reserved += step;
        else if(e == ENOMEM)
          full[k] = 1;
        else
          FAIL("reserve kind %d: errno %d, want ENOMEM", k, e);
      }
    }
  }
  char *heap_hi = sbrk(0);
  for(char *q = heap_lo; q < heap_hi; q += PG)
    *q = 1;
  for(int i = 0; i < nmaps; i++)
    for(uint64 off = 0; off < maps[i].len; off += PG)
      maps[i].p[off] = 1;
  struct vmstat st;
  vmstat(&st);
  printf("commitfill: reserved %d pages (limit %d, RAM %d), touched all\n", (int)reserved,
         (int)st.commit_limit, (int)st.total_pages);
  CHECK(st.committed_pages <= st.commit_limit && reserved >= st.commit_limit / 2,
        "committed %d of limit %d", (int)st.committed_pages, (int)st.commit_limit);
}

static struct subtest tests[] = {
  {"fill", t_fill},
};

int
main(int argc, char *argv[])
{
  exit(check_main(argc, argv, tests, NELEM(tests)));
}

// mapstress N: keep mmap writeback busy for the crash-consistency test (tests/system/
// test_crash.py), which kills the emulator at a random moment and then checks the disk.
//
// Four files in a fresh directory m, each written back a different way in every round r:
//   m/a  stores through a MAP_SHARED mapping of 16 pages, then msync(MS_SYNC)   "msync a R"
//   m/b  the same, then munmap (which writes the dirty pages back)              "munmap b R"
//   m/c  ftruncate to a round-dependent size (shrinking or growing), then the
//        stores through a fresh mapping and msync(MS_SYNC)                       "trunc c R S"
//   m/d  the same stores as m/a through a fresh mapping, then fsync(fd)         "fsync d R"
// and a write() of a small file m/w between them, so the log commits around the writeback.
// Each line is printed once the call returned: from then on those bytes must be on disk.
//
// Every 1 KiB block of round r holds (r, block number) in its first 8 bytes and the byte
// (r * 13 + block) & 0xff after them; the test recomputes it.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "user/user.h"

#define PG      4096
#define BLK     1024
#define NPAGES  16

static char zero[PG];

static void
fail(char *what)
{
  printf("mapstress: FAIL %s: errno %d\n", what, errno);
  exit(1);
}

static void
fill(char *p, int r, int npages)
{
  for(int b = 0; b < npages * (PG / BLK); b++){
    char *q = p + b * BLK;
    memset(q, (r * 13 + b) & 0xff, BLK);
    ((uint *)q)[0] = r;
    ((uint *)q)[1] = b;
  }
}

static int
openf(char *name, int npages)
{
  int fd = open(name, O_CREATE | O_RDWR);
  if(fd < 0)
    fail(name);
  if(ftruncate(fd, (long)npages * PG) < 0)
    fail("ftruncate");
  return fd;
}

static char *
map(int fd, int npages)
{
  char *p = mmap(0, (uint64)npages * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if(p == MAP_FAILED)
    fail("mmap");
  return p;
}

// The size of m/c in round r: 1 to 16 pages, and a part of a block past that half the time.
static long
csize(int r)
{
  return (long)(1 + (r * 7) % NPAGES) * PG - (r % 2 ? 0 : 700);
}

static void
round_c(int r)
{
  int fd = open("m/c", O_RDWR);
  if(fd < 0)
    fail("m/c");
  long size = csize(r);
  if(ftruncate(fd, size) < 0)
    fail("ftruncate m/c");
  int npages = (size + PG - 1) / PG;
  char *p = map(fd, npages);
  close(fd);
  fill(p, r, npages);
  if(msync(p, (uint64)npages * PG, MS_SYNC) < 0)
    fail("msync m/c");
  if(munmap(p, (uint64)npages * PG) < 0)
    fail("munmap m/c");
  printf("trunc c %d %d\n", r, (int)size);
}

static void
small_write(int r)
{
  int fd = open("m/w", O_CREATE | O_WRONLY | O_TRUNC);
  if(fd < 0)
    fail("m/w");
  write(fd, zero, 100 + r % 2000);
  close(fd);
}

int
main(int argc, char *argv[])
{
  int n = argc > 1 ? atoi(argv[1]) : 20;
  if(mkdir("m") < 0 && errno != EEXIST)
    fail("mkdir m");
  int fa = openf("m/a", NPAGES), fb = openf("m/b", NPAGES), fd = openf("m/d", NPAGES);
  close(openf("m/c", NPAGES));
  char *a = map(fa, NPAGES);
  printf("mapstress: start\n");
  for(int r = 1; r <= n; r++){
    fill(a, r, NPAGES);
    if(msync(a, NPAGES * PG, MS_SYNC) < 0)
      fail("msync m/a");
    printf("msync a %d\n", r);
    small_write(r);

    char *b = map(fb, NPAGES);
    fill(b, r, NPAGES);
    if(munmap(b, NPAGES * PG) < 0)
      fail("munmap m/b");
    printf("munmap b %d\n", r);

    round_c(r);

    char *d = map(fd, NPAGES);
    fill(d, r, NPAGES);
    if(fsync(fd) < 0)
      fail("fsync m/d");
    printf("fsync d %d\n", r);
    if(munmap(d, NPAGES * PG) < 0)
      fail("munmap m/d");
  }
  printf("mapstress: done\n");
  exit(0);
}

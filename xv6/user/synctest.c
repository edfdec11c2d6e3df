// synctest msync|fsync: a child stores to a file through its own MAP_SHARED mapping and stays
// alive (its mapping still holds the stores); then the parent makes the file durable with
// msync(MS_SYNC) over its own mapping of the file, or with fsync, and prints
// "synctest: synced".  tests/system/test_msync_crash.py kills the emulator then and reads the
// disk image: the child's bytes must be there, as Linux's msync and fsync write the file's
// dirty pages whoever stored to them.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/mman.h"
#include "user/user.h"

#define PG 4096
#define NAME "synctest.f"

static void
fail(char *what)
{
  printf("synctest: FAIL %s: errno %d\n", what, errno);
  exit(1);
}

static char *
map_file(int fd)
{
  char *p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if(p == MAP_FAILED)
    fail("mmap");
  return p;
}

// The child: store 'C' over page 0 and 'D' over page 1, tell the parent, never exit (an exit
// would unmap and so write the pages back itself).
static void
child(int done)
{
  int fd = open(NAME, O_RDWR);
  if(fd < 0)
    fail("child open");
  char *p = map_file(fd);
  memset(p, 'C', PG);
  memset(p + PG, 'D', PG);
  write(done, "x", 1);
  for(;;)
    sleep(100);
}

int
main(int argc, char *argv[])
{
  if(argc != 2 || (strcmp(argv[1], "msync") != 0 && strcmp(argv[1], "fsync") != 0)){
    fprintf(2, "usage: synctest msync|fsync\n");
    exit(1);
  }
  unlink(NAME);
  int fd = open(NAME, O_CREATE | O_RDWR);
  static char page[PG];
  memset(page, 'x', PG);
  if(fd < 0 || write(fd, page, PG) != PG || write(fd, page, PG) != PG || fsync(fd) != 0)
    fail("create");
  char *mine = map_file(fd);
  int fds[2];
  if(pipe(fds) != 0)
    fail("pipe");
  int pid = fork();
  if(pid < 0)
    fail("fork");
  if(pid == 0)
    child(fds[1]);
  char c;
  if(read(fds[0], &c, 1) != 1)
    fail("read pipe");
  if(strcmp(argv[1], "msync") == 0 ? msync(mine, 2 * PG, MS_SYNC) != 0 : fsync(fd) != 0)
    fail(argv[1]);
  printf("synctest: synced\n");
  for(;;)
    sleep(100);
}

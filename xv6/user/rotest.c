// rotest: what a read-only file system answers (run it on a disk attached read-only:
// rvemu --readonly, which offers VIRTIO_BLK_F_RO).  Every call that would change the file
// system fails with EROFS, as on Linux; reading, devices and private mappings work.
//
// Prints "rotest: ALL OK" (exit 0), or one "rotest: FAIL line N: ..." line per failed check
// and "rotest: FAILED (n)" (exit 1).  Needs README and console in the root directory.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/stat.h"
#include "kernel/mman.h"
#include "user/user.h"

#define TEST_NAME "rotest"
#include "user/check.h"

// The call returned -1 with errno e.
#define FAILS(call, e)                                                            \
  do {                                                                            \
    errno = 0;                                                                    \
    long r_ = (long)(call);                                                       \
    CHECK(r_ == -1 && errno == (e), "%s: got %d, errno %d, want errno %d", #call, \
          (int)r_, errno, (e));                                                   \
  } while(0)

static void
t_open(void)
{
  int fd = open("README", O_RDONLY);
  char c;
  CHECK(fd >= 0 && read(fd, &c, 1) == 1, "reading README");
  close(fd);
  FAILS(open("README", O_RDWR), EROFS);
  FAILS(open("README", O_WRONLY), EROFS);
  FAILS(open("README", O_RDONLY | O_TRUNC), EROFS);
  FAILS(open("ro.new", O_CREATE | O_RDWR), EROFS);
  FAILS(open("ro.new", O_CREATE | O_RDONLY), EROFS);
  FAILS(open("ro.none/f", O_CREATE | O_RDWR), ENOENT);   // lookup errors come first
  FAILS(open(".", O_RDWR), EISDIR);
  fd = open("README", O_CREATE | O_RDONLY);             // an existing name is just opened
  CHECK(fd >= 0, "open(README, O_CREATE|O_RDONLY): errno %d", errno);
  close(fd);
}

static void
t_names(void)
{
  FAILS(mkdir("ro.d"), EROFS);
  FAILS(mkdir("README"), EEXIST);
  FAILS(mknod("ro.n", 1, 0), EROFS);
  FAILS(unlink("README"), EROFS);
  FAILS(unlink("ro.none"), EROFS);
  FAILS(link("README", "ro.l"), EROFS);
  FAILS(link("ro.none", "ro.l"), ENOENT);
  struct stat st;
  CHECK(stat("README", &st) == 0 && st.nlink == 1, "README still has one link");
}

static void
t_fd(void)
{
  int fd = open("README", O_RDONLY);
  FAILS(ftruncate(fd, 0), EINVAL);                      // not open for writing
  FAILS(write(fd, "x", 1), EBADF);
  FAILS(mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
  char *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  CHECK(p != MAP_FAILED, "private writable mapping: errno %d", errno);
  if(p != MAP_FAILED){
    char was = p[0];
    p[0] = was + 1;                                     // a private copy
    char c = 0;
    int again = open("README", O_RDONLY);
    CHECK(read(again, &c, 1) == 1 && c == was, "the file keeps its byte");
    close(again);
    munmap(p, 4096);
  }
  close(fd);
  int con = open("console", O_RDWR);                    // devices stay writable
  CHECK(con >= 0 && write(con, "", 0) == 0, "console: errno %d", errno);
  close(con);
}

int
main(void)
{
  t_open();
  t_names();
  t_fd();
  if(failures){
    printf("rotest: FAILED (%d)\n", failures);
    exit(1);
  }
  printf("rotest: ALL OK\n");
  exit(0);
}

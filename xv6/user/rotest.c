// rotest: what a read-only file system answers (run it on a disk attached read-only:
// rvemu --readonly, which offers VIRTIO_BLK_F_RO).  Every call that would change the file
// system fails with EROFS, as on Linux; reading, devices and private mappings work.
//
// The harness of user/check.h (`rotest [NAME ...]`, `rotest -l`).  Needs README and console in
// the root directory.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/stat.h"
#include "kernel/mman.h"
#include "user/user.h"

#define TEST_NAME "rotest"
#include "user/check.h"

static void
t_open(void)
{
  int fd = open("README", O_RDONLY);
  char c;
  CHECK(fd >= 0 && read(fd, &c, 1) == 1, "reading README");
  close(fd);
  ERR(open("README", O_RDWR), EROFS);
  ERR(open("README", O_WRONLY), EROFS);
  ERR(open("README", O_RDONLY | O_TRUNC), EROFS);
  ERR(open("ro.new", O_CREATE | O_RDWR), EROFS);
  ERR(open("ro.new", O_CREATE | O_RDONLY), EROFS);
  ERR(open("ro.none/f", O_CREATE | O_RDWR), ENOENT);   // lookup errors come first
  ERR(open(".", O_RDWR), EISDIR);
  fd = open("README", O_CREATE | O_RDONLY);             // an existing name is just opened
  CHECK(fd >= 0, "open(README, O_CREATE|O_RDONLY): errno %d", errno);
  close(fd);
}

static void
t_names(void)
{
  ERR(mkdir("ro.d"), EROFS);
  ERR(mkdir("README"), EEXIST);
  ERR(mknod("ro.n", 1, 0), EROFS);
  ERR(unlink("README"), EROFS);
  ERR(unlink("ro.none"), EROFS);
  ERR(link("README", "ro.l"), EROFS);
  ERR(link("ro.none", "ro.l"), ENOENT);
  struct stat st;
  CHECK(stat("README", &st) == 0 && st.nlink == 1, "README still has one link");
}

static void
t_fd(void)
{
  int fd = open("README", O_RDONLY);
  ERR(ftruncate(fd, 0), EINVAL);                        // not open for writing
  ERR(write(fd, "x", 1), EBADF);
  ERR(mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
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

static struct subtest tests[] = {
  {"open", t_open},
  {"names", t_names},
  {"fd", t_fd},
};

int
main(int argc, char *argv[])
{
  exit(check_main(argc, argv, tests, NELEM(tests)));
}

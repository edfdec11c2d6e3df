// fsstress: keep the file system busy for crash-consistency tests.
//
//   fsstress N        write files d/f0 .. d/f<N-1>, each 1..8 KiB of a pattern derived from
//                     its number, in a fresh directory d; then rewrite, append to and remove
//                     a scratch file between them so the log sees mixed transactions.
//
// After each file is written and closed it prints "synced fI": write() returns only after
// its transaction has committed, so a file announced here must survive a crash intact.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static char buf[8192];

static int pattern_len(int i) { return 1024 + (i * 1361) % 7168; }

static void fill(int i, int n)
{
  for (int k = 0; k < n; k++)
    buf[k] = 'a' + (i * 7 + k) % 26;
}

static void write_file(const char *path, int i)
{
  int n = pattern_len(i);
  int fd = open(path, O_CREATE | O_WRONLY | O_TRUNC);
  if (fd < 0) {
    perror(path);
    exit(1);
  }
  fill(i, n);
  if (write(fd, buf, n) != n) {
    perror("write");
    exit(1);
  }
  close(fd);
}

static void churn(int i)
{
  // a scratch file that is created, appended to and removed, so transactions differ in size
  int fd = open("d/scratch", O_CREATE | O_RDWR);
  if (fd < 0)
    return;
  fill(i + 1000, 3000);
  for (int k = 0; k <= i % 3; k++)
    write(fd, buf, 3000);
  close(fd);
  if (i % 2)
    unlink("d/scratch");
}

int main(int argc, char *argv[])
{
  int n = argc > 1 ? atoi(argv[1]) : 50;
  char path[16];
  if (mkdir("d") < 0 && errno != EEXIST) {
    perror("mkdir d");
    exit(1);
  }
  printf("fsstress: start\n");
  for (int i = 0; i < n; i++) {
    strcpy(path, "d/f");
    int len = strlen(path);
    if (i >= 100)
      path[len++] = '0' + i / 100 % 10;
    if (i >= 10)
      path[len++] = '0' + i / 10 % 10;
    path[len++] = '0' + i % 10;
    path[len] = 0;
    write_file(path, i);
    printf("synced f%d\n", i);
    churn(i);
  }
  printf("fsstress: done\n");
  exit(0);
}

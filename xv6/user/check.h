// What the guest test programs (mmaptest, mmap2test, mapfiletest) share.  A program defines
// TEST_NAME (its name, for the messages) before including this.
//
//   CHECK(cond, fmt, ...)  if cond is false: print "NAME: FAIL line N: <message>", count it
//   failures               how many checks failed
//   in_child(fn, arg)      run fn(arg) in a child; its exit status, -1 if the kernel killed it
//   make_pattern_file(name, n, kmul)
//                          a file of n pages whose byte i of page k is k * kmul + i (mod 256)
#ifndef XV6_USER_CHECK_H
#define XV6_USER_CHECK_H

static int failures;

#define CHECK(cond, ...)                                          \
  do {                                                            \
    if(!(cond)){                                                  \
      printf(TEST_NAME ": FAIL line %d: ", __LINE__);             \
      printf(__VA_ARGS__);                                        \
      printf("\n");                                               \
      failures++;                                                 \
    }                                                             \
  } while(0)

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

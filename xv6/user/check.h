// What the guest test programs (mmaptest, mmap2test, mapfiletest) share.  A program defines
// TEST_NAME (its name, for the messages) before including this.
//
//   CHECK(cond, fmt, ...)  if cond is false: print "NAME: FAIL line N: <message>", count it
//   failures               how many checks failed
//   in_child(fn, arg)      run fn(arg) in a child; its exit status, -1 if the kernel killed it
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

#endif

// mmapargs: the argument checks of every memory call against Linux, one table.  Each row is a
// call, its arguments and the answer mmap(2), munmap(2), mprotect(2), msync(2), madvise(2),
// mincore(2), mlock(2) and shared/docs/mmap-spec.md give (0 or an errno); a row that answers
// otherwise fails with "FAIL table: row N (call): errno E, want W (mmapargs.c:LINE)", LINE
// the row's.  The table is the one subtest of the harness of user/check.h.
//
// The addresses the rows use are made before the table runs: R, the first automatic mapping of
// the process (4 pages, read-write), U, a hole (mapped then unmapped), F and W, shared mappings
// of a file opened read-only and read-write, L, a locked page, B, a large MAP_NORESERVE
// mapping, N, a PROT_NONE page.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "kernel/param.h"
#include "user/user.h"

#define TEST_NAME "mmapargs"
#include "user/check.h"

#define PG 4096UL
#define ALL (~0UL)
#define USER_TOP (1UL << 38)        // Sv39 user space ends here (kernel MAXVA)

enum call { MMAP, MUNMAP, MPROTECT, MSYNC, MADVISE, MINCORE, MLOCK, MUNLOCK };
static char *names[] = { "mmap", "munmap", "mprotect", "msync", "madvise", "mincore", "mlock",
                         "munlock" };

struct row {
  int line;
  enum call call;
  uint64 a[6];
  int want;                         // 0: success, else the errno
};

static char *R, *U, *F, *W, *L, *B, *N;
static int fds[3];                  // read-only, read-write, write-only (resolve())
static unsigned char vec[64];

// The call of row r: 0 on success, else errno.  A mapping a row makes is unmapped again.
static int
run(struct row *r)
{
  uint64 *a = r->a;
  long ret = 0;
  errno = 0;
  switch(r->call){
  case MMAP: {
    char *p = mmap((void *)a[0], a[1], a[2], a[3], a[4], a[5]);
    if(p != MAP_FAILED){
      munmap(p, a[1]);
      return 0;
    }
    return errno;
  }
  case MUNMAP:   ret = munmap((void *)a[0], a[1]); break;
  case MPROTECT: ret = mprotect((void *)a[0], a[1], a[2]); break;
  case MSYNC:    ret = msync((void *)a[0], a[1], a[2]); break;
  case MADVISE:  ret = madvise((void *)a[0], a[1], a[2]); break;
  case MINCORE:  ret = mincore((void *)a[0], a[1], (unsigned char *)a[2]); break;
  case MLOCK:    ret = mlock((void *)a[0], a[1]); break;
  case MUNLOCK:  ret = munlock((void *)a[0], a[1]); break;
  }
  return ret == 0 ? 0 : errno;
}

#define ROW(call, want, ...) { __LINE__, call, { __VA_ARGS__ }, want }
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define RW (PROT_READ | PROT_WRITE)

// The table is static (a process has one page of stack), so the addresses made at run time are
// named in it by a tag in bits 60-63 (1..8: r, u, f, w, l, b, v, n) plus an offset; resolve()
// turns them into addresses.  Other values (tag 0, or all ones above: -1, ~0UL) stand as they are.
#define TAG(n) ((uint64)(n) << 60)
#define r TAG(1)
#define u TAG(2)
#define f TAG(3)
#define w TAG(4)
#define l TAG(5)
#define b TAG(6)
#define v TAG(7)
#define n TAG(8)

// The files' descriptors, likewise: three negative numbers no real fd has.
#define rofd ((uint64)-100)
#define rwfd ((uint64)-101)
#define wofd ((uint64)-102)

static uint64
resolve(uint64 a)
{
  if(a == rofd || a == rwfd || a == wofd)
    return fds[-(int64)a - 100];
  uint64 tag = a >> 60;
  char *base[] = { 0, R, U, F, W, L, B, (char *)vec, N };
  if(tag == 0 || tag > 8)
    return a;
  return (uint64)base[tag] + (a & (TAG(1) - 1));
}

static void
t_table(void)
{
  static struct row rows[] = {
    // ---- mmap -------------------------------------------------------------------------------
    // the first automatic mapping lies below a gap (Linux's mmap_base): a fixed mapping that
    // overlaps it and runs on above it is refused for the overlap, not for lack of room
    ROW(MMAP, EEXIST, r, 5 * PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
    ROW(MMAP, EEXIST, r + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
    ROW(MMAP, 0, r + 4 * PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
    ROW(MMAP, EINVAL, 0, 0, RW, ANON, -1, 0),                         // len 0
    ROW(MMAP, EINVAL, 0, PG, RW, MAP_ANONYMOUS, -1, 0),               // no type
    ROW(MMAP, EINVAL, 0, PG, RW, 0x0f | MAP_ANONYMOUS, -1, 0),        // unknown type
    ROW(MMAP, EOPNOTSUPP, 0, PG, PROT_READ, MAP_SHARED_VALIDATE | 0x40, rofd, 0),
    ROW(MMAP, 0, 0, PG, PROT_READ, MAP_SHARED | 0x40, rofd, 0),       // ignored without VALIDATE
    ROW(MMAP, EOPNOTSUPP, 0, PG, PROT_READ, MAP_SHARED_VALIDATE | MAP_SYNC, rofd, 0),
    ROW(MMAP, 0, 0, PG, PROT_READ, MAP_SHARED | MAP_SYNC, rofd, 0),
    ROW(MMAP, EINVAL, 0, PG, PROT_READ, MAP_SHARED, rofd, 100),       // unaligned offset
    ROW(MMAP, EINVAL, r + 1, PG, RW, ANON | MAP_FIXED, -1, 0),        // unaligned fixed addr
    ROW(MMAP, EINVAL, r + 1, PG, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0),
    ROW(MMAP, ENOMEM, 0, ALL, RW, ANON | MAP_NORESERVE, -1, 0),       // rounds past the end
    ROW(MMAP, ENOMEM, 0, USER_TOP, RW, ANON | MAP_NORESERVE, -1, 0),  // more than user space
    ROW(MMAP, ENOMEM, USER_TOP, PG, RW, ANON | MAP_FIXED, -1, 0),     // outside user space
    ROW(MMAP, EOVERFLOW, 0, 2 * PG, PROT_READ, MAP_SHARED, rofd, (uint64)-PG),
    ROW(MMAP, EBADF, 0, PG, PROT_READ, MAP_SHARED, 99, 0),
    ROW(MMAP, EBADF, 0, PG, PROT_READ, MAP_SHARED, -1, 0),
    ROW(MMAP, EACCES, 0, PG, PROT_READ, MAP_SHARED, wofd, 0),         // not open for reading
    ROW(MMAP, EACCES, 0, PG, RW, MAP_SHARED, rofd, 0),                // shared write, read-only
    ROW(MMAP, 0, 0, PG, RW, MAP_PRIVATE, rofd, 0),                    // private write: fine
    ROW(MMAP, ENODEV, 0, PG, PROT_READ, MAP_SHARED, 0, 0),            // the console
    ROW(MMAP, EINVAL, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0),
    ROW(MMAP, EINVAL, 0, PG, PROT_READ, MAP_PRIVATE | MAP_GROWSDOWN, rofd, 0),
    ROW(MMAP, EINVAL, 0, 2 << 20, PROT_READ, MAP_PRIVATE | MAP_HUGETLB, rofd, 0),
    ROW(MMAP, EINVAL, 0, 2 << 20, RW, ANON | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0),
    ROW(MMAP, EINVAL, r + PG, 2 << 20, RW, ANON | MAP_HUGETLB | MAP_FIXED, -1, 0),
    ROW(MMAP, EAGAIN, 0, (MLOCKPAGES + 1) * PG, RW, ANON | MAP_LOCKED | MAP_NORESERVE, -1, 0),
    ROW(MMAP, ETXTBSY, 0, PG, PROT_READ, MAP_PRIVATE | MAP_DENYWRITE, rwfd, 0),
    // ---- munmap -----------------------------------------------------------------------------
    ROW(MUNMAP, EINVAL, 0, ALL),                                      // rounds to 0 / too long
    ROW(MUNMAP, EINVAL, r, 0),
    ROW(MUNMAP, EINVAL, r + 1, PG),
    ROW(MUNMAP, EINVAL, USER_TOP - PG, 2 * PG),                       // leaves user space
    ROW(MUNMAP, EINVAL, USER_TOP, PG),
    ROW(MUNMAP, 0, u, PG),                                            // a hole: fine
    // ---- mprotect ---------------------------------------------------------------------------
    ROW(MPROTECT, EINVAL, r + 1, PG, PROT_READ),
    ROW(MPROTECT, EINVAL, r, PG, 0x10),                               // unknown prot bit
    ROW(MPROTECT, EINVAL, r, PG, PROT_READ | PROT_GROWSUP),
    ROW(MPROTECT, EINVAL, r, PG, PROT_READ | PROT_GROWSDOWN),         // not a grows-down region
    ROW(MPROTECT, 0, r, 0, PROT_READ),                                // len 0
    ROW(MPROTECT, 0, u, 0, PROT_READ),
    ROW(MPROTECT, ENOMEM, u, PG, PROT_READ),                          // unmapped
    ROW(MPROTECT, ENOMEM, r, 5 * PG, RW),                             // runs past R
    ROW(MPROTECT, ENOMEM, 0, ALL, PROT_READ),
    ROW(MPROTECT, ENOMEM, USER_TOP, PG, PROT_READ),
    ROW(MPROTECT, EACCES, f, PG, RW),                                 // shared, read-only file
    ROW(MPROTECT, 0, w, PG, RW),
    ROW(MPROTECT, 0, r, 4 * PG, RW),
    // ---- msync ------------------------------------------------------------------------------
    ROW(MSYNC, EINVAL, r + 1, PG, MS_SYNC),
    ROW(MSYNC, EINVAL, r, PG, MS_SYNC | MS_ASYNC),
    ROW(MSYNC, EINVAL, r, PG, 8),                                     // unknown flag
    ROW(MSYNC, ENOMEM, u, PG, MS_SYNC),                               // unmapped
    ROW(MSYNC, ENOMEM, u, PG, MS_ASYNC),
    ROW(MSYNC, ENOMEM, r, 5 * PG, MS_SYNC),                           // runs past R
    ROW(MSYNC, ENOMEM, 0, ALL, MS_SYNC),
    ROW(MSYNC, ENOMEM, USER_TOP, PG, MS_SYNC),
    ROW(MSYNC, 0, r, 0, MS_SYNC),
    ROW(MSYNC, 0, r, PG, 0),
    ROW(MSYNC, 0, w, PG, MS_SYNC | MS_INVALIDATE),
    ROW(MSYNC, 0, r, 4 * PG, MS_ASYNC),
    ROW(MSYNC, EBUSY, l, PG, MS_INVALIDATE),                          // locked
    ROW(MSYNC, 0, l, PG, MS_SYNC),
    // ---- madvise ----------------------------------------------------------------------------
    ROW(MADVISE, EINVAL, r + 1, PG, MADV_NORMAL),
    ROW(MADVISE, EINVAL, r, PG, 99),                                  // unknown advice
    ROW(MADVISE, EINVAL, r, PG, -1),
    ROW(MADVISE, EINVAL, 0, ALL, MADV_NORMAL),                        // "negative" length
    ROW(MADVISE, ENOMEM, u, PG, MADV_WILLNEED),
    ROW(MADVISE, ENOMEM, USER_TOP, PG, MADV_NORMAL),
    ROW(MADVISE, EINVAL, l, PG, MADV_DONTNEED),                       // locked
    ROW(MADVISE, 0, r, 0, MADV_DONTNEED),
    ROW(MADVISE, 0, r, 4 * PG, MADV_DONTNEED),
    // ---- mincore ----------------------------------------------------------------------------
    ROW(MINCORE, EINVAL, r + 1, PG, v),
    ROW(MINCORE, ENOMEM, u, PG, v),
    ROW(MINCORE, ENOMEM, 0, ALL, v),
    ROW(MINCORE, ENOMEM, USER_TOP, PG, v),
    ROW(MINCORE, EFAULT, r, PG, USER_TOP),                            // vec outside user space
    ROW(MINCORE, EFAULT, r, PG, f),                                   // vec read-only
    ROW(MINCORE, EFAULT, u, PG, USER_TOP),                            // vec checked first
    ROW(MINCORE, 0, r, 0, v),
    ROW(MINCORE, 0, r, 4 * PG, v),
    // ---- mlock, munlock ---------------------------------------------------------------------
    ROW(MLOCK, ENOMEM, 0, ALL),
    ROW(MUNLOCK, ENOMEM, 0, ALL),
    ROW(MLOCK, EINVAL, 2 * PG, ALL - PG),                             // addr + len overflows
    ROW(MLOCK, ENOMEM, u, PG),
    ROW(MUNLOCK, ENOMEM, u, PG),
    ROW(MLOCK, ENOMEM, USER_TOP, PG),
    ROW(MLOCK, ENOMEM, b, (MLOCKPAGES + 1) * PG),                     // past the lock limit
    ROW(MLOCK, 0, r + 1, PG),                                         // addr rounds down
    ROW(MUNLOCK, 0, r + 1, PG),
    ROW(MLOCK, 0, r, 0),
    ROW(MLOCK, 0, n, PG),                                             // PROT_NONE: locked, empty
    ROW(MUNLOCK, 0, n, PG),
    ROW(MADVISE, 0, n, PG, MADV_WILLNEED),
    ROW(MPROTECT, 0, n, PG, PROT_NONE),
  };
  for(int i = 0; i < NELEM(rows); i++){
    struct row row = rows[i];
    for(int j = 0; j < 6; j++)
      row.a[j] = resolve(row.a[j]);
    int got = run(&row);
    if(got != row.want){
      char msg[80];
      snprintf(msg, sizeof(msg), "row %d (%s): errno %d, want %d", i, names[row.call], got,
               row.want);
      check_fail(__FILE_NAME__, row.line, msg);
    }
  }
}

static struct subtest tests[] = {
  {"table", t_table},
};

#undef r
#undef u
#undef f
#undef w
#undef l
#undef b
#undef v
#undef n
#undef rofd
#undef rwfd
#undef wofd
#define rofd fds[0]
#define rwfd fds[1]
#define wofd fds[2]

static char *
map(uint64 len, int prot, int flags, int fd)
{
  char *p = mmap(0, len, prot, flags, fd, 0);
  if(p == MAP_FAILED){
    printf("mmapargs: setup mmap failed: errno %d\n", errno);
    exit(1);
  }
  return p;
}

int
main(int argc, char *argv[])
{
  R = map(4 * PG, RW, ANON, -1);    // the first automatic mapping: keep it first
  unlink("mmapargs.f");
  rwfd = open("mmapargs.f", O_CREATE | O_RDWR);
  static char page[PG];
  memset(page, 'a', PG);
  write(rwfd, page, PG);
  write(rwfd, page, PG);
  rofd = open("mmapargs.f", O_RDONLY);
  wofd = open("mmapargs.f", O_WRONLY);
  if(rwfd < 0 || rofd < 0 || wofd < 0){
    printf("mmapargs: setup open failed\n");
    exit(1);
  }
  F = map(PG, PROT_READ, MAP_SHARED, rofd);
  W = map(PG, RW, MAP_SHARED, rwfd);
  L = map(PG, RW, ANON | MAP_LOCKED, -1);
  B = map((MLOCKPAGES + 1) * PG, RW, ANON | MAP_NORESERVE, -1);
  N = map(PG, PROT_NONE, ANON, -1);
  U = map(PG, RW, ANON, -1);        // last: a hole no other setup mapping fills
  munmap(U, PG);
  int status = check_main(argc, argv, tests, NELEM(tests));
  close(rofd);
  close(rwfd);
  close(wofd);
  unlink("mmapargs.f");
  exit(status);
}

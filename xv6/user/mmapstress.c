// mmapstress: several processes map, store to, truncate and unmap the same files at once, in
// memory kept short on purpose (the kernel must reclaim mapped file pages as it goes).  The
// parent paces the rounds through pipes, so the files' final contents follow from the rules
// below, which tests/system/test_mmap_stress.py recomputes and compares with the disk image.
//
// Files st0..st(NF-1), NP pages each, start as byte o of file f = (f * 7 + o) mod 256.  In each
// round r: first, if r % 3 == 2, the parent cuts file (r / 3) % NF to half its size and grows
// it back (the second half reads as zeros; mappings lose those pages); then every worker w
// stores v(w, r, f, o) = (w * 31 + r * 17 + f * 5 + o) mod 256 at every offset o with
// o % NW == w of every file, through a MAP_SHARED mapping kept from round to round, and also
// scribbles over two pages of a MAP_PRIVATE mapping (which must never reach the file).  Workers msync in
// even rounds and rely on munmap/exit in the others.  The run is the one subtest ("stress") of
// the harness of user/check.h.

#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define TEST_NAME "mmapstress"
#include "user/check.h"

#define PG     4096
#define NW     4            // workers
#define NF     3            // files
#define NP     64           // pages per file
#define ROUNDS 6
#define SPARE  160          // free pages left while the workers run (the files need 192)

static void
fname(char *buf, int f)
{
  strcpy(buf, "st0");
  buf[2] = '0' + f;
}

static void
make_files(void)
{
  static char buf[PG];
  char name[4];
  for(int f = 0; f < NF; f++){
    fname(name, f);
    unlink(name);
    int fd = open(name, O_CREATE | O_RDWR);
    for(int k = 0; k < NP; k++){
      for(int i = 0; i < PG; i++)
        buf[i] = f * 7 + k * PG + i;
      CHECK(write(fd, buf, PG) == PG, "write %s: errno %d", name, errno);
    }
    close(fd);
  }
}

static void
worker(int w, int go, int done)
{
  char *m[NF], *priv;
  char name[4];
  for(int f = 0; f < NF; f++){
    fname(name, f);
    int fd = open(name, O_RDWR);
    m[f] = mmap(0, NP * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if(f == 0)
      priv = mmap(0, NP * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if(m[f] == MAP_FAILED)
      exit(2);
  }
  if(priv == MAP_FAILED)
    exit(2);
  for(int r = 0; r < ROUNDS; r++){
    char c;
    if(read(go, &c, 1) != 1)
      exit(3);
    for(int f = 0; f < NF; f++){
      for(int o = w; o < NP * PG; o += NW)
        m[f][o] = w * 31 + r * 17 + f * 5 + o;
      if(r % 2 == 0 && msync(m[f], NP * PG, MS_SYNC) != 0)
        exit(4);
    }
    for(int o = w; o < 2 * PG; o += NW)      // two pages: private copies are anonymous memory
      priv[o] = 0x5a;
    write(done, "d", 1);
  }
  exit(0);                   // exit writes the last stores back
}

static void
t_stress(void)
{
  make_files();
  // the workers first (a fork after the hog would copy its page tables into each)
  int go[NW][2], done[2];
  pipe(done);
  for(int w = 0; w < NW; w++){
    pipe(go[w]);
    if(fork() == 0){
      worker(w, go[w][0], done[1]);
    }
    close(go[w][0]);
  }
  close(done[1]);
  // then keep memory short: hold all but SPARE free pages
  struct vmstat st;
  vmstat(&st);
  uint64 hogpages = st.free_pages > SPARE ? st.free_pages - SPARE : 0;
  char *hog = mmap(0, hogpages * PG, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  REQUIRE(hog != MAP_FAILED, "hog: errno %d", errno);
  for(uint64 i = 0; i < hogpages; i++)
    hog[i * PG] = 1;
  char name[4];
  for(int r = 0; r < ROUNDS; r++){
    if(r % 3 == 2){
      fname(name, (r / 3) % NF);
      int fd = open(name, O_RDWR);
      CHECK(ftruncate(fd, NP * PG / 2) == 0 && ftruncate(fd, NP * PG) == 0,
            "ftruncate %s: errno %d", name, errno);
      close(fd);
    }
    for(int w = 0; w < NW; w++)
      write(go[w][1], "g", 1);
    for(int w = 0; w < NW; w++){
      char c;
      CHECK(read(done[0], &c, 1) == 1, "worker gone: errno %d", errno);
    }
  }
  for(int w = 0; w < NW; w++){
    int status = -5;
    wait(&status);
    CHECK(status == 0, "worker exit status %d", status);
  }
  munmap(hog, hogpages * PG);
  struct vmstat end;
  vmstat(&end);
  printf("mmapstress: %d PTEs reclaimed, %d pages written back, %d shootdowns\n",
         (int)(end.reclaim_unmapped - st.reclaim_unmapped),
         (int)(end.writeback_pages - st.writeback_pages),
         (int)(end.tlb_shootdowns - st.tlb_shootdowns));
}

static struct subtest tests[] = {
  {"stress", t_stress},
};

int
main(int argc, char *argv[])
{
  exit(check_main(argc, argv, tests, NELEM(tests)));
}

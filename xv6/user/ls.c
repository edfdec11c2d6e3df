// ls: list files.  For each argument (default "."): a directory lists its entries, anything
// else lists itself.  Each line: name, type (1 dir, 2 file, 3 device), inode number, size.
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/param.h"
#include "kernel/fs.h"
#include "kernel/fcntl.h"
#include "user/user.h"

static void
show(const char *name, struct stat *st)
{
  printf("%-14s %d %u %lu\n", name, st->type, st->ino, st->size);
}

static int
list(const char *path)
{
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    fprintf(2, "ls: %s: %s\n", path, strerror(errno));
    return -1;
  }
  struct stat st;
  if (fstat(fd, &st) < 0) {
    fprintf(2, "ls: stat %s: %s\n", path, strerror(errno));
    close(fd);
    return -1;
  }
  if (st.type != T_DIR) {
    show(path, &st);
    close(fd);
    return 0;
  }

  // A directory: its content is an array of struct dirent.
  char full[MAXPATH + DIRSIZ + 2];
  int plen = strlen(path);
  if (plen + 1 + DIRSIZ + 1 > sizeof(full)) {
    fprintf(2, "ls: %s: path too long\n", path);
    close(fd);
    return -1;
  }
  strcpy(full, path);
  if (plen == 0 || full[plen - 1] != '/')
    full[plen++] = '/';

  struct dirent de;
  int n;
  while ((n = read(fd, &de, sizeof(de))) == sizeof(de)) {
    if (de.inum == 0)
      continue;
    char name[DIRSIZ + 1];
    memmove(name, de.name, DIRSIZ);   // not terminated when the name fills all DIRSIZ bytes
    name[DIRSIZ] = 0;
    strcpy(full + plen, name);
    struct stat est;
    if (stat(full, &est) < 0) {
      fprintf(2, "ls: cannot stat %s: %s\n", full, strerror(errno));
      continue;
    }
    show(name, &est);
  }
  if (n < 0)
    fprintf(2, "ls: read %s: %s\n", path, strerror(errno));
  close(fd);
  return n < 0 ? -1 : 0;
}

int
main(int argc, char *argv[])
{
  if (argc < 2)
    exit(list(".") < 0);
  int status = 0;
  for (int i = 1; i < argc; i++)
    if (list(argv[i]) < 0)
      status = 1;
  exit(status);
}

// mknod: make a device node, as Unix's `mknod NAME c MAJOR MINOR` (xv6 has one kind of device).
#include "kernel/types.h"
#include "user/user.h"

int
main(int argc, char *argv[])
{
  if (argc != 4) {
    fprintf(2, "usage: mknod name major minor\n");
    exit(1);
  }
  if (mknod(argv[1], atoi(argv[2]), atoi(argv[3])) < 0) {
    fprintf(2, "mknod %s: %s\n", argv[1], strerror(errno));
    exit(1);
  }
  exit(0);
}

// poweroff [code]: stop the machine; the emulator exits with `code` (default 0).
#include "kernel/types.h"
#include "user/user.h"

int
main(int argc, char *argv[])
{
  int code = argc > 1 ? atoi(argv[1]) : 0;
  poweroff(code);
  // Only reached if the kernel refused.
  perror("poweroff");
  exit(1);
}

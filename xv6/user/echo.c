// echo: print the arguments separated by single spaces, then a newline.
#include "kernel/types.h"
#include "user/user.h"

int
main(int argc, char *argv[])
{
  // Build the whole line first so it goes out in one write.
  uint len = 1;
  for (int i = 1; i < argc; i++)
    len += strlen(argv[i]) + 1;
  char *line = malloc(len);
  if (line == 0) {
    fprintf(2, "echo: out of memory\n");
    exit(1);
  }
  line[0] = 0;
  for (int i = 1; i < argc; i++) {
    if (i > 1)
      strcat(line, " ");
    strcat(line, argv[i]);
  }
  strcat(line, "\n");
  if (write(1, line, strlen(line)) != strlen(line)) {
    perror("echo: write");
    exit(1);
  }
  exit(0);
}

// grep PATTERN [FILE...]: print the lines that contain a match for PATTERN.
//
// Pattern language: a literal character matches itself; '.' matches any character; 'x*' matches
// zero or more of the element x; '^' at the start and '$' at the end anchor the match to the
// line's ends; '\c' matches c literally.  Exit status: 0 if some line matched, 1 if none did,
// 2 on an error.
#include "kernel/types.h"
#include "kernel/fcntl.h"
#include "user/user.h"

// Bytes taken by the pattern element at re: an escape is two, everything else one.
static int
elemlen(const char *re)
{
  return (re[0] == '\\' && re[1]) ? 2 : 1;
}

// Does the single element at re accept character c?
static int
accepts(const char *re, char c)
{
  if (re[0] == '\\' && re[1])
    return re[1] == c;
  return re[0] == '.' || re[0] == c;
}

// Does re match a prefix of s?
static int
match_prefix(const char *re, const char *s)
{
  while (*re) {
    int el = elemlen(re);
    if (re[el] == '*') {
      // Take the longest run the element accepts, then back off one character at a time
      // until the rest of the pattern matches what follows.
      const char *rest = re + el + 1;
      const char *end = s;
      while (*end && accepts(re, *end))
        end++;
      for (const char *t = end; ; t--) {
        if (match_prefix(rest, t))
          return 1;
        if (t == s)
          return 0;
      }
    }
    if (re[0] == '$' && re[1] == 0)
      return *s == 0;
    if (*s == 0 || !accepts(re, *s))
      return 0;
    re += el;
    s++;
  }
  return 1;
}

// Does re match anywhere in the line s?
static int
match(const char *re, const char *s)
{
  if (re[0] == '^')
    return match_prefix(re + 1, s);
  for (;; s++) {
    if (match_prefix(re, s))
      return 1;
    if (*s == 0)
      return 0;
  }
}

static char buf[4096];

// Scan one input; returns the number of matching lines, or -1 on a read error.
static int
scan(const char *re, int fd, const char *name)
{
  int have = 0, found = 0, eof = 0;
  while (!eof) {
    // Keep one byte spare so a line can always be terminated in place.
    int n = read(fd, buf + have, sizeof(buf) - 1 - have);
    if (n < 0) {
      fprintf(2, "grep: read %s: %s\n", name, strerror(errno));
      return -1;
    }
    eof = n == 0;
    have += n;

    int start = 0;
    while (start < have) {
      int end = start;
      while (end < have && buf[end] != '\n')
        end++;
      // Without a newline the text is a line only at end of input or if it fills the buffer.
      if (end == have && !eof && !(start == 0 && have == sizeof(buf) - 1))
        break;
      buf[end] = 0;
      int hit = match(re, buf + start);
      buf[end] = '\n';
      if (hit) {
        found++;
        write(1, buf + start, end - start + 1);
      }
      start = end + 1;
    }
    if (start > have)
      start = have;
    have -= start;
    memmove(buf, buf + start, have);
  }
  return found;
}

int
main(int argc, char *argv[])
{
  if (argc < 2) {
    fprintf(2, "usage: grep pattern [file...]\n");
    exit(2);
  }
  const char *re = argv[1];
  int found = 0, error = 0;
  if (argc == 2) {
    int r = scan(re, 0, "standard input");
    if (r < 0)
      exit(2);
    exit(r > 0 ? 0 : 1);
  }
  for (int i = 2; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    if (fd < 0) {
      fprintf(2, "grep: %s: %s\n", argv[i], strerror(errno));
      error = 1;
      continue;
    }
    int r = scan(re, fd, argv[i]);
    close(fd);
    if (r < 0)
      error = 1;
    else
      found += r;
  }
  exit(error ? 2 : found > 0 ? 0 : 1);
}

// sh: the shell.
//
//   sh            read commands from standard input, prompting with "$ " when it is the console
//   sh FILE       read commands from FILE
//
// A line is parsed into a tree, then run.  Syntax, loosest binding first:
//   a ; b        run a, then b              a &        run a without waiting for it
//   a | b        a's output is b's input    ( list )   run list in a sub-shell
//   cmd < f      input from f               cmd > f    output to f (created or truncated)
//   cmd >> f     output appended to f       # ...      comment to the end of the line
// Words may be quoted with '...' or "..." (no escapes inside).  Built in: `cd [dir]` (default
// "/") and `exit [status]`.
// A command name without a '/' that is not found is also looked for in "/".
#include "kernel/types.h"
#include "kernel/stat.h"
#include "kernel/fcntl.h"
#include "user/user.h"

#define LINEMAX  512
#define MAXWORDS 32     // words in one simple command
#define MAXNODES 64     // nodes in one line's tree
#define MAXREDIR 8      // redirections of one command

enum kind { CMD, REDIR, PIPE, SEQ, BG, GROUP };

struct node {
  enum kind kind;
  struct node *a, *b;         // REDIR, BG, GROUP: a; PIPE, SEQ: a then b
  // CMD
  int argc;
  char *argv[MAXWORDS + 1];
  // REDIR: open(file, mode) must land on fd; append: start at the end of the file
  char *file;
  int fd;
  int mode;
  int append;
};

// ---- per-line storage

static struct node nodes[MAXNODES];
static int nnodes;
static char words[LINEMAX * 2];   // token text, NUL-separated
static int nwords;
static const char *error;         // first syntax error in this line, or 0

static struct node*
newnode(enum kind kind, struct node *a, struct node *b)
{
  if (nnodes == MAXNODES) {
    if (!error)
      error = "command too long";
    nnodes = MAXNODES - 1;    // keep going on the last node; the line will not run
  }
  struct node *n = &nodes[nnodes++];
  memset(n, 0, sizeof(*n));
  n->kind = kind;
  n->a = a;
  n->b = b;
  return n;
}

// ---- tokens

enum { T_END = 0, T_WORD = 'w', T_APPEND = 'A' };   // other tokens are their own character

static char *pos;         // scan position in the line
static char *word;        // text of the last T_WORD taken

static int
isspace(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v';
}

static int
isspecial(char c)
{
  return strchr("|;&<>()", c) != 0;
}

// The kind of the next token, without taking it.
static int
peek(void)
{
  while (isspace(*pos))
    pos++;
  if (*pos == 0 || *pos == '#')
    return T_END;
  if (*pos == '>' && pos[1] == '>')
    return T_APPEND;
  if (isspecial(*pos))
    return *pos;
  return T_WORD;
}

// Take the next token; a word's text is left in `word`.
static int
take(void)
{
  int t = peek();
  if (t == T_END)
    return t;
  if (t == T_APPEND) {
    pos += 2;
    return t;
  }
  if (t != T_WORD) {
    pos++;
    return t;
  }
  word = words + nwords;
  while (*pos && !isspace(*pos) && !isspecial(*pos)) {
    if (*pos == '\'' || *pos == '"') {
      char q = *pos++;
      while (*pos && *pos != q)
        words[nwords++] = *pos++;
      if (*pos != q) {
        if (!error)
          error = "unterminated quote";
      } else {
        pos++;
      }
    } else {
      words[nwords++] = *pos++;
    }
  }
  words[nwords++] = 0;
  return t;
}

// ---- parser

static struct node *parse_list(void);

static int
isredir(int t)
{
  return t == '<' || t == '>' || t == T_APPEND;
}

// command := '(' list ')' redir*  |  (word | redir)+
static struct node*
parse_command(void)
{
  struct node *n;
  // Redirections are collected first and wrapped at the end so that the first one written is
  // the outermost, i.e. the first one carried out.
  int redirs[MAXREDIR];
  char *files[MAXREDIR];
  int nredir = 0;

  if (peek() == '(') {
    take();
    n = newnode(GROUP, parse_list(), 0);
    if (take() != ')' && !error)
      error = "missing )";
    if (n->a == 0 && !error)
      error = "empty ( )";
  } else {
    n = newnode(CMD, 0, 0);
  }

  for (;;) {
    int t = peek();
    if (t == T_WORD && n->kind == CMD) {
      take();
      if (n->argc == MAXWORDS) {
        if (!error)
          error = "too many arguments";
        continue;
      }
      n->argv[n->argc++] = word;
    } else if (isredir(t)) {
      take();
      if (peek() != T_WORD) {
        if (!error)
          error = "missing file name after redirection";
        break;
      }
      if (nredir == MAXREDIR) {
        if (!error)
          error = "too many redirections";
        break;
      }
      redirs[nredir] = t;
      take();
      files[nredir++] = word;
    } else {
      break;
    }
  }

  if (n->kind == CMD && n->argc == 0 && nredir == 0 && !error)
    error = "missing command";
  for (int i = nredir - 1; i >= 0; i--) {
    struct node *r = newnode(REDIR, n, 0);
    r->file = files[i];
    r->append = redirs[i] == T_APPEND;
    r->fd = redirs[i] == '<' ? 0 : 1;
    r->mode = redirs[i] == '<' ? O_RDONLY
            : r->append ? O_RDWR | O_CREATE : O_WRONLY | O_CREATE | O_TRUNC;
    n = r;
  }
  return n;
}

// pipeline := command ('|' command)*
static struct node*
parse_pipeline(void)
{
  struct node *n = parse_command();
  if (peek() == '|') {
    take();
    n = newnode(PIPE, n, parse_pipeline());
  }
  return n;
}

// list := pipeline ((';' | '&') pipeline?)*      (ends at the end of the line or a ')')
static struct node*
parse_list(void)
{
  struct node *list = 0;
  for (;;) {
    int t = peek();
    if (t == T_END || t == ')' || error)
      break;
    struct node *p = parse_pipeline();
    t = peek();
    if (t == '&') {
      take();
      p = newnode(BG, p, 0);
    } else if (t == ';') {
      take();
    } else if (t != T_END && t != ')') {
      if (!error)
        error = "unexpected character";
    }
    list = list ? newnode(SEQ, list, p) : p;
  }
  return list;
}

static struct node*
parse(char *line)
{
  nnodes = 0;
  nwords = 0;
  error = 0;
  pos = line;
  struct node *n = parse_list();
  if (!error && peek() != T_END)
    error = "unexpected )";
  return n;
}

// ---- running

static void run_here(struct node *n) __attribute__((noreturn));

static int
forkx(void)
{
  int pid = fork();
  if (pid < 0)
    fprintf(2, "sh: fork: %s\n", strerror(errno));
  return pid;
}

// Wait for the child pid; returns its exit status (-1 if it cannot be waited for).
static int
waitfor(int pid)
{
  for (;;) {
    int status;
    int r = wait(&status);
    if (r == pid)
      return status;
    if (r < 0)
      return -1;
  }
}

static int
builtin_cd(struct node *n)
{
  const char *dir = n->argc > 1 ? n->argv[1] : "/";
  if (chdir(dir) < 0) {
    fprintf(2, "cd: %s: %s\n", dir, strerror(errno));
    return 1;
  }
  return 0;
}

static int
isbuiltin(struct node *n, const char *name)
{
  return n->kind == CMD && n->argc > 0 && strcmp(n->argv[0], name) == 0;
}

// Run n in this process, forking where it has to; returns n's exit status.  Sequences and
// `cd` run here, so `cd` changes this process's directory.
static int
run(struct node *n)
{
  int pid;
  switch (n->kind) {
  case SEQ:
    run(n->a);
    return run(n->b);
  case BG:
    // The child starts the job and exits at once; the job, orphaned, is reaped by init.
    if ((pid = forkx()) < 0)
      return 1;
    if (pid == 0) {
      int job = forkx();
      if (job == 0)
        run_here(n->a);
      exit(job < 0);
    }
    return waitfor(pid) != 0;
  case CMD:
    if (isbuiltin(n, "cd"))
      return builtin_cd(n);
    if (isbuiltin(n, "exit"))
      exit(n->argc > 1 ? atoi(n->argv[1]) : 0);
    if (n->argc == 0)
      return 0;
    // fall through
  default:
    if ((pid = forkx()) < 0)
      return 1;
    if (pid == 0)
      run_here(n);
    return waitfor(pid);
  }
}

// Become n: never returns.
static void
run_here(struct node *n)
{
  switch (n->kind) {
  case CMD: {
    if (n->argc == 0)
      exit(0);
    if (isbuiltin(n, "cd"))
      exit(builtin_cd(n));
    if (isbuiltin(n, "exit"))
      exit(n->argc > 1 ? atoi(n->argv[1]) : 0);
    n->argv[n->argc] = 0;
    exec(n->argv[0], n->argv);
    int err = errno;
    if (err == ENOENT && strchr(n->argv[0], '/') == 0) {
      static char path[LINEMAX + 2];
      path[0] = '/';
      strcpy(path + 1, n->argv[0]);
      exec(path, n->argv);
      err = errno;
    }
    fprintf(2, "sh: %s: %s\n", n->argv[0], strerror(err));
    exit(127);
  }
  case REDIR: {
    close(n->fd);
    int fd = open(n->file, n->mode);
    if (fd < 0) {
      fprintf(2, "sh: %s: %s\n", n->file, strerror(errno));
      exit(1);
    }
    if (fd != n->fd) {
      fprintf(2, "sh: %s: opened as fd %d, not %d\n", n->file, fd, n->fd);
      exit(1);
    }
    if (n->append) {
      // No lseek: read to the end, so later writes land after the old content.
      static char skip[512];
      while (read(fd, skip, sizeof(skip)) > 0)
        ;
    }
    run_here(n->a);
  }
  case PIPE: {
    int p[2];
    if (pipe(p) < 0) {
      fprintf(2, "sh: pipe: %s\n", strerror(errno));
      exit(1);
    }
    int left = forkx();
    if (left == 0) {
      close(1);
      dup(p[1]);
      close(p[0]);
      close(p[1]);
      run_here(n->a);
    }
    int right = forkx();
    if (right == 0) {
      close(0);
      dup(p[0]);
      close(p[0]);
      close(p[1]);
      run_here(n->b);
    }
    close(p[0]);
    close(p[1]);
    // Reap both sides, in whatever order they finish; the pipeline's status is the right's.
    int status = 1, left_done = left < 0, right_done = right < 0;
    while (!left_done || !right_done) {
      int st;
      int r = wait(&st);
      if (r < 0)
        break;
      if (r == left)
        left_done = 1;
      if (r == right) {
        right_done = 1;
        status = st;
      }
    }
    exit(status);
  }
  case GROUP:
    exit(run(n->a));
  default:
    exit(run(n));
  }
}

// ---- input

// One line from fd into buf without its newline.  Returns 0 at end of input, else 1.  A line
// longer than the buffer is cut; the rest of it is discarded.
static int
getline(int fd, char *buf, int max)
{
  int n = 0, got = 0;
  char c;
  while (read(fd, &c, 1) == 1) {
    got = 1;
    if (c == '\n' || c == '\r')
      break;
    if (n + 1 < max)
      buf[n++] = c;
  }
  buf[n] = 0;
  return got;
}

int
main(int argc, char *argv[])
{
  // Make sure fds 0, 1 and 2 exist (on the console) before anything is opened on top of them.
  for (;;) {
    int fd = open("console", O_RDWR);
    if (fd < 0)
      break;
    if (fd > 2) {
      close(fd);
      break;
    }
  }

  int in = 0;
  if (argc > 1) {
    in = open(argv[1], O_RDONLY);
    if (in < 0) {
      fprintf(2, "sh: %s: %s\n", argv[1], strerror(errno));
      exit(1);
    }
  }
  struct stat st;
  int interactive = in == 0 && fstat(0, &st) == 0 && st.type == T_DEVICE;

  static char line[LINEMAX];
  int status = 0;
  for (;;) {
    if (interactive)
      write(2, "$ ", 2);
    if (!getline(in, line, sizeof(line)))
      break;
    struct node *tree = parse(line);
    if (error) {
      fprintf(2, "sh: syntax error: %s\n", error);
      status = 2;
      continue;
    }
    if (tree)
      status = run(tree);
  }
  exit(status);
}

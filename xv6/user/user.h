// What a user program can call: the system calls (stubs in the generated usys.S) and the small
// C library (ulib.c, printf.c, umalloc.c).  Names and signatures follow xv6's user.h, so a
// program written for xv6 builds here unchanged; the additions are marked "ours".
//
// Errors: a failing system call returns -1 and leaves the reason in errno (the kernel returns
// -errno and the stub moves it there).  Nothing ever resets errno to 0.
#ifndef XV6_USER_H
#define XV6_USER_H

#include "kernel/types.h"
#include "kernel/errno.h"
#include "kernel/mman.h"
#include "kernel/vmstat.h"

struct stat;

// ---- system calls
int fork(void);
int exit(int) __attribute__((noreturn));
int wait(int*);
int pipe(int*);
int write(int, const void*, int);
int read(int, void*, int);
int close(int);
int kill(int);
int exec(const char*, char**);
int open(const char*, int);
int mknod(const char*, short, short);
int unlink(const char*);
int fstat(int fd, struct stat*);
int link(const char*, const char*);
int mkdir(const char*);
int chdir(const char*);
int dup(int);
int getpid(void);
char* sbrk(int);
int sleep(int);
int uptime(void);
int poweroff(int code);                 // ours: stop the machine with this exit code
// ours: memory mapping (kernel/mman.h has the PROT_/MAP_ values); mmap returns MAP_FAILED on error
void* mmap(void *addr, uint64 length, int prot, int flags, int fd, long offset);
int munmap(void *addr, uint64 length);
int mprotect(void *addr, uint64 length, int prot);
int msync(void *addr, uint64 length, int flags);
int fsync(int fd);                      // ours: write the file's dirty mapped pages to disk
int sync(void);                         // ours: the same for every file
int getrusage(int who, struct rusage *ru);  // ours: fault counts (kernel/vmstat.h)
int vmstat(struct vmstat *st);          // ours: system-wide page-cache counters
int pagemap(void *addr, uint64 *entry); // ours: Linux pagemap entry of the page at addr
int madvise(void *addr, uint64 length, int advice);
int mincore(void *addr, uint64 length, unsigned char *vec);
int mlock(const void *addr, uint64 length);
int munlock(const void *addr, uint64 length);
int ftruncate(int fd, long length);     // ours in xv6: set a file's size
// ours: threads (kernel/proc.c).  clone starts fn(arg) in a new thread of this process, on the
// stack whose top is `stack` (16-byte aligned), sharing the address space and the file table;
// when fn returns, the thread continues at ret with fn's return value as argument (pass texit).
// Returns the thread's id.  getpid() is the process's id in every thread, gettid() the thread's.
int clone(int (*fn)(void *), void *arg, void *stack, void (*ret)(int));
int join(int tid, int *status);         // wait for thread tid (0: any) to end; its tid
void texit(int status) __attribute__((noreturn));  // end this thread; the last one ends the process
int gettid(void);

// ---- ulib.c
int thread_create(int (*fn)(void *), void *arg, void *stack);  // clone(fn, arg, stack, texit)
int stat(const char*, struct stat*);
char* strcpy(char*, const char*);
void* memmove(void*, const void*, int);
char* strchr(const char*, char c);
int strcmp(const char*, const char*);
char* gets(char*, int max);
uint strlen(const char*);
void* memset(void*, int, uint);
int atoi(const char*);
int memcmp(const void*, const void*, uint);
void* memcpy(void*, const void*, uint);
// ours
extern int errno;                       // reason for the last failed system call
int strncmp(const char*, const char*, uint);
char* strncpy(char*, const char*, int);
char* strcat(char*, const char*);
char* strrchr(const char*, char c);
const char* strerror(int);
void perror(const char*);               // "s: <strerror(errno)>" on fd 2

// ---- printf.c: %d %i %u %x %p %s %c %%, with l/ll/z size prefixes, width, '-' and '0'; a
// bare %l prints a long in decimal.  Compiler format checking is off by default because that
// bare %l is not standard; build with -DXV6_FORMAT_CHECK to turn it on.
#ifdef XV6_FORMAT_CHECK
#define XV6_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define XV6_PRINTF(f, a)
#endif
int fprintf(int, const char*, ...) XV6_PRINTF(2, 3);
int printf(const char*, ...) XV6_PRINTF(1, 2);
// ours: format into buf (at most n bytes including the NUL); returns the untruncated length
int snprintf(char *buf, int n, const char*, ...) XV6_PRINTF(3, 4);

// ---- umalloc.c
void* malloc(uint);
void free(void*);

#endif

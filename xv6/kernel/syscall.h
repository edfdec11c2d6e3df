// System call numbers: xv6-riscv's for the calls it has, new calls after them.
// The user-space stubs (user/usys.S) are generated from this file by xv6/build.py.
#ifndef XV6_SYSCALL_H
#define XV6_SYSCALL_H

#define SYS_fork     1
#define SYS_exit     2
#define SYS_wait     3
#define SYS_pipe     4
#define SYS_read     5
#define SYS_kill     6
#define SYS_exec     7
#define SYS_fstat    8
#define SYS_chdir    9
#define SYS_dup     10
#define SYS_getpid  11
#define SYS_sbrk    12
#define SYS_sleep   13
#define SYS_uptime  14
#define SYS_open    15
#define SYS_write   16
#define SYS_mknod   17
#define SYS_unlink  18
#define SYS_link    19
#define SYS_mkdir   20
#define SYS_close   21
// --- ours
#define SYS_poweroff 22    // poweroff(int code): through the test device
#define SYS_mmap     23    // mmap(addr, len, prot, flags, fd, offset)
#define SYS_munmap   24    // munmap(addr, len)
#define SYS_mprotect 25    // mprotect(addr, len, prot)
#define SYS_msync    26    // msync(addr, len, flags)
#define SYS_fsync    27    // fsync(fd): write back the file's dirty mapped pages
#define SYS_sync     28    // sync(): write back every dirty mapped page
#define SYS_getrusage 29   // getrusage(who, struct rusage *): fault counts (vmstat.h)
#define SYS_vmstat   30    // vmstat(struct vmstat *): system-wide page-cache counters
#define SYS_pagemap  31    // pagemap(addr, uint64 *entry): the page behind a user address
#define SYS_madvise  32    // madvise(addr, len, advice)
#define SYS_mincore  33    // mincore(addr, len, unsigned char *vec)
#define SYS_mlock    34    // mlock(addr, len)
#define SYS_munlock  35    // munlock(addr, len)
#define SYS_ftruncate 36   // ftruncate(fd, length)
#define SYS_clone    37    // clone(fn, arg, stack, ret): a thread sharing memory and files
#define SYS_join     38    // join(tid, int *status): wait for a thread of this process
#define SYS_texit    39    // texit(status): end the calling thread only
#define SYS_gettid   40    // gettid(): the calling thread's id

#endif

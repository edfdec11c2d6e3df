// Tunables, one per line.
#ifndef XV6_PARAM_H
#define XV6_PARAM_H

#define NPROC        64    // maximum number of processes
#define NCPU          8    // maximum number of harts
#define NOFILE       16    // open files per process
#define NFILE       200    // open files per system (exec's program mappings use one each)
#define NINODE       50    // maximum number of active i-nodes
#define NDEV         10    // maximum major device number
#define ROOTDEV       1    // device number of file system root disk
#define MAXARG       32    // max exec arguments
#define MAXOPBLOCKS  10    // max # of blocks any FS op writes
#define LOGSIZE      (MAXOPBLOCKS * 3)  // max data blocks in on-disk log
#define NBUF         (MAXOPBLOCKS * 3)  // size of disk block cache
#define FSSIZE    20000    // size of file system in blocks (mkfs default)
#define MAXPATH     128    // maximum file path name
#define USERSTACK     1    // user stack pages
#define MAXMAPCOUNT 16384  // mmap regions per process (like Linux's max_map_count); ENOMEM past it
#define COMMIT_RATIO  75   // % of RAM's pages that may be promised (commit.c; Linux's overcommit_ratio)
#define MLOCKPAGES  2048   // pages a process may lock (mlock, MAP_LOCKED): 8 MiB, Linux's RLIMIT_MEMLOCK
#define RECLAIM_LOW  128   // free + reclaimable pages below which faults reclaim mapped file pages
#define GUARDGAP     256   // pages a MAP_GROWSDOWN region keeps free below it (Linux's stack_guard_gap)
#define TICK_INTERVAL 1000000  // timer ticks (10 MHz) between scheduler interrupts: 0.1 s

#endif

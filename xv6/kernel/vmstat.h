// Memory statistics the kernel reports to user space: per-process fault counts (getrusage),
// system-wide page-cache counters (vmstat) and the page-map entry for one address (pagemap).
// Shared by the kernel and user programs (user.h includes it).
#ifndef XV6_VMSTAT_H
#define XV6_VMSTAT_H

// getrusage(who, &ru): who is RUSAGE_SELF, or RUSAGE_CHILDREN for the sum over the children
// this process has waited for (Linux's values).
#define RUSAGE_SELF      0
#define RUSAGE_CHILDREN  (-1)
#define RUSAGE_THREAD    1      // the calling thread alone (RUSAGE_SELF: all its process's)

// Page faults resolved for a process, by kind.  Every fault the kernel resolves (from a user
// access, or from a system call copying through a page not yet mapped) counts once in
// ru_minflt or ru_majflt, as in Linux; the ru_*flt below them break the minor ones down.
struct rusage {
  uint64 ru_minflt;     // resolved without disk I/O
  uint64 ru_majflt;     // had to read the page from disk
  uint64 ru_zeroflt;    //   of the minor: anonymous page zero-filled
  uint64 ru_cacheflt;   //   of the minor: page found in the page cache
  uint64 ru_cowflt;     //   of the minor: copy-on-write copy (or reuse of a page no longer shared)
  uint64 ru_dirtyflt;   //   of the minor: first store to a clean shared page (write-protect
                        //   dirty tracking only)
  uint64 ru_wbpages;    // file pages this process wrote back (msync, munmap, exit, fsync, sync)
};

// How the kernel learns that a shared file page was written (chosen at build time).
#define DIRTY_DBIT  1   // the PTE's D bit, set by the hardware on the first store
#define DIRTY_WP    2   // a write fault on a page mapped read-only until its first store

// System-wide counters since boot (vmstat(&st)).
struct vmstat {
  uint64 total_pages;       // pages of RAM the allocator manages
  uint64 free_pages;        // on the free list
  uint64 cache_pages;       // in the page cache (file pages and shared anonymous pages)
  uint64 cache_hits;        // page-cache lookups that found the page
  uint64 cache_misses;      // lookups that had to create it (read from disk, or zero-fill)
  uint64 writeback_pages;   // file pages written back to disk
  uint64 reclaimed_pages;   // clean, unmapped cache pages freed when memory ran out
  uint64 reclaim_unmapped;  // PTEs of file pages the reclaimer took out of processes
  uint64 disk_reads;        // blocks read from the disk (virtio requests)
  uint64 disk_writes;       // blocks written to the disk, log included
  uint64 dirty_mode;        // DIRTY_DBIT or DIRTY_WP
  uint64 tlb_shootdowns;    // inter-hart interrupts sent to flush another hart's TLB
  uint64 commit_limit;      // pages that may be promised to processes (Linux's CommitLimit)
  uint64 committed_pages;   // pages promised now: reserved mappings, stacks, heaps (Committed_AS)
  uint64 disk_requests;     // virtio requests (each moves a run of up to a page of blocks)
  uint64 readahead_pages;   // file pages read ahead of a sequential reader (not yet asked for)
  uint64 faultaround_pages; // cached file pages mapped around a faulting page (not faulted on)
};

// pagemap(addr, &entry): Linux's /proc/self/pagemap entry for the page holding addr.  Bits as
// in Linux (Documentation/admin-guide/mm/pagemap.rst), plus two of ours in bits Linux leaves 0.
#define PM_PFRAME_MASK     ((1UL << 55) - 1)   // physical page number, if present
#define PM_SOFT_DIRTY      (1UL << 55)         // here: the PTE's D bit
#define PM_MMAP_EXCLUSIVE  (1UL << 56)         // mapped by exactly one page-table entry
#define PM_WRITE           (1UL << 58)         // ours: the PTE allows stores now
#define PM_COW             (1UL << 59)         // ours: shared copy-on-write (store will copy)
#define PM_FILE            (1UL << 61)         // a page-cache page (file, or shared anonymous)
#define PM_PRESENT         (1UL << 63)         // a page is mapped at addr

#endif

// Harts, processes and the saved register sets that move between them.
//
// A process is one or more threads (clone) sharing an address space (struct mm, mm.h) and a
// file table (struct fdtable, file.h).  Each thread is a struct proc with its own kernel stack,
// trap frame and registers; the first one, the leader, carries the process's identity: its pid
// is the process id, its parent the process that forked it, its xstate the exit status wait()
// reports.  Other threads have pids of their own (thread ids) and no parent.
//
// Lock summary:
//   p->lock      guards p->state, p->chan, p->killed (read without it: it only goes 0 -> 1),
//                p->xstate, p->pid
//   wait_lock    guards p->parent of every process, and the thread-group fields (leader,
//                nthreads, group_exit, tru) (proc.c; taken before any p->lock)
//   mm->lock     the address space's regions and page table (mm.h)
//   (none)       the fields private to the thread (kstack, tf_va, trapframe, context, cwd,
//                name, ru, nofault, held): only the thread itself touches them while it exists,
//                or its creator/reaper while the slot is not yet (or no longer) runnable.  The
//                pages its page table maps may be shared with other processes (copy-on-write,
//                page cache): their reference counts and cache state are guarded by
//                pcache.lock (pcache.c, page.h), never by the process.
#ifndef XV6_PROC_H
#define XV6_PROC_H

// ---- trapframe layout, shared with trampoline.S ------------------------------------------------
// The user registers come first, x[i] at byte offset 8*i (slot 0, for x0, is unused), then the
// fields the trampoline needs to enter the kernel.
#define TF_X(i)          (8 * (i))
#define TF_EPC           256
#define TF_KERNEL_SATP   264
#define TF_KERNEL_SP     272
#define TF_KERNEL_TRAP   280
#define TF_KERNEL_HARTID 288

#ifndef __ASSEMBLER__

#include "sleeplock.h"
#include "vma.h"
#include "mm.h"
#include "vmstat.h"

// The registers a kernel thread keeps across swtch(): the callee-saved ones.  The caller-saved
// registers are on the thread's stack already (swtch is an ordinary call).
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s[12];   // s0..s11
};

// Per-hart state.  Only the owning hart touches its entry, with interrupts off.  (Its size,
// a power of two, makes mycpu() a shift; proc.c keeps which harts are idle apart.)
struct cpu {
  struct proc *proc;          // process running on this hart, or 0 in the scheduler
  struct context scheduler;   // swtch() here to return to this hart's scheduler loop
  int off_depth;              // nesting depth of push_off()
  int intr_was_on;            // were interrupts enabled before the outermost push_off()?
};

extern struct cpu cpus[NCPU];

// This hart's struct cpu.  Interrupts must be off (or the caller may move to another hart).
static inline struct cpu *
mycpu(void)
{
  return &cpus[read_tp()];
}

// One page per thread, mapped at p->tf_va (TRAPFRAME_AT(slot) in memlayout.h: each thread of a
// shared address space has its own) in its user page table, not user-accessible.  uservec in
// trampoline.S saves the user registers here (sscratch holds its address while the thread runs
// in user mode) and loads the kernel_* fields; usertrapret() fills those in before returning.
struct trapframe {
  union {
    uint64 x[32];             // x[i] = register xi; x[0] unused
    struct {
      uint64 zero, ra, sp, gp, tp;
      uint64 t0, t1, t2;
      uint64 s0, s1;
      uint64 a0, a1, a2, a3, a4, a5, a6, a7;
      uint64 s2, s3, s4, s5, s6, s7, s8, s9, s10, s11;
      uint64 t3, t4, t5, t6;
    };
  };
  uint64 epc;                 // user pc at the trap; where sret returns to
  uint64 kernel_satp;         // kernel page table
  uint64 kernel_sp;           // top of this process's kernel stack
  uint64 kernel_trap;         // usertrap()
  uint64 kernel_hartid;       // tp for the kernel
};

enum procstate { UNUSED, USED, SLEEPING, RUNNABLE, RUNNING, ZOMBIE };

struct proc {
  struct spinlock lock;

  // guarded by p->lock
  enum procstate state;
  void *chan;                 // sleeping on this, if SLEEPING
  int killed;                 // set by kill(); the thread exits at its next chance
  int xstate;                 // exit status: the process's (leader) for wait(), and the
                              // thread's own for join()
  int pid;                    // process id (leader) or thread id

  // guarded by wait_lock (proc.c)
  struct proc *parent;        // leader: the process that forked it; other threads: 0
  struct proc *leader;        // the thread that is the process (itself for the leader)
  int nthreads;               // leader: threads of the process that have not begun to exit
  int group_exit;             // leader: GROUP_EXIT or GROUP_EXEC while the others are made to end
  struct rusage tru;          // leader: summed over the threads that were joined or ended

  // shared by the threads of the process (each has its own lock)
  struct mm *mm;              // address space (mm.h)
  struct fdtable *fdt;        // open files (file.h)

  // private to the thread
  uint64 kstack;              // kernel stack's virtual address (bottom)
  uint64 tf_va;               // where its trap frame is mapped in the user page table
  struct trapframe *trapframe;
  struct context context;     // swtch() here to run the thread's kernel side
  struct inode *cwd;          // current directory
  char name[16];              // for debugging (procdump, fault messages)
  struct rusage ru;           // faults and writeback of this thread (fault.c, mmap.c)
  int nofault;                // copyin/copyout must not fault file pages in or reclaim: the
                              // caller holds an inode lock (file.c)
  struct file *held[2];       // files argfd() holds a reference to for the current system
                              // call (dropped when it returns: another thread may close the fd)
  struct rusage cru;          // leader: summed over the children it has waited for
};

#define GROUP_EXIT 1          // exit() or a kill: every thread ends, the process exits
#define GROUP_EXEC 2          // exec() in one thread: the others end, the process goes on


// The process running on this hart, or 0.  Interrupts are off while it looks, so that it
// cannot move to another hart between reading its hart id and that hart's entry.
static inline struct proc *
myproc(void)
{
  uint64 sstatus = csrr_sstatus();
  csrc_sstatus(SSTATUS_SIE);
  struct proc *p = cpus[read_tp()].proc;
  if(sstatus & SSTATUS_SIE)
    csrs_sstatus(SSTATUS_SIE);
  return p;
}

#endif // __ASSEMBLER__
#endif

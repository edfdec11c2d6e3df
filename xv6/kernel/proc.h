// Harts, processes and the saved register sets that move between them.
//
// Lock summary:
//   p->lock      guards p->state, p->chan, p->killed (read without it: it only goes 0 -> 1),
//                p->xstate, p->pid
//   wait_lock    guards p->parent of every process (proc.c; taken before any p->lock)
//   p->vmlock    (a sleeplock) p->vmas and the PTEs of p's file mappings against truncation
//                by other processes (mmap.c)
//   (none)       the fields private to the process (kstack, sz, pagetable, trapframe, context,
//                ofile, cwd, name, vmas, ru, cru, locked_pages, ustart, nofault): only the process itself touches them while
//                it exists, or its creator/reaper while the slot is not yet (or no longer)
//                runnable.  The pages its page table maps may be shared with other processes
//                (copy-on-write, page cache): their reference counts and cache state are
//                guarded by pcache.lock (pcache.c, page.h), never by the process.
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
#include "vmstat.h"

// The registers a kernel thread keeps across swtch(): the callee-saved ones.  The caller-saved
// registers are on the thread's stack already (swtch is an ordinary call).
struct context {
  uint64 ra;
  uint64 sp;
  uint64 s[12];   // s0..s11
};

// Per-hart state.  Only the owning hart touches its entry, with interrupts off.
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

// One page per process, mapped at TRAPFRAME in its user page table (not user-accessible).
// uservec in trampoline.S saves the user registers here and loads the kernel_* fields;
// usertrapret() fills those in before returning to user mode.
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
  int killed;                 // set by kill(); the process exits at its next chance
  int xstate;                 // exit status, for the parent's wait()
  int pid;

  // guarded by wait_lock (proc.c)
  struct proc *parent;

  // private to the process
  uint64 kstack;              // kernel stack's virtual address (bottom)
  uint64 ustart;              // start of the stack and heap, above the program image (whose
                              // segments are mmap regions): [ustart, sz) is sbrk's memory
  uint64 sz;                  // end of user memory (top of the heap)
  pagetable_t pagetable;      // user page table
  struct trapframe *trapframe;
  struct context context;     // swtch() here to run the process's kernel thread
  struct file *ofile[NOFILE]; // open files
  struct inode *cwd;          // current directory
  char name[16];              // for debugging (procdump, fault messages)
  struct vmas vmas;           // mmap regions (vma.c; changed only by this process)
  struct sleeplock vmlock;    // held by this process while it changes vmas or the PTEs of its
                              // mappings in a system call, and by a truncation of a file that
                              // unmaps pages from it (mmap.c); faults go without (fault.c)
  struct rusage ru;           // faults and writeback of this process (fault.c, mmap.c)
  uint64 locked_pages;        // pages of its MAP_LOCKED regions (mlock; mmap.c)
  int nofault;                // copyin/copyout must not fault file pages in or reclaim: the
                              // caller holds an inode lock (file.c)
  struct rusage cru;          // summed over the children it has waited for
};

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

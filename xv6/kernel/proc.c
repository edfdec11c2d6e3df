// Processes: the process table, creation (userinit, fork), termination (exit, wait, kill),
// sleep/wakeup, and the per-hart scheduler.
//
// Every process has a kernel thread.  A hart's scheduler loop picks a RUNNABLE process and
// swtch()es to its kernel thread; the thread gives the hart back by swtch()ing to the
// scheduler in sched() (when it yields, sleeps or exits).  p->lock is held across each of
// those switches, so a process's state and its thread's registers always change together.
//
// Locking order: wait_lock before any p->lock; p->lock before locks taken in sleep()ers'
// condition (the caller's lk is released only after p->lock is held).

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "mman.h"
#include "errno.h"
#include "defs.h"
#include "initcode.h"

struct cpu cpus[NCPU];

// hart_idle[h]: hart h is in its scheduler with nothing to run; other harts wake it when they
// make a process RUNNABLE (kick_idle_harts).  Written by hart h, read by the others.
static int hart_idle[NCPU];

static struct proc proc[NPROC];
static struct proc *initproc;

static int nextpid = 1;

// Guards every p->parent, and stands between a parent's wait() sleeping and a child's exit()
// waking it.  Taken before any p->lock.
static struct spinlock wait_lock;


static void forkret(void);
static void kick_idle_harts(void);

// A new process or thread, set up while USED, may run now: on an idle hart at once.
static void
make_runnable(struct proc *p)
{
  acquire(&p->lock);
  p->state = RUNNABLE;
  release(&p->lock);
  kick_idle_harts();
}

// ---- harts ---------------------------------------------------------------------------------------

// This hart's id.  Call with interrupts off, or the thread could move to another hart between
// reading it and using it.
int
cpuid(void)
{
  return read_tp();
}


// ---- the process table ----------------------------------------------------------------------------

// Allocate the pages of each process slot's kernel stack and map them high in the kernel's
// address space, with an unmapped guard page below each stack.
void
proc_mapstacks(pagetable_t kpgtbl)
{
  for(int i = 0; i < NPROC; i++){
    for(uint64 off = 0; off < KSTACK_SIZE; off += PGSIZE){
      char *pa = kalloc();
      if(pa == 0)
        panic("proc_mapstacks: out of memory");
      kvmmap(kpgtbl, KSTACK(i) + off, (uint64)pa, PGSIZE, PTE_R | PTE_W);
    }
  }
}

void
procinit(void)
{
  initlock(&wait_lock, "wait_lock");
  for(int i = 0; i < NPROC; i++){
    struct proc *p = &proc[i];
    initlock(&p->lock, "proc");
    p->state = UNUSED;
    p->kstack = KSTACK(i);
    p->tf_va = TRAPFRAME_AT(i);
  }
}

static int
allocpid(void)
{
  return __atomic_fetch_add(&nextpid, 1, __ATOMIC_RELAXED);
}

// Map p's trap frame at p->tf_va in page table pt (not user-accessible).  0, or -ENOMEM.
static int
map_trapframe(struct proc *p, pagetable_t pt)
{
  return mappages(pt, p->tf_va, PGSIZE, (uint64)p->trapframe, PTE_R | PTE_W) ? -ENOMEM : 0;
}

// A new user page table holding only the trampoline and p's trap frame (both without PTE_U),
// for exec's new image.  0 if out of memory.
pagetable_t
proc_pagetable(struct proc *p)
{
  pagetable_t pt = mm_new_pagetable();
  if(pt && map_trapframe(p, pt) != 0){
    uvmunmap(pt, TRAMPOLINE, 1, 0);
    uvmfree(pt);
    pt = 0;
  }
  return pt;
}

// Free a page table proc_pagetable() made, once its regions are unmapped.
void
proc_freepagetable(struct proc *p, pagetable_t pagetable)
{
  uvmunmap(pagetable, TRAMPOLINE, 1, 0);
  uvmunmap(pagetable, p->tf_va, 1, 0);
  uvmfree(pagetable);
}

// Return a slot to UNUSED, freeing what the thread still owns: its trap frame (unmapped from
// the address space it shared) and its reference to the address space (the last one frees the
// page table).  Caller holds p->lock.
static void
freeproc(struct proc *p)
{
  if(p->mm){
    pte_t *pte = p->mm->pagetable ? walk(p->mm->pagetable, p->tf_va, 0) : 0;
    if(pte && (*pte & PTE_V))
      *pte = 0;                   // only this thread's uservec ever used it
    mm_put(p->mm);
  }
  if(p->trapframe)
    kfree(p->trapframe);
  memset(&p->ru, 0, sizeof(p->ru));
  memset(&p->cru, 0, sizeof(p->cru));
  memset(&p->tru, 0, sizeof(p->tru));
  p->mm = 0;
  p->fdt = 0;
  p->trapframe = 0;
  p->pid = 0;
  p->parent = 0;
  p->leader = 0;
  p->nthreads = 0;
  p->group_exit = 0;
  p->name[0] = 0;
  p->chan = 0;
  p->killed = 0;
  p->xstate = 0;
  p->state = UNUSED;
}

// Claim an UNUSED slot and give it a pid, a trap frame, and an address space -- `share`, or a
// new one with nothing user-visible yet -- with the trap frame mapped in it, and a kernel
// thread that will start in forkret().  Returns it with p->lock held, or 0 if the table is
// full or memory is short.
static struct proc*
allocproc(struct mm *share)
{
  struct proc *p;
  for(p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    if(p->state == UNUSED)
      break;
    release(&p->lock);
  }
  if(p == &proc[NPROC])
    return 0;

  p->pid = allocpid();
  p->state = USED;

  p->trapframe = kalloc();
  if(p->trapframe){
    memset(p->trapframe, 0, PGSIZE);
    if(share)
      mm_get(share);
    p->mm = share ? share : mm_alloc();
  }
  if(p->mm == 0 || map_trapframe(p, p->mm->pagetable) != 0){
    freeproc(p);
    release(&p->lock);
    return 0;
  }

  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)forkret;
  p->context.sp = p->kstack + KSTACK_SIZE;
  return p;
}

// ---- the first process ----------------------------------------------------------------------------

// Create the first user process, running initcode (user/initcode.S), which execs /init.
void
userinit(void)
{
  struct proc *p = allocproc(0);
  if(p == 0)
    panic("userinit: no process slot");
  initproc = p;
  p->leader = p;
  p->nthreads = 1;
  p->fdt = fdt_alloc();

  // initcode's text at 0, then one page of stack above it, then the (empty) heap.
  struct mm *mm = p->mm;
  uint64 codesz = PGROUNDUP(sizeof(initcode)), sp = codesz + PGSIZE;
  if(mmap_image_anon(p, &mm->vmas, mm->pagetable, 0, codesz, PROT_READ | PROT_WRITE | PROT_EXEC,
                     0, (char *)initcode, sizeof(initcode)) != 0 ||
     mmap_image_anon(p, &mm->vmas, mm->pagetable, codesz, sp, PROT_READ | PROT_WRITE,
                     MAP_STACK, 0, 0) != 0)
    panic("userinit: cannot load initcode");
  mm->start_brk = mm->brk = sp;

  p->trapframe->epc = 0;
  p->trapframe->sp = sp;
  safestrcpy(p->name, "initcode", sizeof(p->name));
  // p->cwd is set in forkret(), once the file system is ready.

  p->state = RUNNABLE;
  release(&p->lock);
}

// A new thread starts here, on its first schedule, still holding p->lock from the scheduler.
static void
forkret(void)
{
  static int fs_ready;
  struct proc *p = myproc();

  release(&p->lock);

  if(!fs_ready){
    // The file system's initialisation reads the disk, so it sleeps, so it must run in a
    // process.  The first process to get here is initproc (nothing else exists yet).
    fsinit(ROOTDEV);
    p->cwd = namei("/");
    if(p->cwd == 0)
      panic("forkret: no root directory");
    __sync_synchronize();
    fs_ready = 1;
  }
  if(killed(p))
    exit(-1);                     // a thread cloned while its process was being killed

  usertrapret();
}

// ---- fork, exit, wait, kill ----------------------------------------------------------------------

// Change the size of the current process's heap by n bytes (sbrk); the old break in *old_end.
// 0, or -ENOMEM.  Threads may call it at once: each gets its own range.
int
growproc(int n, uint64 *old_end)
{
  struct mm *mm = myproc()->mm;
  down_write(&mm->lock);
  uint64 brk = *old_end = mm->brk;
  int err = -ENOMEM;
  if(n >= 0 ? brk + n >= brk : (uint64)-(int64)n <= brk - mm->start_brk)
    err = mmap_brk(myproc(), brk + n);
  up_write(&mm->lock);
  return err;
}

// Create a child that is a copy of the current process and returns 0 from the same fork().
// Only the calling thread is copied; the child's address space is a copy-on-write copy of the
// whole of the parent's.  The parent gets the child's pid, or -EAGAIN / -ENOMEM.
int
fork(void)
{
  struct proc *parent = myproc();
  struct proc *child = allocproc(0);
  if(child == 0)
    return -EAGAIN;
  // The child is USED, not RUNNABLE: nobody else touches it until we say so, and sharing its
  // mappings may sleep (file references), so let go of its lock meanwhile.
  release(&child->lock);

  struct mm *from = parent->mm, *to = child->mm;
  down_write(&from->lock);           // the parent's other threads fault meanwhile: they wait
  down_write(&to->lock);
  to->start_brk = from->start_brk;
  to->brk = from->brk;
  int err = mmap_fork(parent, child);   // releases what it shared if it fails
  up_write(&to->lock);
  up_write(&from->lock);
  if(err){
    acquire(&child->lock);
    freeproc(child);
    release(&child->lock);
    return -ENOMEM;
  }
  *child->trapframe = *parent->trapframe;
  child->trapframe->a0 = 0;        // fork() returns 0 in the child

  child->fdt = fdt_copy(parent->fdt);
  child->cwd = idup(parent->cwd);
  safestrcpy(child->name, parent->name, sizeof(child->name));
  int pid = child->pid;

  acquire(&wait_lock);
  child->parent = parent->leader;  // a child of the process, whichever thread forked it
  child->leader = child;
  child->nthreads = 1;
  release(&wait_lock);

  make_runnable(child);
  return pid;
}

// Start a thread of the current process: it shares the address space and the file table and
// begins at fn with a0 = arg, sp = stack (rounded down to 16 bytes), ra = ret; its other
// registers are the caller's.  Its tid, or -EINVAL, -EAGAIN (no slot) / -ENOMEM.
int
clone(uint64 fn, uint64 arg, uint64 stack, uint64 ret)
{
  struct proc *p = myproc();
  if(fn == 0 || fn >= MAXVA || stack == 0 || stack > MAXVA)
    return -EINVAL;
  struct proc *t = allocproc(p->mm);
  if(t == 0)
    return -EAGAIN;
  release(&t->lock);

  *t->trapframe = *p->trapframe;
  t->trapframe->epc = fn;
  t->trapframe->a0 = arg;
  t->trapframe->sp = stack & ~15L;
  t->trapframe->ra = ret;
  fdt_get(p->fdt);
  t->fdt = p->fdt;
  t->cwd = idup(p->cwd);
  safestrcpy(t->name, p->name, sizeof(t->name));
  int tid = t->pid;

  acquire(&wait_lock);
  struct proc *g = p->leader;
  t->leader = g;
  g->nthreads++;
  if(g->group_exit)
    t->killed = 1;                 // the process is going: the thread ends at once (forkret)
  release(&wait_lock);

  make_runnable(t);
  return tid;
}

// Hand p's children to init.  Caller holds wait_lock.
static void
reparent(struct proc *p)
{
  for(struct proc *q = proc; q < &proc[NPROC]; q++){
    if(q->parent == p){
      q->parent = initproc;
      wakeup(initproc);   // there may be a zombie among them
    }
  }
}

// Mark every thread of process g except `me` killed, waking the sleeping ones so they notice.
// Caller holds wait_lock.
static void
kill_threads(struct proc *g, struct proc *me)
{
  for(struct proc *q = proc; q < &proc[NPROC]; q++){
    if(q->leader != g || q == me)
      continue;
    acquire(&q->lock);
    q->killed = 1;
    if(q->state == SLEEPING)
      q->state = RUNNABLE;
    release(&q->lock);
  }
  kick_idle_harts();
}

// End the calling thread with status: texit(), and the end of every thread in exit().  It
// stays a ZOMBIE until joined, or until the process is reaped.  The last thread of a process
// ends the process: the mappings are written back and released now, the children go to init,
// and the parent's wait() may reap it, with status as the process's exit status unless exit()
// set one.
void
thread_exit(int status)
{
  struct proc *p = myproc();
  if(p == initproc)
    panic("exit: init exited");

  fdt_put(p->fdt);                 // the last thread closes the files
  begin_op();
  iput(p->cwd);
  end_op();
  p->cwd = 0;

  acquire(&wait_lock);
  struct proc *g = p->leader;
  int last = --g->nthreads == 0;
  release(&wait_lock);
  if(last){
    down_write(&p->mm->lock);
    mmap_unmap_all(p, p->mm->pagetable);   // write back and give the mmap pages back now
    up_write(&p->mm->lock);
  }

  acquire(&wait_lock);
  if(last){
    reparent(g);
    acquire(&g->lock);
    if(g->group_exit != GROUP_EXIT)
      g->xstate = status;
    release(&g->lock);
    wakeup(g->parent);             // the parent may be in wait()
  }
  wakeup(g);                       // a thread may be in join(), or exec waiting for us
  acquire(&p->lock);
  if(p != g)
    p->xstate = status;            // for join(); the leader's is the process's
  p->state = ZOMBIE;
  release(&wait_lock);

  sched();             // never comes back: a joiner or the parent frees the slot
  panic("exit: zombie ran again");
}

// Terminate the current process with `status`: every thread ends (the others when they next
// cross the user/kernel boundary or notice in a sleep), and the process stays a ZOMBIE until
// its parent wait()s.
void
exit(int status)
{
  struct proc *p = myproc();
  acquire(&wait_lock);
  struct proc *g = p->leader;
  if(g->group_exit == 0){
    g->group_exit = GROUP_EXIT;
    acquire(&g->lock);
    g->xstate = status;
    release(&g->lock);
    kill_threads(g, p);
  }
  release(&wait_lock);             // else another exit() or an exec is ending us
  thread_exit(status);
}

// Has every thread of process g but `except` (0: none) ended?  Caller holds wait_lock
// (threads become ZOMBIE under it).
static int
group_ended(struct proc *g, struct proc *except)
{
  for(struct proc *q = proc; q < &proc[NPROC]; q++)
    if(q->leader == g && q != except && __atomic_load_n(&q->state, __ATOMIC_RELAXED) != ZOMBIE)
      return 0;
  return 1;
}

// Add the counts in from to those in to (every field of struct rusage is a uint64 count).
static void
add_rusage(struct rusage *to, struct rusage *from)
{
  for(int i = 0; i < sizeof(struct rusage) / sizeof(uint64); i++)
    ((uint64 *)to)[i] += ((uint64 *)from)[i];
}

// If process `child` (whose p->lock the caller holds, with wait_lock) has ended, free it and
// its unjoined threads, put its exit status in *status and return its pid; 0 if it is still
// alive.  (The caller copies the status out after letting go of its locks: a copy may fault,
// and a fault may wake sleepers, which takes every p->lock.)
static int
reap(struct proc *child, int *status)
{
  if(child->state != ZOMBIE || !group_ended(child, 0))
    return 0;
  int pid = child->pid;
  *status = child->xstate;
  // The parent's children's totals gain the child's own and its children's.
  struct rusage *to = &myproc()->leader->cru;
  add_rusage(to, &child->ru);
  add_rusage(to, &child->tru);
  add_rusage(to, &child->cru);
  for(struct proc *q = proc; q < &proc[NPROC]; q++){
    if(q->leader == child && q != child){
      acquire(&q->lock);
      add_rusage(to, &q->ru);
      freeproc(q);
      release(&q->lock);
    }
  }
  freeproc(child);
  return pid;
}

// Wait for a child process to exit; returns its pid (status stored at user address addr if
// non-zero), -ECHILD if there are no children, -EINTR if killed meanwhile, -EFAULT for a bad
// addr.  Any thread of a process may wait for any of its children.
int
wait(uint64 addr)
{
  struct proc *p = myproc();

  acquire(&wait_lock);
  struct proc *g = p->leader;
  for(;;){
    int children = 0;
    for(struct proc *q = proc; q < &proc[NPROC]; q++){
      if(q->parent != g)
        continue;
      children++;
      acquire(&q->lock);
      int status, r = reap(q, &status);
      release(&q->lock);
      if(r != 0){
        release(&wait_lock);
        if(addr != 0 && copyout(p->mm->pagetable, addr, (char *)&status, sizeof(status)) != 0)
          return -EFAULT;           // the child is gone all the same, as in Linux
        return r;
      }
    }
    if(children == 0 || killed(p)){
      release(&wait_lock);
      return children == 0 ? -ECHILD : -EINTR;
    }
    sleep(g, &wait_lock);   // exit() of a child's last thread wakes us
  }
}

// Wait for thread tid (0: any) of the current process to end; store its status at user address
// addr (unless 0), free it and return its tid.  -EDEADLK for the caller itself, -EINVAL for
// the main thread (it is the process: its parent reaps it), -ESRCH for no such thread, -ECHILD
// for tid 0 with no other thread, -EINTR if killed meanwhile, -EFAULT for a bad addr.
int
join(int tid, uint64 addr)
{
  struct proc *p = myproc();
  if(tid < 0)
    return -ESRCH;

  acquire(&wait_lock);
  struct proc *g = p->leader;
  int err = 0, status = 0;
  for(;;){
    int threads = 0;
    for(struct proc *q = proc; q < &proc[NPROC] && err == 0; q++){
      if(q->leader != g || (tid != 0 && q->pid != tid) || (tid == 0 && (q == g || q == p)))
        continue;
      if(q == p){
        err = -EDEADLK;
        break;
      }
      if(q == g){
        err = -EINVAL;
        break;
      }
      threads++;
      acquire(&q->lock);
      if(q->state == ZOMBIE){
        err = q->pid;
        status = q->xstate;
        add_rusage(&g->tru, &q->ru);
        freeproc(q);
      }
      release(&q->lock);
    }
    if(err == 0 && threads == 0)
      err = tid ? -ESRCH : -ECHILD;
    if(err == 0 && killed(p))
      err = -EINTR;
    if(err != 0){
      release(&wait_lock);
      if(err > 0 && addr != 0 &&
         copyout(p->mm->pagetable, addr, (char *)&status, sizeof(status)) != 0)
        return -EFAULT;             // (as reap(): copied after the locks)
      return err;
    }
    sleep(g, &wait_lock);   // thread_exit() wakes us
  }
}

// exec(): end every other thread of the calling thread's process and free them, so that the
// new program starts with one thread, which takes over the process's identity (pid, parent,
// children) if it was not the leader.  0, or -EINTR if the process is being killed (exec must
// fail; the caller exits on its way out).  Call with no locks held.
int
de_thread(void)
{
  struct proc *p = myproc();
  acquire(&wait_lock);
  struct proc *g = p->leader;
  if(g->group_exit){
    release(&wait_lock);
    return -EINTR;
  }
  g->group_exit = GROUP_EXEC;
  kill_threads(g, p);
  while(!group_ended(g, p))
    sleep(g, &wait_lock);
  for(struct proc *q = proc; q < &proc[NPROC]; q++){
    if(q->leader != g || q == p || q == g)
      continue;
    acquire(&q->lock);
    add_rusage(&g->tru, &q->ru);
    freeproc(q);
    release(&q->lock);
  }
  if(p != g){
    // Become the process: its pid, parent, children and totals; the old leader goes.
    acquire(&g->lock);
    int pid = g->pid;
    p->parent = g->parent;
    p->cru = g->cru;
    p->tru = g->tru;
    add_rusage(&p->tru, &g->ru);
    for(struct proc *q = proc; q < &proc[NPROC]; q++)
      if(q->parent == g)
        q->parent = p;
    freeproc(g);
    release(&g->lock);
    acquire(&p->lock);
    p->pid = pid;
    release(&p->lock);
  }
  p->leader = p;
  p->nthreads = 1;
  p->group_exit = 0;
  release(&wait_lock);
  return 0;
}

// The rusage of the calling thread's process: its live threads' counts and those of the
// threads that ended.
void
proc_rusage(struct rusage *out)
{
  acquire(&wait_lock);
  struct proc *g = myproc()->leader;
  *out = g->tru;
  for(struct proc *q = proc; q < &proc[NPROC]; q++)
    if(q->leader == g)
      add_rusage(out, &q->ru);    // another thread's counts may be moving: a snapshot
  release(&wait_lock);
}

// Ask process pid (or the process of thread pid) to exit: every thread of it is killed.  Each
// does so when it next crosses the user/kernel boundary or notices in a sleep loop.  0, or
// -ESRCH.
int
kill(int pid)
{
  acquire(&wait_lock);
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    int match = p->pid == pid && p->state != UNUSED && p->leader != 0;
    release(&p->lock);
    if(match){
      kill_threads(p->leader, 0);
      release(&wait_lock);
      return 0;
    }
  }
  release(&wait_lock);
  return -ESRCH;
}

void
setkilled(struct proc *p)
{
  acquire(&p->lock);
  p->killed = 1;
  release(&p->lock);
}

// Has p been killed?  A flag that only ever goes from 0 to 1, so reading it needs no lock.
int
killed(struct proc *p)
{
  return __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);
}

// ---- scheduling ------------------------------------------------------------------------------------

// Run every RUNNABLE process once.  Returns how many ran.  Called with interrupts off.
static int
run_round(struct cpu *c)
{
  int ran = 0;
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    if(p->state == RUNNABLE){
      // The process releases p->lock (forkret, or after its sched()) and re-takes it
      // before switching back here.
      __atomic_store_n(&hart_idle[cpuid()], 0, __ATOMIC_RELAXED);
      p->state = RUNNING;
      c->proc = p;
      swtch(&c->scheduler, &p->context);
      c->proc = 0;
      ran++;
    }
    release(&p->lock);
  }
  return ran;
}

// Each hart's scheduler loop, on its boot stack; never returns.
void
scheduler(void)
{
  struct cpu *c = mycpu();
  c->proc = 0;
  for(;;){
    // Take any interrupt that is pending (a device may be about to wake someone up), then
    // look for work with interrupts off.  If there is none, wait for an interrupt: wfi
    // returns as soon as one is pending, even with interrupts off, so none can slip in
    // between the search and the wfi.
    // hart_idle, set before the search, tells a hart that makes a process RUNNABLE meanwhile to
    // wake us (kick_idle_harts): either our search sees its process or it sees our flag.
    intr_on();
    intr_off();
    __atomic_store_n(&hart_idle[cpuid()], 1, __ATOMIC_RELAXED);
    __sync_synchronize();
    if(run_round(c) == 0)
      wfi();
    __atomic_store_n(&hart_idle[cpuid()], 0, __ATOMIC_RELAXED);
  }
}

// A process became RUNNABLE: wake the harts idling in the scheduler's wfi, so that one of
// them runs it now instead of at its next timer tick (a thread woken by another, a new
// thread or child).  It is the interrupt TLB shootdowns use (CLINT msip, mvec.S, SSIP), which
// does nothing else here.
static void
kick_idle_harts(void)
{
  __sync_synchronize();           // the RUNNABLE before the reads of idle (see scheduler)
  for(int h = 0; h < NCPU; h++)
    if(__atomic_load_n(&hart_idle[h], __ATOMIC_RELAXED))
      *(volatile uint32 *)CLINT_MSIP(h) = 1;
}

// Switch from the current process's kernel thread to this hart's scheduler.  The caller holds
// p->lock (and no other lock) and has already changed p->state.
void
sched(void)
{
  struct proc *p = myproc();
  struct cpu *c = mycpu();

  if(!holding(&p->lock))
    panic("sched: p->lock not held");
  if(c->off_depth != 1)
    panic("sched: other locks held");
  if(p->state == RUNNING)
    panic("sched: process still RUNNING");
  if(intr_enabled())
    panic("sched: interrupts enabled");

  // intr_was_on belongs to this kernel thread, not to the hart: carry it across.
  int was_on = c->intr_was_on;
  swtch(&p->context, &c->scheduler);
  mycpu()->intr_was_on = was_on;   // possibly on another hart now
}

// Give up the hart for one scheduling round.
void
yield(void)
{
  struct proc *p = myproc();
  acquire(&p->lock);
  p->state = RUNNABLE;
  sched();
  release(&p->lock);
}

// Atomically release lk and sleep on chan; re-acquire lk when woken.  Holding p->lock from
// before lk is released until the switch means a wakeup(chan) cannot slip in between.
void
sleep(void *chan, struct spinlock *lk)
{
  struct proc *p = myproc();

  acquire(&p->lock);
  release(lk);

  p->chan = chan;
  p->state = SLEEPING;
  sched();
  p->chan = 0;

  release(&p->lock);
  acquire(lk);
}

// Make every process sleeping on chan RUNNABLE.  Call without any p->lock held.
void
wakeup(void *chan)
{
  struct proc *me = myproc();
  int woke = 0;
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    // A sleeper on chan released the caller's lock after it left UNUSED, so a slot that reads
    // UNUSED now holds no such sleeper: skip it without its lock.
    if(p == me || __atomic_load_n(&p->state, __ATOMIC_RELAXED) == UNUSED)
      continue;
    acquire(&p->lock);
    if(p->state == SLEEPING && p->chan == chan){
      p->state = RUNNABLE;
      woke = 1;
    }
    release(&p->lock);
  }
  if(woke)
    kick_idle_harts();
}

// ---- copying for code that serves both user and kernel buffers -------------------------------------

// Copy to a user address (user_dst set) or a kernel address.  0, or -EFAULT.
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  if(user_dst)
    return copyout(myproc()->mm->pagetable, dst, src, len);
  memmove((void *)dst, src, len);
  return 0;
}

// Copy from a user address (user_src set) or a kernel address.  0, or -EFAULT.
int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  if(user_src)
    return copyin(myproc()->mm->pagetable, dst, src, len);
  memmove(dst, (void *)src, len);
  return 0;
}

// ---- debugging ---------------------------------------------------------------------------------------

// List the processes on the console (^P).  Takes no locks, so it works even when the
// system is wedged; the listing may then be slightly inconsistent.
void
procdump(void)
{
  static const char *state_names[] = {
    [UNUSED] = "unused", [USED] = "used", [SLEEPING] = "sleep",
    [RUNNABLE] = "runble", [RUNNING] = "run", [ZOMBIE] = "zombie",
  };

  printf("\n");
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    if(p->state == UNUSED)
      continue;
    const char *st = "???";
    if(p->state < NELEM(state_names) && state_names[p->state])
      st = state_names[p->state];
    printf("%d %s %s\n", p->pid, st, p->name);
  }
}

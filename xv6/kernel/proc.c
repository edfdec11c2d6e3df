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
#include "errno.h"
#include "defs.h"
#include "initcode.h"

struct cpu cpus[NCPU];

static struct proc proc[NPROC];
static struct proc *initproc;

static int nextpid = 1;

// Guards every p->parent, and stands between a parent's wait() sleeping and a child's exit()
// waking it.  Taken before any p->lock.
static struct spinlock wait_lock;

extern char trampoline[];   // trampoline.S

static void forkret(void);

// ---- harts ---------------------------------------------------------------------------------------

// This hart's id.  Call with interrupts off, or the thread could move to another hart between
// reading it and using it.
int
cpuid(void)
{
  return read_tp();
}


// ---- the process table ----------------------------------------------------------------------------

// Allocate a page for each process slot's kernel stack and map it high in the kernel's
// address space, with an unmapped guard page below each.
void
proc_mapstacks(pagetable_t kpgtbl)
{
  for(int i = 0; i < NPROC; i++){
    char *pa = kalloc();
    if(pa == 0)
      panic("proc_mapstacks: out of memory");
    kvmmap(kpgtbl, KSTACK(i), (uint64)pa, PGSIZE, PTE_R | PTE_W);
  }
}

void
procinit(void)
{
  initlock(&wait_lock, "wait_lock");
  for(int i = 0; i < NPROC; i++){
    struct proc *p = &proc[i];
    initlock(&p->lock, "proc");
    initsleeplock(&p->vmlock, "vm");
    p->state = UNUSED;
    p->kstack = KSTACK(i);
  }
}

static int
allocpid(void)
{
  return __atomic_fetch_add(&nextpid, 1, __ATOMIC_RELAXED);
}

// A new user page table holding only the trampoline and p's trap frame (both without PTE_U).
// 0 if out of memory.
pagetable_t
proc_pagetable(struct proc *p)
{
  pagetable_t pt = uvmcreate();
  if(pt == 0)
    return 0;
  if(mappages(pt, TRAMPOLINE, PGSIZE, (uint64)trampoline, PTE_R | PTE_X) != 0){
    uvmfree(pt, 0, 0);
    return 0;
  }
  if(mappages(pt, TRAPFRAME, PGSIZE, (uint64)p->trapframe, PTE_R | PTE_W) != 0){
    uvmunmap(pt, TRAMPOLINE, 1, 0);
    uvmfree(pt, 0, 0);
    return 0;
  }
  return pt;
}

// Free a user page table and the user memory [start, sz) it maps (not the trap frame).
void
proc_freepagetable(pagetable_t pagetable, uint64 start, uint64 sz)
{
  uvmunmap(pagetable, TRAMPOLINE, 1, 0);
  uvmunmap(pagetable, TRAPFRAME, 1, 0);
  uvmfree(pagetable, start, sz);
}

// Return a slot to UNUSED, freeing everything it owns.  Caller holds p->lock.
static void
freeproc(struct proc *p)
{
  if(p->vmas.n)
    panic("freeproc: regions still mapped");   // exit() or fork() unmapped them
  if(p->pagetable)
    proc_freepagetable(p->pagetable, p->ustart, p->sz);
  memset(&p->ru, 0, sizeof(p->ru));
  memset(&p->cru, 0, sizeof(p->cru));
  if(p->trapframe)
    kfree(p->trapframe);
  p->pagetable = 0;
  p->trapframe = 0;
  p->sz = 0;
  p->ustart = 0;
  p->pid = 0;
  p->parent = 0;
  p->name[0] = 0;
  p->chan = 0;
  p->killed = 0;
  p->xstate = 0;
  p->state = UNUSED;
}

// Claim an UNUSED slot and give it a pid, a trap frame, a page table with nothing user-visible
// yet, and a kernel thread that will start in forkret().  Returns it with p->lock held, or 0
// if the table is full or memory is short.
static struct proc*
allocproc(void)
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
  if(p->trapframe)
    memset(p->trapframe, 0, PGSIZE);
  p->pagetable = p->trapframe ? proc_pagetable(p) : 0;
  if(p->pagetable == 0){
    freeproc(p);
    release(&p->lock);
    return 0;
  }

  memset(&p->context, 0, sizeof(p->context));
  p->context.ra = (uint64)forkret;
  p->context.sp = p->kstack + PGSIZE;
  return p;
}

// ---- the first process ----------------------------------------------------------------------------

// Create the first user process, running initcode (user/initcode.S), which execs /init.
void
userinit(void)
{
  struct proc *p = allocproc();
  if(p == 0)
    panic("userinit: no process slot");
  initproc = p;

  // initcode's text at 0, then one page of stack above it.
  uint64 codesz = PGROUNDUP(sizeof(initcode));
  uint64 sz = uvmalloc(p->pagetable, 0, codesz + PGSIZE, PTE_W | PTE_X);
  if(sz == 0 || copyout(p->pagetable, 0, (char *)initcode, sizeof(initcode)) != 0)
    panic("userinit: cannot load initcode");
  p->sz = sz;

  p->trapframe->epc = 0;
  p->trapframe->sp = sz;
  safestrcpy(p->name, "initcode", sizeof(p->name));
  // p->cwd is set in forkret(), once the file system is ready.

  p->state = RUNNABLE;
  release(&p->lock);
}

// A new process's kernel thread starts here, on its first schedule, still holding p->lock
// from the scheduler.
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

  usertrapret();
}

// ---- fork, exit, wait, kill ----------------------------------------------------------------------

// Change the size of the current process's memory by n bytes.  0, or -ENOMEM.
int
growproc(int n)
{
  struct proc *p = myproc();
  uint64 sz = p->sz;

  if(n > 0){
    if(sz + n < sz || vma_overlaps(&p->vmas, PGROUNDUP(sz), PGROUNDUP(sz + n)))
      return -ENOMEM;   // the heap may not grow into an mmap region
    vm_reclaim_if_low();
    // Refuse at once what cannot fit, rather than fill all of memory and give it back; and
    // leave RECLAIM_LOW pages for page faults (programs are demand-paged: a process that took
    // every page could not even run the rest of its own code).
    uint64 want = (PGROUNDUP(sz + n) - PGROUNDUP(sz)) / PGSIZE;
    if(want + RECLAIM_LOW > kfreepages() + pc_reclaimable())
      return -ENOMEM;
    uint64 newsz = uvmalloc(p->pagetable, sz, sz + n, PTE_W);
    for(int tries = 0; newsz == 0 && tries < 3; tries++){
      vm_reclaim();               // no memory after all: take file pages back, try again
      newsz = uvmalloc(p->pagetable, sz, sz + n, PTE_W);
    }
    if(newsz == 0)
      return -ENOMEM;
    sz = newsz;
  } else if(n < 0){
    if((uint64)-(int64)n > sz - p->ustart)
      return -ENOMEM;   // not below the stack and heap: the image is mmap regions
    sz = uvmdealloc(p->pagetable, sz, sz + n);
  }
  p->sz = sz;
  return 0;
}

// Create a child that is a copy of the current process and returns 0 from the same fork().
// The parent gets the child's pid, or -EAGAIN / -ENOMEM.
int
fork(void)
{
  struct proc *parent = myproc();
  struct proc *child = allocproc();
  if(child == 0)
    return -EAGAIN;
  // The child is USED, not RUNNABLE: nobody else touches it until we say so, and sharing its
  // mappings may sleep (file references), so let go of its lock meanwhile.
  release(&child->lock);

  int err = uvmcopy(parent->pagetable, child->pagetable, parent->ustart, parent->sz);
  if(err == 0){
    child->ustart = parent->ustart;
    child->sz = parent->sz;
    acquiresleep(&parent->vmlock);
    acquiresleep(&child->vmlock);
    err = vma_copy(parent, child);   // releases what it shared if it fails
    releasesleep(&child->vmlock);
    releasesleep(&parent->vmlock);
  }
  sfence_vma();                      // the parent's writable pages became copy-on-write
  if(err){
    acquire(&child->lock);
    freeproc(child);
    release(&child->lock);
    return -ENOMEM;
  }
  *child->trapframe = *parent->trapframe;
  child->trapframe->a0 = 0;        // fork() returns 0 in the child

  for(int fd = 0; fd < NOFILE; fd++){
    if(parent->ofile[fd])
      child->ofile[fd] = filedup(parent->ofile[fd]);
  }
  child->cwd = idup(parent->cwd);
  safestrcpy(child->name, parent->name, sizeof(child->name));
  int pid = child->pid;

  acquire(&wait_lock);
  child->parent = parent;
  release(&wait_lock);

  acquire(&child->lock);
  child->state = RUNNABLE;
  release(&child->lock);
  return pid;
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

// Terminate the current process with `status`.  It stays a ZOMBIE until its parent wait()s.
void
exit(int status)
{
  struct proc *p = myproc();
  if(p == initproc)
    panic("exit: init exited");

  for(int fd = 0; fd < NOFILE; fd++){
    if(p->ofile[fd]){
      fileclose(p->ofile[fd]);
      p->ofile[fd] = 0;
    }
  }
  begin_op();
  iput(p->cwd);
  end_op();
  p->cwd = 0;
  acquiresleep(&p->vmlock);
  vma_unmap_all(p, p->pagetable);   // write back and give the mmap pages back now
  releasesleep(&p->vmlock);

  acquire(&wait_lock);
  reparent(p);
  wakeup(p->parent);   // the parent may be in wait()

  acquire(&p->lock);
  p->xstate = status;
  p->state = ZOMBIE;
  release(&wait_lock);

  sched();             // never comes back: the parent frees the slot
  panic("exit: zombie ran again");
}

// If `child` (whose p->lock the caller holds) has exited, store its status at user address
// addr (unless 0), free it and return its pid.  0 if it is still alive, -EFAULT for a bad addr.
static int
reap(struct proc *child, uint64 addr)
{
  if(child->state != ZOMBIE)
    return 0;
  if(addr != 0 && copyout(myproc()->pagetable, addr, (char *)&child->xstate,
                          sizeof(child->xstate)) != 0)
    return -EFAULT;
  int pid = child->pid;
  // The parent's children's totals gain the child's own and its children's (every field of
  // struct rusage is a uint64 count).
  uint64 *to = (uint64 *)&myproc()->cru;
  for(int i = 0; i < sizeof(struct rusage) / sizeof(uint64); i++)
    to[i] += ((uint64 *)&child->ru)[i] + ((uint64 *)&child->cru)[i];
  freeproc(child);
  return pid;
}

// Wait for a child to exit; returns its pid (status stored at user address addr if non-zero),
// -ECHILD if there are no children, -EINTR if killed meanwhile, -EFAULT for a bad addr.
int
wait(uint64 addr)
{
  struct proc *p = myproc();

  acquire(&wait_lock);
  for(;;){
    int children = 0;
    for(struct proc *q = proc; q < &proc[NPROC]; q++){
      if(q->parent != p)
        continue;
      children++;
      acquire(&q->lock);
      int r = reap(q, addr);
      release(&q->lock);
      if(r != 0){
        release(&wait_lock);
        return r;
      }
    }
    if(children == 0 || killed(p)){
      release(&wait_lock);
      return children == 0 ? -ECHILD : -EINTR;
    }
    sleep(p, &wait_lock);   // exit() of a child wakes us
  }
}

// Ask process pid to exit.  It does so when it next crosses the user/kernel boundary or
// notices in a sleep loop.  0, or -ESRCH.
int
kill(int pid)
{
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    if(p->pid == pid && p->state != UNUSED){
      p->killed = 1;
      if(p->state == SLEEPING)
        p->state = RUNNABLE;   // let it notice
      release(&p->lock);
      return 0;
    }
    release(&p->lock);
  }
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
    intr_on();
    intr_off();
    if(run_round(c) == 0)
      wfi();
  }
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
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    // A sleeper on chan released the caller's lock after it left UNUSED, so a slot that reads
    // UNUSED now holds no such sleeper: skip it without its lock.
    if(p == me || __atomic_load_n(&p->state, __ATOMIC_RELAXED) == UNUSED)
      continue;
    acquire(&p->lock);
    if(p->state == SLEEPING && p->chan == chan)
      p->state = RUNNABLE;
    release(&p->lock);
  }
}

// ---- copying for code that serves both user and kernel buffers -------------------------------------

// Copy to a user address (user_dst set) or a kernel address.  0, or -EFAULT.
int
either_copyout(int user_dst, uint64 dst, void *src, uint64 len)
{
  if(user_dst)
    return copyout(myproc()->pagetable, dst, src, len);
  memmove((void *)dst, src, len);
  return 0;
}

// Copy from a user address (user_src set) or a kernel address.  0, or -EFAULT.
int
either_copyin(void *dst, int user_src, uint64 src, uint64 len)
{
  if(user_src)
    return copyin(myproc()->pagetable, dst, src, len);
  memmove(dst, (void *)src, len);
  return 0;
}

// Call fn(p, arg) for every process slot in use, without holding any lock: a process may exit
// meanwhile (fn then sees what is left of it).  For scans that must sleep.
void
proc_foreach(void (*fn)(struct proc *, void *), void *arg)
{
  for(struct proc *p = proc; p < &proc[NPROC]; p++){
    acquire(&p->lock);
    int used = p->state != UNUSED;
    release(&p->lock);
    if(used)
      fn(p, arg);
  }
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

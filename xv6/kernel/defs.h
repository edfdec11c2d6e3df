// Every kernel function used outside its own file, grouped by the file that defines it.
// Conventions: functions that can fail for a user-visible reason return -errno (see errno.h);
// broken kernel invariants panic("fn: why").
#ifndef XV6_DEFS_H
#define XV6_DEFS_H

struct buf;
struct context;
struct file;
struct inode;
struct pipe;
struct proc;
struct spinlock;
struct sleeplock;
struct rwsem;
struct mm;
struct fdtable;
struct released;
struct stat;
struct superblock;
struct page;
struct rusage;
struct vmstat;

// bio.c -- buffer cache of disk blocks
void            binit(void);
struct buf*     bread(uint dev, uint blockno);
struct buf*     bread_overwrite(uint dev, uint blockno);
struct pageio;
struct disk_batch;
void            bio_page(struct disk_batch *bt, uint dev, struct pageio *pg, int write);
void            brelse(struct buf *b);
void            bwrite(struct buf *b);
void            bpin(struct buf *b);
void            bunpin(struct buf *b);

// console.c -- the console device (major CONSOLE) on top of the UART
void            consoleinit(void);
void            consoleintr(int c);
void            consputc(int c);

// exec.c
int             exec(char *path, char **argv);

// file.c -- open-file table and the devsw[] switch
struct file*    filealloc(void);
void            fileclose(struct file *f);
struct file*    filedup(struct file *f);
void            fileinit(void);
int             fileread(struct file *f, uint64 addr, int n);
int             filestat(struct file *f, uint64 addr);
int             filewrite(struct file *f, uint64 addr, int n);
struct file*    shmalloc(uint npages);
struct file*    fileopen_image(struct inode *ip);
int             fileresize(struct file *f, uint64 length);

// fdtable.c -- file descriptors, shared by threads
void            fdtinit(void);
struct fdtable* fdt_alloc(void);
struct fdtable* fdt_copy(struct fdtable *from);
void            fdt_get(struct fdtable *t);
void            fdt_put(struct fdtable *t);
struct file*    fd_file(int fd);
void            fd_release_held(struct proc *p);
int             fd_install(struct file *f);
struct file*    fd_take(int fd);

// mm.c -- address spaces, shared by threads
void            mminit(void);
pagetable_t     mm_new_pagetable(void);
struct mm*      mm_alloc(void);
void            mm_get(struct mm *mm);
void            mm_put(struct mm *mm);
void            mm_foreach(void (*fn)(struct mm *, void *), void *arg);

// fs.c -- inodes, directories, path names
void            fsinit(int dev);
int             fs_readonly(void);
int             dirlink(struct inode *dp, char *name, uint inum);
struct inode*   dirlookup(struct inode *dp, char *name, uint *poff);
struct inode*   ialloc(uint dev, short type);
struct inode*   idup(struct inode *ip);
void            iinit(void);
void            ilock(struct inode *ip);
void            iput(struct inode *ip);
void            iunlock(struct inode *ip);
void            iunlockput(struct inode *ip);
void            iupdate(struct inode *ip);
int             namecmp(const char *s, const char *t);
struct inode*   namei(char *path);
struct inode*   nameiparent(char *path, char *name);
int             readi(struct inode *ip, int user_dst, uint64 dst, uint off, uint n);
void            stati(struct inode *ip, struct stat *st);
int             writei(struct inode *ip, int user_src, uint64 src, uint off, uint n);
void            itrunc(struct inode *ip);
void            itruncate(struct inode *ip, uint size);
struct inode*   iget_ref(uint dev, uint inum);
int             get_write_access(struct inode *ip);
void            put_write_access(struct inode *ip);
int             deny_write_access(struct inode *ip);
void            allow_write_access(struct inode *ip);
int             write_denied(struct inode *ip);
void            readpages(struct inode *ip, uint index, char **dst, int n);
int             writepages(struct inode *ip, uint64 *pa, int n);
// ... the same lookups reporting why they failed: 0 and the inode in *ipp, or -errno
int             ialloc_err(uint dev, short type, struct inode **ipp);
int             dirlookup_err(struct inode *dp, char *name, uint *poff, struct inode **ipp);
int             namei_err(char *path, struct inode **ipp);
int             nameiparent_err(char *path, char *name, struct inode **ipp);

// kalloc.c -- physical page allocator, struct page and the reference counts of user pages
struct page_cache_ops;
void*           kalloc(void);
void            kfree(void *pa);
void            kinit(void);
uint64          kfreepages(void);
uint64          ktotalpages(void);
void*           kalloc_huge(void);
void            kfree_huge(void *pa);
int             khuge_available(void);
struct page*    pa2page(uint64 pa);
uint64          page2pa(struct page *pg);
void            kalloc_set_cache(const struct page_cache_ops *ops);
void            page_dup(uint64 pa);
void            page_put(uint64 pa);
int             page_refs(uint64 pa);

// pcache.c -- the page cache (page.h)
#define PC_HIT   0      // pc_get*: the page was cached
#define PC_READ  1      //          read from disk now
#define PC_ZERO  2      //          a new zero-filled shared anonymous page
#define PC_LOCKED 0x1   // pc_get flags: caller holds the inode's lock
#define PC_NOIO   0x2   //               do not read from disk (-EAGAIN instead)
#define PC_RANDOM 0x4   //               read just the page asked for (no readahead)
void            pcinit(void);
int             page_cached(uint64 pa);
int             page_still_cached(uint64 pa);
int             page_exclusive(uint64 pa);
int             page_dirty(uint64 pa);
int             pc_get(struct inode *ip, uint index, int flags, uint64 *pap);
int             pc_cached(struct inode *ip, uint index);
uint            pc_find_pages(struct inode *ip, uint index, uint n, uint want, uint64 *pa);
void            pc_note_faultaround(int n);
int             pc_cached_shm(uint id, uint index);
int             pc_get_shm(uint id, uint index, int huge, uint64 *pap);
void            pc_update(struct inode *ip, uint off, char *src, uint n);
void            pc_drop(uint dev, uint inum, uint from, uint to);
void            pc_truncate(struct inode *ip, uint newsize);
void            pc_set_dirty(uint64 pa);
int             pc_writeback(struct inode *ip, uint64 pa);
int             pc_writeback_pages(struct inode *ip, uint64 *pa, int n);
uint            pc_index(uint64 pa);
int             pc_sync_inode(struct inode *ip);
int             pc_sync_range(struct inode *ip, uint from, uint to);
int             pc_sync_all(void);
uint64          pc_reclaimable(void);
void            pc_note_sweep(uint64 n);
void            pc_stats(struct vmstat *st);

// log.c -- write-ahead log: every FS system call is one transaction
void            initlog(int dev, struct superblock *sb);
void            log_write(struct buf *b);
void            begin_op(void);
void            end_op(void);

// pipe.c
int             pipealloc(struct file **f0, struct file **f1);
void            pipeclose(struct pipe *pi, int writable);
int             piperead(struct pipe *pi, uint64 addr, int n);
int             pipewrite(struct pipe *pi, uint64 addr, int n);

// printf.c
int             printf(char *fmt, ...) __attribute__((format(printf, 1, 2)));
void            panic(char *s) __attribute__((noreturn));
void            printfinit(void);
int             panic_elsewhere(void);   // another hart is panicking: stop console output

// proc.c -- processes and the scheduler
int             cpuid(void);
void            exit(int status) __attribute__((noreturn));
int             fork(void);
int             growproc(int n, uint64 *old_end);
int             clone(uint64 fn, uint64 arg, uint64 stack, uint64 ret);
int             join(int tid, uint64 addr);
void            thread_exit(int status) __attribute__((noreturn));
int             de_thread(void);
void            proc_rusage(struct rusage *out);
void            proc_mapstacks(pagetable_t kpgtbl);
pagetable_t     proc_pagetable(struct proc *p);
void            proc_freepagetable(struct proc *p, pagetable_t pagetable);
int             kill(int pid);
int             killed(struct proc *p);
void            setkilled(struct proc *p);
void            procinit(void);
void            scheduler(void) __attribute__((noreturn));
void            sched(void);
void            sleep(void *chan, struct spinlock *lk);
void            userinit(void);
int             wait(uint64 addr);
void            wakeup(void *chan);
void            yield(void);
int             either_copyout(int user_dst, uint64 dst, void *src, uint64 len);
int             either_copyin(void *dst, int user_src, uint64 src, uint64 len);
void            procdump(void);

// swtch.S
void            swtch(struct context *old, struct context *new);

// spinlock.c
void            acquire(struct spinlock *lk);
int             holding(struct spinlock *lk);
void            initlock(struct spinlock *lk, char *name);
void            release(struct spinlock *lk);
void            push_off(void);
void            pop_off(void);

// sleeplock.c
void            acquiresleep(struct sleeplock *lk);
void            releasesleep(struct sleeplock *lk);
int             holdingsleep(struct sleeplock *lk);
void            initsleeplock(struct sleeplock *lk, char *name);
void            initrwsem(struct rwsem *rw, char *name);
void            down_read(struct rwsem *rw);
int             down_read_trylock(struct rwsem *rw);
void            up_read(struct rwsem *rw);
void            down_write(struct rwsem *rw);
void            up_write(struct rwsem *rw);

// string.c
int             memcmp(const void *a, const void *b, uint n);
void            zero_page(void *pa);
void            copy_page(void *dst, const void *src);
void*           memmove(void *dst, const void *src, uint n);
void*           memset(void *dst, int c, uint n);
char*           safestrcpy(char *dst, const char *src, int n);
int             strlen(const char *s);
int             strncmp(const char *a, const char *b, uint n);
char*           strncpy(char *dst, const char *src, int n);

// syscall.c -- argument fetching: argstr/fetchstr return the length or -errno (-EFAULT,
// -ENAMETOOLONG); fetchaddr returns 0 or -EFAULT
void            argint(int n, int *ip);
void            argaddr(int n, uint64 *ip);
int             argstr(int n, char *buf, int max);
int             fetchstr(uint64 addr, char *buf, int max);
int             fetchaddr(uint64 addr, uint64 *ip);
void            syscall(void);

// trap.c
extern uint     ticks;
extern struct spinlock tickslock;
void            trapinit(void);
void            trapinithart(void);
void            usertrapret(void);

// uart.c
void            uartinit(void);
void            uartintr(void);
void            uartputc(int c);
void            uartputc_sync(int c);
int             uartgetc(void);
void            uart_rx_enable(int on);  // console flow control: stop/resume taking input

// vm.c -- page tables; copyin/copyout/copyinstr return 0 or -EFAULT (copyinstr also
// -ENAMETOOLONG when the first max bytes hold no NUL)
void            kvminit(void);
void            kvminithart(void);
void            kvmmap(pagetable_t kpgtbl, uint64 va, uint64 pa, uint64 sz, int perm);
int             mappages(pagetable_t pagetable, uint64 va, uint64 size, uint64 pa, int perm);
pagetable_t     uvmcreate(void);
void            uvmfree(pagetable_t pagetable);
void            uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int do_free);
pte_t*          walk(pagetable_t pagetable, uint64 va, int alloc);
uint64          walkaddr(pagetable_t pagetable, uint64 va);
int             copyout(pagetable_t pagetable, uint64 dstva, char *src, uint64 len);
int             copyin(pagetable_t pagetable, char *dst, uint64 srcva, uint64 len);
int             copyinstr(pagetable_t pagetable, char *dst, uint64 srcva, uint64 max);
int             uvmcheck(pagetable_t pagetable, uint64 va, uint64 len, int write);

pte_t*          walk_next(pagetable_t pagetable, uint64 *va, uint64 end);
pte_t*          walk_leaf(pagetable_t pagetable, uint64 va, int *level);
pte_t*          walk_huge(pagetable_t pagetable, uint64 va, int alloc);

// vma.c -- each process's table of mmap regions (see vma.h)
struct vma;
struct vmas;
int             vma_index(struct vmas *t, uint64 va);
struct vma*     vma_find(struct vmas *t, uint64 va);
int             vma_overlaps(struct vmas *t, uint64 start, uint64 end);
int             vma_insert(struct vmas *t, int i, struct vma *r);
void            vma_remove(struct vmas *t, int i);
int             vma_splits_at(struct vmas *t, uint64 addr);
int             vma_split(struct vmas *t, uint64 addr, int *upper);
void            vma_coalesce(struct vmas *t, uint64 start, uint64 end,
                             void (*drop)(struct vma *));
void            vma_clear(struct vmas *t);
int             vma_dup(struct vmas *from, struct vmas *to);
uint64          vma_hole(struct vmas *t, uint64 len, uint64 align, uint64 lo, uint64 hi);

// commit.c -- the commit limit: pages promised to processes (strict overcommit)
void            commitinit(void);
uint64          commit_limit(void);
int             commit_charge(uint64 npages);
void            commit_uncharge(uint64 npages);
uint64          committed_pages(void);

// mmap.c -- what mmap and friends, fork, exec and exit do to regions and their pages
int64           mmap_growsdown_start(struct proc *p, uint64 addr);
int             mmap_grow(struct proc *p, uint64 va);
int             mmap_mlock(struct proc *p, uint64 start, uint64 end, int on);
int             mmap_madvise(struct proc *p, uint64 start, uint64 end, int advice);
int             mmap_mincore(struct proc *p, uint64 start, uint64 end, uint64 vec);
uint64          mmap_create(struct proc *p, uint64 addr, uint64 len, int prot, int flags,
                            struct file *obj, uint64 off);
int             mmap_unmap(struct proc *p, uint64 start, uint64 end);
int             mmap_huge_bounds(struct proc *p, uint64 start, uint64 *end, int round);
void            mmap_unmap_all(struct proc *p, pagetable_t pt);
void            mmap_unmap_table(struct proc *p, struct vmas *t, pagetable_t pt);
int             mmap_image(struct proc *p, struct vmas *t, pagetable_t pt, uint64 start,
                           uint64 end, int prot, int flags, struct file *obj, uint64 off);
int             mmap_image_zero_tail(struct vmas *t, pagetable_t pt, uint64 va, uint from);
int             mmap_image_anon(struct proc *p, struct vmas *t, pagetable_t pt, uint64 start,
                                uint64 end, int prot, int flags, char *src, uint64 n);
int             mmap_brk(struct proc *p, uint64 brk);
int             mmap_mprotect(struct proc *p, uint64 start, uint64 end, int prot);
int             mmap_msync(struct proc *p, uint64 start, uint64 end, int flags);
void            mmap_harvest(struct proc *p, struct inode *ip);
void            mmap_harvest_all(struct inode *ip);
int             mmap_shared_files(struct proc *p, uint64 start, uint64 end, struct file **out,
                                  int max);
int             mmap_fork(struct proc *from, struct proc *to);
uint64          mmap_pagemap(struct proc *p, uint64 va);
void            mmap_truncate(struct inode *ip, uint size);

// fault.c -- page faults (scause 12, 13, 15) on user memory
int             fault_page(struct proc *p, uint64 va, uint64 cause);
int             fault_populate(struct proc *p, struct vma *r, uint64 va, int noio);
int             fault_in(pagetable_t pagetable, uint64 va, int write);

// plic.c
void            plicinit(void);
void            plicinithart(void);
int             plic_claim(void);
void            plic_complete(int irq);

// reclaim.c -- taking file pages back from processes when memory runs short
void            reclaim_if_low(void);
void            reclaim_sweep(void);

// tlb.c -- remote TLB shootdowns
void            tlb_poll(void);
void            tlb_shootdown(struct mm *mm);
void            release_add(struct released *rel, uint64 pa, struct inode *ip);
void            release_flush(struct released *rel);
uint64          tlb_shootdowns(void);

// faultaround.c
void            fault_around(struct proc *p, struct vma *r, uint64 va, uint64 bits);

// virtio_disk.c
void            virtio_disk_init(void);
void            virtio_disk_rw(struct buf *b, int write);
void            virtio_disk_intr(void);
void            virtio_disk_stats(uint64 *reads, uint64 *writes, uint64 *requests);
struct disk_batch;
void            virtio_disk_add(struct disk_batch *bt, uint blockno, uint nblocks, char *data,
                                int write);
void            virtio_disk_wait(struct disk_batch *bt);
int             virtio_disk_readonly(void);

// power.c -- the test/poweroff device
void            poweroff(int code) __attribute__((noreturn));

// number of elements in fixed-size array
#define NELEM(x) (sizeof(x) / sizeof((x)[0]))

#endif

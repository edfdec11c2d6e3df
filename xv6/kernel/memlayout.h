// Physical and virtual memory layout: QEMU virt's, which rvemu's board copies.
//
// Physical:
//   0x00100000  test/poweroff device         0x10000000  UART0 (IRQ 10)
//   0x02000000  CLINT                        0x10001000  virtio disk (IRQ 1)
//   0x0c000000  PLIC                         0x80000000  RAM: kernel text, data, then free pages
//
// Kernel virtual addresses map devices and RAM one to one, plus the trampoline page at the top
// and a guarded kernel stack per process below it.
//
// User virtual memory (per process), from 0 up:
//   text, data, bss;  one guard page;  stack;  heap (sbrk) ...  free ...  (all regions)
//   mmap regions [MMAPMIN, MMAPTOP), allocated top-down;  one unmapped page
//   NPROC trap-frame slots, one per proc slot: a thread's trap frame is mapped at the slot of
//   its struct proc, so the threads of one address space never collide (kernel-owned, not
//   user-accessible);  TRAMPOLINE page (shared code)
#ifndef XV6_MEMLAYOUT_H
#define XV6_MEMLAYOUT_H

#include "param.h"

#define TESTDEV    0x100000L
#define TESTDEV_PASS   0x5555
#define TESTDEV_FAIL   0x3333
#define TESTDEV_RESET  0x7777

#define UART0      0x10000000L
#define UART0_IRQ  10

#define VIRTIO0     0x10001000L
#define VIRTIO0_IRQ 1

#define CLINT           0x2000000L
#define CLINT_MSIP(hart) (CLINT + 4 * (hart))   // write 1: machine software interrupt on hart
#define CLINT_MTIMECMP(hart) (CLINT + 0x4000 + 8 * (hart))
#define CLINT_MTIME     (CLINT + 0xBFF8)

// PLIC; context 2*hart is the hart's M-mode, 2*hart+1 its S-mode.
#define PLIC                  0x0c000000L
#define PLIC_PRIORITY         (PLIC + 0x0)
#define PLIC_PENDING          (PLIC + 0x1000)
#define PLIC_SENABLE(hart)    (PLIC + 0x2080 + (hart) * 0x100)
#define PLIC_SPRIORITY(hart)  (PLIC + 0x201000 + (hart) * 0x2000)
#define PLIC_SCLAIM(hart)     (PLIC + 0x201004 + (hart) * 0x2000)

#define KERNBASE 0x80000000L
#define PHYSTOP_MAX (KERNBASE + 2048L * 1024 * 1024)  // the most RAM the kernel will use
#ifndef __ASSEMBLER__
extern unsigned long phystop;   // end of RAM, measured by start.c on hart 0 before main()
#endif
#define PHYSTOP  phystop                            // RAM the kernel manages: [KERNBASE, PHYSTOP)

// Highest Sv39 virtual address + 1 a user may see (one bit less than the max, to avoid
// sign-extension games).
#define MAXVA (1L << (9 + 9 + 9 + 12 - 1))

#define TRAMPOLINE (MAXVA - PGSIZE)
// Kernel stacks: KSTACK_SIZE each (two pages: the deepest path, exec -> unmap -> writeback, was
// measured at 4,024 bytes, too close to one page), with an unmapped guard page below each.
#define KSTACK_SIZE (2 * PGSIZE)
#define KSTACK(p)  (TRAMPOLINE - ((p) + 1) * (KSTACK_SIZE + PGSIZE))
#define TRAPFRAME_AT(slot)  (TRAMPOLINE - ((slot) + 1) * PGSIZE)   // proc slot's trap frame
#define TRAPFRAME  TRAPFRAME_AT(0)                                  // the highest one
#define TRAPFRAME_LOW  TRAPFRAME_AT(NPROC - 1)                      // the lowest one

// The mmap area.  mmap(0, ...) places regions top-down in [MMAPMIN, MMAPBASE); the gap between
// the heap and MMAPMIN keeps sbrk working.  A hint or MAP_FIXED may use any address from the
// top of the heap up to MMAPTOP; sbrk refuses to grow into a mapped region.  One unmapped page
// separates MMAPTOP from the trap frames.  Like Linux's mmap_base, MMAPBASE sits a gap under
// the top of the area that automatic placement leaves to fixed mappings, so a
// MAP_FIXED_NOREPLACE that overlaps the first automatic mapping and runs on above it answers
// EEXIST, not ENOMEM, as on Linux.  Linux's gap (128 MiB or more) is room for its stack; ours
// has no stack up there, and a gap of MMAPGAP keeps the first mappings in the page-table page
// the trap frames already use (a larger one would cost every process a page-table page).
#define MMAPTOP    (TRAPFRAME_LOW - PGSIZE)
#define MMAPMIN    (MAXVA / 4)
#define MMAPGAP    (64 * PGSIZE)
#define MMAPBASE   (MMAPTOP - MMAPGAP)

#endif

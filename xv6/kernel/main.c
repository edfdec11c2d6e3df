// S-mode entry for every hart (start() mrets here).  Hart 0 brings up the shared kernel state
// while the others wait; then each hart sets up its own registers and enters its scheduler.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "defs.h"

void main(void);

// Set by hart 0 once everything shared is initialised; the other harts wait for it.
static volatile int kernel_ready;

static void
init_first_hart(void)
{
  consoleinit();
  printfinit();
  printf("\nxv6 kernel is booting (%d MiB of RAM)\n\n", (int)((PHYSTOP - KERNBASE) >> 20));
  pcinit();           // page cache (kalloc reclaims from it)
  kinit();            // physical page allocator
  kvminit();          // kernel page table
  kvminithart();      // paging on
  procinit();         // process table
  mminit();           // address spaces
  fdtinit();          // file descriptor tables
  commitinit();       // commit accounting
  trapinit();
  trapinithart();     // kernel trap vector
  plicinit();         // interrupt controller: device priorities
  plicinithart();     // ... and this hart's enables
  binit();            // buffer cache
  iinit();            // inode table
  fileinit();         // open-file table
  virtio_disk_init(); // the disk
  userinit();         // first user process
}

static void
init_other_hart(void)
{
  kvminithart();
  trapinithart();
  plicinithart();
}

void
main(void)
{
  if(cpuid() == 0){
    init_first_hart();
    __sync_synchronize();
    kernel_ready = 1;
  } else {
    while(!kernel_ready)
      cpu_relax();
    __sync_synchronize();
    init_other_hart();
    printf("hart %d starting\n", cpuid());
  }
  scheduler();
}

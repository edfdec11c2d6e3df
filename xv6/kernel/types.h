// Fixed-width integer names used throughout the kernel and user space.
#ifndef XV6_TYPES_H
#define XV6_TYPES_H

typedef unsigned int   uint;
typedef unsigned short ushort;
typedef unsigned char  uchar;

typedef unsigned char      uint8;
typedef unsigned short     uint16;
typedef unsigned int       uint32;
typedef unsigned long      uint64;
typedef long               int64;

typedef uint64 pde_t;
typedef uint64 pte_t;
typedef uint64 *pagetable_t;   // 512 PTEs

#endif

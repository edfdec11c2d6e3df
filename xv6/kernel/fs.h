// On-disk file-system format (xv6's, so images are interchangeable).  The Python tools in
// rvemu/xv6fs.py carry the same definition; tests/test_xv6fs.py parses this file (and param.h)
// and fails if the two ever differ.
//
// An image is a sequence of BSIZE-byte blocks:
//   block 0            unused (rvemu's bootable-image header lives here)
//   block 1            superblock: where everything else starts
//   logstart..         write-ahead log: header block, then up to LOGSIZE data blocks
//   inodestart..       on-disk inodes, IPB per block
//   bmapstart..        free-block bitmap, one bit per block of the whole image
//   then               data blocks
#ifndef XV6_FS_H
#define XV6_FS_H

#include "param.h"          // LOGSIZE, for struct logheader

#define ROOTINO   1          // inode number of "/"
#define BSIZE     1024       // bytes per block
#define FSMAGIC   0x10203040

struct superblock {
  uint magic;        // FSMAGIC
  uint size;         // blocks in the image
  uint nblocks;      // data blocks
  uint ninodes;      // inodes
  uint nlog;         // log blocks (header included)
  uint logstart;     // first log block
  uint inodestart;   // first inode block
  uint bmapstart;    // first bitmap block
};

#define NDIRECT   12                        // direct block pointers per inode
#define NINDIRECT (BSIZE / sizeof(uint))    // pointers in the one indirect block
#define MAXFILE   (NDIRECT + NINDIRECT)     // largest file, in blocks

// Device numbers a T_DEVICE inode may hold: what its short major and minor fields store.
// mknod refuses others (EINVAL) and fsck reports them; a major without a driver in devsw[]
// (NDEV, param.h) is a valid node that open() refuses (ENXIO).
#define MAXMAJOR  32767
#define MAXMINOR  32767

struct dinode {
  short type;               // 0 = free, else T_DIR / T_FILE / T_DEVICE
  short major;              // device numbers, T_DEVICE only
  short minor;
  short nlink;              // directory entries naming this inode
  uint size;                // bytes
  uint addrs[NDIRECT + 1];  // direct blocks, then the indirect block
};

#define IPB             (BSIZE / sizeof(struct dinode))   // inodes per block
#define IBLOCK(i, sb)   ((i) / IPB + (sb).inodestart)     // block holding inode i
#define BPB             (BSIZE * 8)                       // bitmap bits per block
#define BBLOCK(b, sb)   ((b) / BPB + (sb).bmapstart)      // bitmap block for block b

#define DIRSIZ 14           // name bytes in a directory entry (NUL-padded, not terminated)

struct dirent {
  ushort inum;              // 0 = free slot
  char name[DIRSIZ];
};

// First log block: how many blocks the committed transaction holds and where each goes.
struct logheader {
  int n;
  int block[LOGSIZE];
};

#endif

// The parts of the ELF-64 format exec() reads (System V gABI, RISC-V psABI).
#ifndef XV6_ELF_H
#define XV6_ELF_H

// e_ident[] indices and values
#define EI_NIDENT    16
#define EI_CLASS     4
#define ELFCLASS64   2
#define EI_DATA      5
#define ELFDATA2LSB  1
#define EI_VERSION   6
#define EV_CURRENT   1

#define ET_EXEC      2            // e_type: executable file
#define EM_RISCV     243          // e_machine

// ELF file header.
struct elfhdr {
  uchar ident[EI_NIDENT];  // "\x7FELF", class, data, version, OS ABI, padding
  ushort type;
  ushort machine;
  uint version;
  uint64 entry;     // initial pc
  uint64 phoff;     // file offset of the program headers
  uint64 shoff;
  uint flags;
  ushort ehsize;
  ushort phentsize; // size of one program header
  ushort phnum;     // number of program headers
  ushort shentsize;
  ushort shnum;
  ushort shstrndx;
};

// Program (segment) header.
struct proghdr {
  uint32 type;
  uint32 flags;
  uint64 off;       // file offset of the segment's bytes
  uint64 vaddr;     // where they go in memory
  uint64 paddr;
  uint64 filesz;    // bytes in the file
  uint64 memsz;     // bytes in memory (the rest is zero: bss)
  uint64 align;
};

#define PT_LOAD 1

#define PF_X 1
#define PF_W 2
#define PF_R 4

#endif

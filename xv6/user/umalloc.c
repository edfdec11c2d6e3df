// malloc and free over sbrk: a free list in the style of K&R's allocator.
//
// Memory is handed out in units of one 16-byte header.  Every block, free or in use, starts
// with a header giving its length in units (header included); the caller's bytes follow it.
// Free blocks are kept on a singly linked list sorted by address, which lets free() merge a
// block with both neighbours in one pass.  malloc() takes the first block big enough and cuts
// the request from that block's end, so the list links need no update unless the fit is exact.
#include "kernel/types.h"
#include "user/user.h"

typedef struct block {
  struct block *next;   // next free block at a higher address (free blocks only)
  uint64 units;         // length of this block in units, header included
} Block;

#define UNIT       sizeof(Block)
#define MIN_GROW   (64 * 1024 / sizeof(Block))   // ask sbrk for at least 64 KiB at a time

static Block *freelist;   // lowest free block, or 0

void
free(void *ptr)
{
  if (ptr == 0)
    return;
  Block *b = (Block*)ptr - 1;

  // Find the free neighbours: prev < b < cur.
  Block *prev = 0, *cur = freelist;
  while (cur && cur < b) {
    prev = cur;
    cur = cur->next;
  }

  // Merge with the following free block if they touch.
  if (cur && b + b->units == cur) {
    b->units += cur->units;
    b->next = cur->next;
  } else {
    b->next = cur;
  }

  // Merge into the preceding free block if they touch, else link b in after it.
  if (prev && prev + prev->units == b) {
    prev->units += b->units;
    prev->next = b->next;
  } else if (prev) {
    prev->next = b;
  } else {
    freelist = b;
  }
}

// Grow the heap by at least `units` units and put the new memory on the free list.
static int
grow(uint64 units)
{
  if (units < MIN_GROW)
    units = MIN_GROW;
  if (units * UNIT > 0x7fffffffUL)
    return -1;
  // Someone may have called sbrk with an odd size: realign the break first.
  uint64 misalign = (uint64)sbrk(0) % UNIT;
  if (misalign && sbrk(UNIT - misalign) == (char*)-1)
    return -1;
  char *p = sbrk(units * UNIT);
  if (p == (char*)-1)
    return -1;
  Block *b = (Block*)p;
  b->units = units;
  free(b + 1);
  return 0;
}

void*
malloc(uint nbytes)
{
  // Units for the payload, rounded up, plus one for the header.
  uint64 need = ((uint64)nbytes + UNIT - 1) / UNIT + 1;

  for (;;) {
    Block *prev = 0;
    for (Block *b = freelist; b; prev = b, b = b->next) {
      if (b->units < need)
        continue;
      if (b->units == need) {
        // Exact fit: unlink the whole block.
        if (prev)
          prev->next = b->next;
        else
          freelist = b->next;
      } else {
        // Keep the front on the list, hand out the back.
        b->units -= need;
        b += b->units;
        b->units = need;
      }
      b->next = 0;
      return b + 1;
    }
    if (grow(need) < 0)
      return 0;
  }
}

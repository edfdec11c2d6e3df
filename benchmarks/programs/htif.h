/* The HTIF mailbox of the benchmark programs (included by their start-up .S files): `tohost`
 * and `fromhost` in a section of their own, aligned and sized, as QEMU and Spike want them. */
    .section .tohost, "aw", @progbits
    .align  6
    .globl  tohost
tohost: .dword 0
    .size   tohost, 8
    .align  6
    .globl  fromhost
fromhost: .dword 0
    .size   fromhost, 8

/* Board facts and helpers for the C board tests (QEMU virt layout). */
#include <stdint.h>

#define UART0   0x10000000UL
#define VIRTIO0 0x10001000UL
#define PLIC    0x0c000000UL
#define CLINT   0x02000000UL
#define TESTDEV 0x100000UL

#define REG8(a)  (*(volatile uint8_t *)(a))
#define REG32(a) (*(volatile uint32_t *)(a))
#define REG64(a) (*(volatile uint64_t *)(a))

#define csrr(name) ({ uint64_t v_; asm volatile("csrr %0, " #name : "=r"(v_)); v_; })
#define csrw(name, v) asm volatile("csrw " #name ", %0" :: "r"((uint64_t)(v)))
#define csrs(name, v) asm volatile("csrs " #name ", %0" :: "r"((uint64_t)(v)))

static inline void poweroff(int code)
{
    REG32(TESTDEV) = ((uint32_t)code << 16) | 0x5555;
    for (;;)
        asm volatile("wfi");
}

static inline void putc_(char c)
{
    while (!(REG8(UART0 + 5) & 0x20))
        ;
    REG8(UART0) = (uint8_t)c;
}

static inline void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

// A C program as compiled code looks to the emulator: calls, recursion, the stack, 64-bit
// multiply / divide, byte and halfword memory traffic, and console output through HTIF.
// main() returns 0 on success or the number of the first failing check.
// @isa: rv64imac
// @expect-console: hello from C|primes below 2000: 303|crc32: cbf43926|fib(90): 2880067194370816120|sorted|bye
#include "test_macros.h"

typedef unsigned long u64;
typedef long i64;
typedef unsigned int u32;
typedef unsigned char u8;

/* The compiler may emit calls to these even in freestanding code. */
void *memset(void *dst, int c, unsigned long n) {
    u8 *d = dst;
    while (n--)
        *d++ = (u8)c;
    return dst;
}

void *memcpy(void *dst, const void *src, unsigned long n) {
    u8 *d = dst;
    const u8 *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

static void put_udec(u64 v) {
    char buf[24];
    int i = 0;
    do {
        buf[i++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (i)
        rt_putchar(buf[--i]);
}

static void put_hex32(u32 v) {
    for (int shift = 28; shift >= 0; shift -= 4)
        rt_putchar("0123456789abcdef"[(v >> shift) & 15]);
}

static int count_primes(int limit) {
    static u8 composite[2000];
    int count = 0;
    for (int i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (int j = i * i; j < limit; j += i)
            composite[j] = 1;
    }
    return count;
}

static u32 crc32(const char *s) {
    u32 crc = 0xffffffffu;
    while (*s) {
        crc ^= (u8)*s++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
    }
    return ~crc;
}

static u64 fib(int n) {
    u64 a = 0, b = 1;
    while (n--) {
        u64 t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static int ackermann(int m, int n) {
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ackermann(m - 1, 1);
    return ackermann(m - 1, ackermann(m, n - 1));
}

static void insertion_sort(short *v, int n) {
    for (int i = 1; i < n; i++) {
        short x = v[i];
        int j = i - 1;
        while (j >= 0 && v[j] > x) {
            v[j + 1] = v[j];
            j--;
        }
        v[j + 1] = x;
    }
}

/* volatile operands keep the compiler from folding the arithmetic checks away */
static volatile i64 vol_a = -7, vol_b = 2, vol_zero = 0;
static volatile u64 vol_big = 0xfedcba9876543210ul;

int main(void) {
    rt_puts("hello from C\n");

    int primes = count_primes(2000);
    rt_puts("primes below 2000: ");
    put_udec((u64)primes);
    rt_putchar('\n');
    if (primes != 303)
        return 1;

    u32 crc = crc32("123456789");
    rt_puts("crc32: ");
    put_hex32(crc);
    rt_putchar('\n');
    if (crc != 0xcbf43926u)
        return 2;

    u64 f = fib(90);
    rt_puts("fib(90): ");
    put_udec(f);
    rt_putchar('\n');
    if (f != 2880067194370816120ul)
        return 3;

    if (ackermann(2, 3) != 9)
        return 4;

    if (vol_a / vol_b != -3 || vol_a % vol_b != -1)
        return 5;
    if (vol_big / 0x10 != 0x0fedcba987654321ul)
        return 6;
    if ((i64)vol_big >> 60 != -1)
        return 7;

    short v[16];
    u32 seed = 12345;
    for (int i = 0; i < 16; i++) {
        seed = seed * 1103515245u + 12345u;
        v[i] = (short)(seed >> 16);
    }
    insertion_sort(v, 16);
    for (int i = 1; i < 16; i++)
        if (v[i - 1] > v[i])
            return 8;
    rt_puts("sorted\n");

    (void)vol_zero;
    rt_puts("bye\n");
    return 0;
}

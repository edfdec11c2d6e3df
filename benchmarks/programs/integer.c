/* Integer and branch workload: a 64-bit LCG hash, recursive Fibonacci (calls and the stack),
 * and Collatz chains (data-dependent branches, division). */
#include <stdint.h>

volatile uint64_t rounds = 150;

static uint64_t fib(uint64_t n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static uint64_t collatz(uint64_t n)
{
    uint64_t steps = 0;
    while (n != 1) {
        n = (n % 2) ? 3 * n + 1 : n / 2;
        steps++;
    }
    return steps;
}

uint64_t user_main(void)
{
    uint64_t a = 1, b = 2, c = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        for (uint64_t i = 0; i < 20000; i++) {
            a = a * 6364136223846793005UL + 1442695040888963407UL;
            b ^= a >> 17;
            b += (b << 5) | (i & 7);
            c = (b & 1) ? c + a : c - b;
        }
        c += fib(18 + (r & 3));
        for (uint64_t n = 1; n < 400; n++)
            c += collatz(n + r);
    }
    return a ^ b ^ c;
}

/* Memory workload: fill, copy and checksum 256 KiB buffers word by word and byte by byte, and an
 * insertion-sort pass over a small array: loads and stores of every width. */
#include <stdint.h>

#define N (256 * 1024)
volatile uint64_t rounds = 40;
static uint8_t src[N], dst[N];
static uint32_t keys[512];

uint64_t user_main(void)
{
    uint64_t sum = 0;
    for (uint64_t r = 0; r < rounds; r++) {
        uint64_t *s = (uint64_t *)src, *d = (uint64_t *)dst;
        for (uint64_t i = 0; i < N / 8; i++)
            s[i] = i * 0x9E3779B97F4A7C15UL + r;
        for (uint64_t i = 0; i < N / 8; i++)
            d[i] = s[i] ^ (d[i] >> 1);
        for (uint64_t i = 0; i < N; i += 3)
            sum += dst[i];
        uint16_t *h = (uint16_t *)src;
        for (uint64_t i = 0; i < N / 2; i += 5)
            h[i] = (uint16_t)(h[i] + sum);
        for (uint64_t i = 0; i < 512; i++)
            keys[i] = (uint32_t)(s[i] >> 7);
        for (uint64_t i = 1; i < 512; i++) {
            uint32_t k = keys[i];
            int64_t j = (int64_t)i - 1;
            while (j >= 0 && keys[j] > k) {
                keys[j + 1] = keys[j];
                j--;
            }
            keys[j + 1] = k;
        }
        sum += keys[0] + keys[511];
    }
    return sum;
}

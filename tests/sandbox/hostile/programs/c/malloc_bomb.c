/* malloc + memset bomb: first one absurd request (must fail), then 16 MiB blocks, each
 * touched, forever. Contained: memory_limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void) {
    void *huge = malloc((size_t)1 << 40);
    printf("{\"probe\": \"malloc_1TiB\", \"ok\": %s, \"detail\": \"\"}\n", huge ? "true" : "false");
    fflush(stdout);
    size_t total = 0;
    for (;;) {
        char *block = malloc(16 << 20);
        if (block == NULL) {
            printf("{\"probe\": \"malloc_failed\", \"ok\": false, \"detail\": %zu}\n", total);
            fflush(stdout);
            return 3;
        }
        memset(block, 0x5a, 16 << 20);
        total += 16;
        if (total % 64 == 0) {
            printf("{\"probe\": \"allocated_mb\", \"ok\": true, \"detail\": %zu}\n", total);
            fflush(stdout);
        }
    }
}

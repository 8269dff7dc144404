/* Fork bomb in C: no interpreter to slow it down. Contained: the process limit stops the
 * growth, the run ends on a limit, no process survives. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("{\"probe\": \"start\", \"ok\": true, \"detail\": %d}\n", (int)getpid());
    fflush(stdout);
    for (;;) {
        fork();
    }
}

/* The 32-bit door: the same dangerous calls made through int $0x80 (the i386 ABI, with its own
 * syscall numbers), which a seccomp filter written for x86_64 numbers alone does not see.
 * Arguments are NULL or harmless, so an allowed call answers EFAULT/EINVAL or succeeds
 * harmlessly in a child. Contained: each is refused (EPERM/ENOSYS) or the child is killed. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static long int80(long number, long a, long b, long c) {
    long result;
    __asm__ volatile("int $0x80" : "=a"(result) : "a"(number), "b"(a), "c"(b), "d"(c) : "memory");
    return result;
}

static void probe(const char *name, long number, long a, long b, long c) {
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_t child = fork();
    if (child == 0) {
        long result = int80(number, a, b, c);
        if (write(fds[1], &result, sizeof result) < 0) _exit(2);
        _exit(0);
    }
    close(fds[1]);
    long result = 0;
    ssize_t got = read(fds[0], &result, sizeof result);
    close(fds[0]);
    int status = 0;
    waitpid(child, &status, 0);
    if (got != (ssize_t)sizeof result) {
        printf("{\"probe\": \"i386:%s\", \"ok\": false, \"detail\": {\"killed_by\": %d, \"errno\": null}}\n",
               name, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    } else {
        const char *error = result < 0 && result > -4096 ? strerrorname_np((int)-result) : "";
        printf("{\"probe\": \"i386:%s\", \"ok\": %s, \"detail\": {\"ret\": %ld, \"errno\": \"%s\"}}\n",
               name, result >= 0 ? "true" : "false", result, error ? error : "?");
    }
    fflush(stdout);
}

int main(void) {
#if defined(__x86_64__)
    probe("getpid", 20, 0, 0, 0);
    probe("unshare:user", 310, 0x10000000, 0, 0);
    probe("mount", 21, 0, 0, 0);
    probe("ptrace:traceme", 26, 0, 0, 0);
    probe("keyctl", 288, 0, -4, 1);
    probe("bpf", 357, 0, 0, 0);
    probe("perf_event_open", 336, 0, 0, 0);
    probe("io_uring_setup", 425, 1, 0, 0);
    probe("setuid32:0", 213, 0, 0, 0);
    probe("kexec_load", 283, 0, 0, 0);
    probe("init_module", 128, 0, 0, 0);
    probe("userfaultfd", 374, 1, 0, 0);
#else
    printf("{\"probe\": \"arch\", \"ok\": false, \"detail\": \"not x86_64\"}\n");
#endif
    return 0;
}

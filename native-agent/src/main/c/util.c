/*
 * Helpers every layer uses: the log line, the two clocks, the kernel thread id, and the table
 * of the agent's own threads (which the sampler skips). Nothing here calls other agent files.
 */
#define _GNU_SOURCE
#include "util.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_OWN 16
static atomic_int own_tids[MAX_OWN];

void cprof_log(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[cprof] %s\n", buf);
}

uint64_t now_epoch_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t now_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cprof_gettid(void) {
    return (int)syscall(SYS_gettid);
}

void cprof_register_own_tid(int tid) {
    for (int i = 0; i < MAX_OWN; i++) {
        int zero = 0;
        if (atomic_compare_exchange_strong(&own_tids[i], &zero, tid)) return;
    }
}

void cprof_unregister_own_tid(int tid) {
    for (int i = 0; i < MAX_OWN; i++) {
        int t = tid;
        if (atomic_compare_exchange_strong(&own_tids[i], &t, 0)) return;
    }
}

int cprof_is_own_tid(int tid) {
    for (int i = 0; i < MAX_OWN; i++) {
        if (atomic_load(&own_tids[i]) == tid) return 1;
    }
    return 0;
}

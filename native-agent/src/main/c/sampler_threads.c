/*
 * The table of this process's threads as sampling knows them: one slot per OS thread (found
 * by ThreadStart and by rescanning /proc/self/task), its CPU timer, whether it runs Java; and
 * the wall tick, which signals up to N of them round-robin. The signal handlers read slots
 * lock-free (slot_of); everything else holds slots_lock.
 */
#define _GNU_SOURCE
#include "sampler.h"
#include "sampler_internal.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MAX_THREADS 4096

static tslot slots[MAX_THREADS];
static atomic_int slots_hw;                 /* slots in use are below this */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

/* Async-signal-safe: a scan of the slot array with atomic loads. NULL = not a known thread. */
tslot *slot_of(int tid) {
    int hw = atomic_load_explicit(&slots_hw, memory_order_acquire);
    for (int i = 0; i < hw; i++) {
        if (atomic_load_explicit(&slots[i].tid, memory_order_relaxed) == tid) {
            return &slots[i];
        }
    }
    return NULL;
}

/* ---- thread table (slots_lock held) ---- */

static tslot *slot_find(int tid) {
    int hw = atomic_load(&slots_hw);
    for (int i = 0; i < hw; i++) {
        if (atomic_load(&slots[i].tid) == tid) {
            return &slots[i];
        }
    }
    return NULL;
}

static tslot *slot_add(int tid) {
    tslot *s = slot_find(tid);
    if (s != NULL) {
        return s;
    }
    int hw = atomic_load(&slots_hw);
    for (int i = 0; i < hw; i++) {
        if (atomic_load(&slots[i].tid) == 0) {
            s = &slots[i];
            break;
        }
    }
    if (s == NULL) {
        if (hw >= MAX_THREADS) {
            return NULL;
        }
        s = &slots[hw];
        atomic_store(&slots_hw, hw + 1);
    }
    s->has_timer = 0;
    s->seen = 1;
    atomic_store(&s->java, JAVA_UNKNOWN);
    atomic_store(&s->state, 0);
    atomic_store(&s->tid, tid);
    return s;
}

static void slot_disarm(tslot *s) {
    if (s->has_timer) {
        timer_delete(s->timer);
        s->has_timer = 0;
    }
}

static void slot_remove(tslot *s) {
    slot_disarm(s);
    atomic_store(&s->tid, 0);
}

static void slot_arm(tslot *s) {
    if (s->has_timer || !atomic_load(&g_sampling.cpu_on) || atomic_load(&g_sampling.use_itimer)) {
        return;
    }
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = CPU_SIGNAL;
    sev.sigev_value.sival_ptr = (void *)sampler_cookie;
    sev._sigev_un._tid = atomic_load(&s->tid);
    /* The CPU-time clock of another thread: MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED). */
    clockid_t clock = (clockid_t)(((~(unsigned int)sev._sigev_un._tid) << 3) | 6);
    if (timer_create(clock, &sev, &s->timer) != 0) {
        return; /* the thread is gone, or timers are unavailable (fallback decided at start) */
    }
    struct itimerspec its;
    its.it_interval.tv_sec = (time_t)(g_sampling.interval_ns / 1000000000ull);
    its.it_interval.tv_nsec = (long)(g_sampling.interval_ns % 1000000000ull);
    its.it_value = its.it_interval;
    if (timer_settime(s->timer, 0, &its, NULL) != 0) {
        timer_delete(s->timer);
        return;
    }
    s->has_timer = 1;
}

/* Adds threads that appeared, forgets those that exited (so timers never pile up). */
void rescan(int retry_no_frames) {
    DIR *d = opendir("/proc/self/task");
    if (d == NULL) {
        return;
    }
    pthread_mutex_lock(&slots_lock);
    int hw = atomic_load(&slots_hw);
    for (int i = 0; i < hw; i++) {
        slots[i].seen = 0;
        if (retry_no_frames && atomic_load(&slots[i].java) == JAVA_NO_FRAMES) {
            atomic_store(&slots[i].java, JAVA_UNKNOWN); /* it may run Java code by now */
        }
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int tid = atoi(e->d_name);
        if (tid <= 0 || cprof_is_own_tid(tid)) {
            continue;
        }
        tslot *s = slot_add(tid);
        if (s != NULL) {
            s->seen = 1;
            slot_arm(s);
        }
    }
    hw = atomic_load(&slots_hw);
    for (int i = 0; i < hw; i++) {
        int tid = atomic_load(&slots[i].tid);
        /* Gone, or one of the agent's own threads (registered after it got a slot). */
        if (tid != 0 && (!slots[i].seen || cprof_is_own_tid(tid))) {
            slot_remove(&slots[i]);
        }
    }
    pthread_mutex_unlock(&slots_lock);
    closedir(d);
}

void sampler_thread_started(int tid) {
    if (cprof_is_own_tid(tid)) {
        return;
    }
    pthread_mutex_lock(&slots_lock);
    tslot *s = slot_add(tid);
    if (s != NULL) {
        atomic_store(&s->java, 1);
        slot_arm(s);
    }
    pthread_mutex_unlock(&slots_lock);
}

void sampler_thread_ended(int tid) {
    pthread_mutex_lock(&slots_lock);
    tslot *s = slot_find(tid);
    if (s != NULL) {
        slot_remove(s);
    }
    pthread_mutex_unlock(&slots_lock);
}

/* The state letter of /proc/self/task/<tid>/stat (R, S, D, ...), 0 when unreadable. */
static int kernel_state(int tid) {
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return 0;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) {
        return 0;
    }
    buf[n] = '\0';
    char *p = strrchr(buf, ')'); /* the name may contain spaces and parentheses */
    return p != NULL && p[1] == ' ' ? p[2] : 0;
}

static int wall_candidate(const tslot *s) {
    int java = atomic_load(&s->java);
    return atomic_load(&s->tid) != 0 && java != JAVA_NOT && java != JAVA_NO_FRAMES;
}

/* Signals up to wall_per_tick threads, continuing where the last tick stopped. `elapsed` is
 * the wall time since the previous tick: on a loaded machine ticks come late, and each
 * sample must stand for the time that really passed. */
void wall_tick(int *cursor, uint64_t elapsed) {
    int pid = getpid();
    int targets[256], index[256];
    int n = 0, candidates = 0;
    pthread_mutex_lock(&slots_lock);
    int hw = atomic_load(&slots_hw);
    for (int i = 0; i < hw; i++) {
        if (wall_candidate(&slots[i])) {
            candidates++;
        }
    }
    int from = hw > 0 ? *cursor % hw : 0;
    for (int k = 0; k < hw && n < (int)g_sampling.wall_per_tick && n < 256; k++) {
        int i = (from + k) % hw;
        if (wall_candidate(&slots[i])) {
            index[n] = i;
            targets[n++] = atomic_load(&slots[i].tid);
            *cursor = i + 1; /* the next tick starts after the last thread signalled */
        }
    }
    pthread_mutex_unlock(&slots_lock);
    if (n == 0) {
        return;
    }
    /* Each thread is seen about once every candidates/n ticks: weight it accordingly. */
    atomic_store(&g_sampling.wall_weight, elapsed * (uint64_t)candidates / (uint64_t)n);
    int with_state = atomic_load(&g_sampling.wall_state_on);
    for (int i = 0; i < n; i++) {
        if (with_state) {
            /* Read here, in the sampler thread, not in the handler: the handler finds it in
             * the slot (a slot reused meanwhile by another thread just gets a stale letter). */
            atomic_store(&slots[index[i]].state, kernel_state(targets[i]));
        }
        /* Queued with cprof's value (tgkill carries none), so the handler knows it from
         * another profiler's SIGVTALRM. */
        siginfo_t info;
        memset(&info, 0, sizeof info);
        info.si_signo = WALL_SIGNAL;
        info.si_code = SI_QUEUE;
        info.si_pid = pid;
        info.si_uid = getuid();
        info.si_value.sival_ptr = (void *)sampler_cookie;
        syscall(SYS_rt_tgsigqueueinfo, pid, targets[i], WALL_SIGNAL, &info);
    }
}

void slots_disarm_all(void) {
    pthread_mutex_lock(&slots_lock);
    int hw = atomic_load(&slots_hw);
    for (int i = 0; i < hw; i++) {
        slot_disarm(&slots[i]);
    }
    pthread_mutex_unlock(&slots_lock);
}

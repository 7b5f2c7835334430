/*
 * CPU and wall sampling. CPU: one POSIX timer per thread on its CPU clock
 * (CLOCK_THREAD_CPUTIME_ID of that tid, SIGEV_THREAD_ID), so a thread is signalled once per
 * `interval` of the CPU it burns; setitimer(ITIMER_PROF) is the fallback when per-thread
 * timers cannot be created. Wall: a sampler thread signals up to N threads per tick,
 * round-robin. The signal handlers walk the stack (walker.c) into the ring; nothing else (no
 * locks, no allocation, errno preserved).
 *
 * cprof's signals carry its own si_value (the timers' sigev_value, the wall signals' queued
 * value); any other SIGPROF/SIGVTALRM goes on to the handler cprof's replaced (sigchain.c).
 */
#define _GNU_SOURCE
#include "sampler.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "buffer.h"
#include "protocol.h"
#include "sigchain.h"
#include "util.h"
#include "vm.h"
#include "walker.h"

#define CPU_SIGNAL SIGPROF
#define WALL_SIGNAL SIGVTALRM
#define MAX_THREADS 4096
#define RESCAN_NS 500000000ull
#define NO_JAVA_RETRY_RESCANS 10 /* a thread without Java frames is probed again after 5 s */

/* What a slot's thread is, as far as sampling knows. */
enum {
    JAVA_UNKNOWN = 0,
    JAVA_YES = 1,        /* has a JNIEnv */
    JAVA_NOT = 2,        /* no JNIEnv: a JVM-internal native thread (GC, VM thread) */
    JAVA_NO_FRAMES = 3   /* a JavaThread that runs no Java code (JIT compiler, service threads) */
};

/* One known OS thread of this process. tid/java are read by signal handlers. */
typedef struct {
    atomic_int tid;       /* 0 = free slot */
    atomic_int java;      /* see JAVA_* */
    atomic_int state;     /* wall: kernel state letter read just before the signal, 0 = unknown */
    int has_timer;
    timer_t timer;
    int seen;             /* rescan mark */
} tslot;

static tslot slots[MAX_THREADS];
static atomic_int slots_hw;                 /* slots in use are below this */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;

static atomic_int session_on;               /* producers may write */
static atomic_int in_flight;                /* producers currently writing */
static atomic_int cpu_on, wall_on, wall_state_on, use_itimer;
static uint64_t interval_ns;
static atomic_ullong wall_weight;
static atomic_ullong samples;
/* Handler time: the longest handler and the sum over all (for the mean), this session.
 * CLOCK_MONOTONIC through the vDSO costs tens of ns, and clock_gettime is async-signal-safe. */
static atomic_ullong handler_max_ns, handler_sum_ns, handler_count;
static uint32_t wall_per_tick;

/* The si_value of cprof's signals: its timers' and its wall ticks'. */
static const char signal_cookie[] = "cprof";

static pthread_t sampler_tid;
static int sampler_running;
static pthread_mutex_t tick_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t tick_cond;
static int tick_cond_ready;
static int stop_requested;

void sampler_block_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, CPU_SIGNAL);
    sigaddset(&set, WALL_SIGNAL);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

int sample_enter(void) {
    atomic_fetch_add(&in_flight, 1);
    if (!atomic_load(&session_on)) {
        atomic_fetch_sub(&in_flight, 1);
        return 0;
    }
    return 1;
}

void sample_exit(void) {
    atomic_fetch_sub(&in_flight, 1);
}

void sample_count(void) {
    atomic_fetch_add_explicit(&samples, 1, memory_order_relaxed);
}

int sampler_quiet(void) {
    return atomic_load(&in_flight) == 0;
}

uint64_t sampler_samples(void) {
    return atomic_load(&samples);
}

void sampler_handler_times(uint64_t *max_ns, uint64_t *mean_ns) {
    uint64_t n = atomic_load(&handler_count);
    *max_ns = atomic_load(&handler_max_ns);
    *mean_ns = n ? atomic_load(&handler_sum_ns) / n : 0;
}

/* Lock-free: a CAS loop raises the maximum, an add keeps the sum. */
static void handler_time(uint64_t start) {
    uint64_t ns = now_mono_ns() - start;
    unsigned long long max = atomic_load_explicit(&handler_max_ns, memory_order_relaxed);
    while (ns > max && !atomic_compare_exchange_weak_explicit(&handler_max_ns, &max, ns, memory_order_relaxed,
                                                              memory_order_relaxed)) {
        /* max reloaded by the failed exchange */
    }
    atomic_fetch_add_explicit(&handler_sum_ns, ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&handler_count, 1, memory_order_relaxed);
}

/* Async-signal-safe: a scan of the slot array with atomic loads. NULL = not a known thread. */
static tslot *slot_of(int tid) {
    int hw = atomic_load_explicit(&slots_hw, memory_order_acquire);
    for (int i = 0; i < hw; i++) {
        if (atomic_load_explicit(&slots[i].tid, memory_order_relaxed) == tid) {
            return &slots[i];
        }
    }
    return NULL;
}

static uint8_t state_code(int letter) {
    switch (letter) {
    case 'R': return STATE_RUNNING;
    case 'S': return STATE_SLEEPING;
    case 'D': return STATE_WAITING;
    case 0: return STATE_NONE;
    default: return STATE_OTHER; /* T, t (stopped, traced), Z, X, ... */
    }
}

static void take_sample(int event, uint64_t weight, void *ucontext) {
    JNIEnv *env = NULL;
    int tid = (int)syscall(SYS_gettid);
    JavaVM *vm = g_agent.vm;
    /* GetEnv only reads the VM's thread-local current thread: safe in a handler. */
    if (vm == NULL || (*vm)->GetEnv(vm, (void **)&env, JNI_VERSION_1_6) != JNI_OK) {
        env = NULL;
    }
    tslot *slot = slot_of(tid);
    if (slot != NULL && (env == NULL || atomic_load_explicit(&slot->java, memory_order_relaxed) != JAVA_NO_FRAMES)) {
        atomic_store_explicit(&slot->java, env != NULL ? JAVA_YES : JAVA_NOT, memory_order_relaxed);
    }
    if (env == NULL && event == EV_WALL) {
        return; /* wall time of JVM-internal threads is noise */
    }
    cprof_record *r = ring_claim();
    if (r == NULL) {
        return;
    }
    r->event = (uint8_t)event;
    r->tid = tid;
    r->weight = weight;
    if (event == EV_WALL && slot != NULL && atomic_load_explicit(&wall_state_on, memory_order_relaxed)) {
        r->state = state_code(atomic_load_explicit(&slot->state, memory_order_relaxed));
    }
    walk_stack(env, ucontext, r);
    if (env != NULL) {
        if (event == EV_WALL && (r->num_frames == 0 || r->num_frames == -3)) {
            /* No Java frame at all (no_Java_frame, unknown_not_Java): a JavaThread of the
             * JVM itself (JIT compiler, service, signal dispatcher, attach listener) that
             * sits in native code. Its wall time is noise like that of the JVM's native
             * threads: skip it, and leave it out of the next wall ticks. */
            if (slot != NULL) {
                atomic_store_explicit(&slot->java, JAVA_NO_FRAMES, memory_order_relaxed);
            }
            r->event = 0; /* the collector ignores the record */
            ring_commit(r);
            return;
        }
    } else {
        r->non_java = 1;
    }
    ring_commit(r);
    sample_count();
}

static int own_cpu_signal(const siginfo_t *si) {
    return si != NULL && ((si->si_code == SI_TIMER && si->si_value.sival_ptr == (void *)signal_cookie) ||
                          (si->si_code == SI_KERNEL && atomic_load_explicit(&use_itimer, memory_order_relaxed)));
}

static int own_wall_signal(const siginfo_t *si) {
    return si != NULL && si->si_code == SI_QUEUE && si->si_value.sival_ptr == (void *)signal_cookie;
}

static void on_cpu_signal(int sig, siginfo_t *si, void *ucontext) {
    int saved = errno;
    if (!own_cpu_signal(si)) {
        sigchain_forward(sig, si, ucontext);
    } else if (sample_enter()) {
        if (atomic_load_explicit(&cpu_on, memory_order_relaxed)) {
            /* The timer expired again while this signal was pending (the thread ran on with it
             * blocked, in the kernel, or between two scheduler ticks when the interval is
             * shorter than a tick): si_overrun counts those expirations. Their CPU time was
             * spent here as well, so it is this sample's weight. */
            uint64_t missed = si->si_code == SI_TIMER && si->si_overrun > 0 ? (uint64_t)si->si_overrun : 0;
            uint64_t start = now_mono_ns();
            take_sample(EV_CPU, interval_ns * (1 + missed), ucontext);
            handler_time(start);
        }
        sample_exit();
    }
    errno = saved;
}

static void on_wall_signal(int sig, siginfo_t *si, void *ucontext) {
    int saved = errno;
    if (!own_wall_signal(si)) {
        sigchain_forward(sig, si, ucontext);
    } else if (sample_enter()) {
        if (atomic_load_explicit(&wall_on, memory_order_relaxed)) {
            uint64_t start = now_mono_ns();
            take_sample(EV_WALL, atomic_load_explicit(&wall_weight, memory_order_relaxed), ucontext);
            handler_time(start);
        }
        sample_exit();
    }
    errno = saved;
}

/* Each handler blocks the other signal too: a CPU tick landing inside the wall handler (or the
 * reverse) would otherwise sample the handler itself, a PC in this library with the thread
 * still "in Java", which AsyncGetCallTrace reports as unknown_Java. Blocked, the second signal
 * is delivered right after the first handler returns, with the thread's own context. */
static void handler_mask(sigset_t *mask) {
    sigemptyset(mask);
    sigaddset(mask, CPU_SIGNAL);
    sigaddset(mask, WALL_SIGNAL);
}

/* Our handlers for the signals this session uses, over whatever is installed now (at session
 * start, and at each rescan in case another profiler replaced them since). */
static int take_cpu_signal, take_wall_signal; /* this session's, set before its threads start */

static int take_signals(const char *when) {
    sigset_t mask;
    handler_mask(&mask);
    if (take_cpu_signal && sigchain_take(CPU_SIGNAL, on_cpu_signal, &mask, when) != 0) return -1;
    if (take_wall_signal && sigchain_take(WALL_SIGNAL, on_wall_signal, &mask, when) != 0) return -1;
    return 0;
}

static void give_back_signals(void) {
    if (sigchain_give_back(CPU_SIGNAL, on_cpu_signal) != 0 || sigchain_give_back(WALL_SIGNAL, on_wall_signal) != 0) {
        cprof_log("a sampling signal is still pending after the session: cprof's handler stays installed (it ignores it)");
    }
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
    if (s->has_timer || !atomic_load(&cpu_on) || atomic_load(&use_itimer)) {
        return;
    }
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD_ID;
    sev.sigev_signo = CPU_SIGNAL;
    sev.sigev_value.sival_ptr = (void *)signal_cookie;
    sev._sigev_un._tid = atomic_load(&s->tid);
    /* The CPU-time clock of another thread: MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED). */
    clockid_t clock = (clockid_t)(((~(unsigned int)sev._sigev_un._tid) << 3) | 6);
    if (timer_create(clock, &sev, &s->timer) != 0) {
        return; /* the thread is gone, or timers are unavailable (fallback decided at start) */
    }
    struct itimerspec its;
    its.it_interval.tv_sec = (time_t)(interval_ns / 1000000000ull);
    its.it_interval.tv_nsec = (long)(interval_ns % 1000000000ull);
    its.it_value = its.it_interval;
    if (timer_settime(s->timer, 0, &its, NULL) != 0) {
        timer_delete(s->timer);
        return;
    }
    s->has_timer = 1;
}

/* Adds threads that appeared, forgets those that exited (so timers never pile up). */
static void rescan(int retry_no_frames) {
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
static void wall_tick(int *cursor, uint64_t elapsed) {
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
    for (int k = 0; k < hw && n < (int)wall_per_tick && n < 256; k++) {
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
    atomic_store(&wall_weight, elapsed * (uint64_t)candidates / (uint64_t)n);
    int with_state = atomic_load(&wall_state_on);
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
        info.si_value.sival_ptr = (void *)signal_cookie;
        syscall(SYS_rt_tgsigqueueinfo, pid, targets[i], WALL_SIGNAL, &info);
    }
}

static void *sampler_main(void *arg) {
    (void)arg;
    sampler_block_signals();
    cprof_register_own_tid(cprof_gettid());
    pthread_setname_np(pthread_self(), "cprof-sampler");
    uint64_t next_rescan = now_mono_ns() + RESCAN_NS;
    uint64_t last_tick = now_mono_ns(), next_tick = last_tick;
    int cursor = 0, rescans = 0;
    pthread_mutex_lock(&tick_lock);
    while (!stop_requested) {
        uint64_t wait = atomic_load(&wall_on) ? interval_ns : 100000000ull;
        next_tick += wait; /* absolute deadlines: the tick rate does not drift */
        uint64_t now = now_mono_ns();
        if (next_tick < now) {
            next_tick = now; /* late (a loaded machine): tick now, do not try to catch up */
        }
        struct timespec ts;
        ts.tv_sec = (time_t)(next_tick / 1000000000ull);
        ts.tv_nsec = (long)(next_tick % 1000000000ull);
        pthread_cond_timedwait(&tick_cond, &tick_lock, &ts);
        if (stop_requested) {
            break;
        }
        pthread_mutex_unlock(&tick_lock);
        now = now_mono_ns();
        uint64_t elapsed = now - last_tick;
        last_tick = now;
        if (atomic_load(&wall_on)) {
            /* Bounded, so one long stall cannot dwarf the rest of the profile. */
            wall_tick(&cursor, elapsed < 100 * interval_ns ? elapsed : 100 * interval_ns);
        }
        if (now >= next_rescan) {
            take_signals("during the session");
            rescan(++rescans % NO_JAVA_RETRY_RESCANS == 0);
            next_rescan = now_mono_ns() + RESCAN_NS;
        }
        pthread_mutex_lock(&tick_lock);
    }
    pthread_mutex_unlock(&tick_lock);
    cprof_unregister_own_tid(cprof_gettid());
    return NULL;
}

int sampler_start(const cprof_options *o) {
    interval_ns = o->interval_ns ? o->interval_ns : CPROF_DEFAULT_INTERVAL_NS;
    wall_per_tick = o->wall_threads ? o->wall_threads : CPROF_DEFAULT_WALL_THREADS;
    atomic_store(&samples, 0);
    atomic_store(&handler_max_ns, 0);
    atomic_store(&handler_sum_ns, 0);
    atomic_store(&handler_count, 0);
    atomic_store(&use_itimer, 0);
    atomic_store(&session_on, 1); /* alloc/lock callbacks may write from now on */
    if (!(o->events & (EV_BIT(EV_CPU) | EV_BIT(EV_WALL)))) {
        return 0;
    }
    take_cpu_signal = (o->events & EV_BIT(EV_CPU)) != 0;
    take_wall_signal = (o->events & EV_BIT(EV_WALL)) != 0;
    if (!walker_ready() || take_signals("at session start") != 0) {
        cprof_log("cpu/wall sampling unavailable: %s", !walker_ready() ? "no AsyncGetCallTrace" : strerror(errno));
        return -1;
    }
    atomic_store(&wall_on, (o->events & EV_BIT(EV_WALL)) != 0);
    atomic_store(&wall_state_on, o->wall_state != 0);
    if (o->events & EV_BIT(EV_CPU)) {
        /* Probe per-thread timers on our own thread; fall back to a process-wide itimer. */
        struct sigevent sev;
        memset(&sev, 0, sizeof sev);
        sev.sigev_notify = SIGEV_NONE;
        timer_t probe;
        if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &probe) == 0) {
            timer_delete(probe);
        } else {
            atomic_store(&use_itimer, 1);
            struct itimerval itv;
            itv.it_interval.tv_sec = (time_t)(interval_ns / 1000000000ull);
            itv.it_interval.tv_usec = (suseconds_t)(interval_ns % 1000000000ull / 1000);
            itv.it_value = itv.it_interval;
            cprof_log("per-thread CPU timers unavailable (%s); using setitimer", strerror(errno));
            setitimer(ITIMER_PROF, &itv, NULL);
        }
        atomic_store(&cpu_on, 1);
    }
    rescan(1); /* arms timers on every existing thread */
    stop_requested = 0;
    if (!tick_cond_ready) {
        /* Deadlines below are CLOCK_MONOTONIC; the condition variable must use that clock. */
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&tick_cond, &attr);
        pthread_condattr_destroy(&attr);
        tick_cond_ready = 1;
    }
    if (pthread_create(&sampler_tid, NULL, sampler_main, NULL) == 0) {
        sampler_running = 1;
    }
    return 0;
}

void sampler_stop(void) {
    if (sampler_running) {
        pthread_mutex_lock(&tick_lock);
        stop_requested = 1;
        pthread_cond_signal(&tick_cond);
        pthread_mutex_unlock(&tick_lock);
        pthread_join(sampler_tid, NULL);
        sampler_running = 0;
    }
    atomic_store(&session_on, 0);
    atomic_store(&cpu_on, 0);
    atomic_store(&wall_on, 0);
    atomic_store(&wall_state_on, 0);
    if (atomic_load(&use_itimer)) {
        struct itimerval off;
        memset(&off, 0, sizeof off);
        setitimer(ITIMER_PROF, &off, NULL);
    }
    pthread_mutex_lock(&slots_lock);
    int hw = atomic_load(&slots_hw);
    for (int i = 0; i < hw; i++) {
        slot_disarm(&slots[i]);
    }
    pthread_mutex_unlock(&slots_lock);
    /* Wait (bounded) for producers already inside a handler or callback. */
    for (int i = 0; i < 1000 && atomic_load(&in_flight) > 0; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    /* No timer and no wall tick is left: the handlers cprof replaced get their signals back. */
    give_back_signals();
    take_cpu_signal = take_wall_signal = 0;
}

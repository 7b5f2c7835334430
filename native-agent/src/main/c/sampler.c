/*
 * CPU and wall sampling. CPU: one POSIX timer per thread on its CPU clock
 * (CLOCK_THREAD_CPUTIME_ID of that tid, SIGEV_THREAD_ID), so a thread is signalled once per
 * `interval` of the CPU it burns; setitimer(ITIMER_PROF) is the fallback when per-thread
 * timers cannot be created. Wall: a sampler thread signals up to N threads per tick,
 * round-robin. The signal handlers (sampler_signals.c) walk the stack (walker.c) into the
 * ring; the threads, their timers and the wall ticks' targets are sampler_threads.c's.
 *
 * This file: a session's start and stop (what it samples, the CPU timer fallback), and the
 * sampler thread (wall ticks, rescans of the process's threads).
 */
#define _GNU_SOURCE
#include "sampler.h"
#include "sampler_internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "protocol.h"
#include "util.h"
#include "walker.h"

#define RESCAN_NS 500000000ull
#define NO_JAVA_RETRY_RESCANS 10 /* a thread without Java frames is probed again after 5 s */

sampling g_sampling;

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
        uint64_t wait = atomic_load(&g_sampling.wall_on) ? g_sampling.interval_ns : 100000000ull;
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
        if (atomic_load(&g_sampling.wall_on)) {
            /* Bounded, so one long stall cannot dwarf the rest of the profile. */
            wall_tick(&cursor, elapsed < 100 * g_sampling.interval_ns ? elapsed : 100 * g_sampling.interval_ns);
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
    g_sampling.interval_ns = o->interval_ns ? o->interval_ns : CPROF_DEFAULT_INTERVAL_NS;
    g_sampling.wall_per_tick = o->wall_threads ? o->wall_threads : CPROF_DEFAULT_WALL_THREADS;
    producer_counts_reset();
    atomic_store(&g_sampling.use_itimer, 0);
    atomic_store(&g_sampling.session_on, 1); /* alloc/lock callbacks may write from now on */
    if (!(o->events & (EV_BIT(EV_CPU) | EV_BIT(EV_WALL)))) {
        return 0;
    }
    g_sampling.take_cpu_signal = (o->events & EV_BIT(EV_CPU)) != 0;
    g_sampling.take_wall_signal = (o->events & EV_BIT(EV_WALL)) != 0;
    if (!walker_ready() || take_signals("at session start") != 0) {
        cprof_log("cpu/wall sampling unavailable: %s", !walker_ready() ? "no AsyncGetCallTrace" : strerror(errno));
        return -1;
    }
    atomic_store(&g_sampling.wall_on, (o->events & EV_BIT(EV_WALL)) != 0);
    atomic_store(&g_sampling.wall_state_on, o->wall_state != 0);
    if (o->events & EV_BIT(EV_CPU)) {
        /* Probe per-thread timers on our own thread; fall back to a process-wide itimer. */
        struct sigevent sev;
        memset(&sev, 0, sizeof sev);
        sev.sigev_notify = SIGEV_NONE;
        timer_t probe;
        if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &probe) == 0) {
            timer_delete(probe);
        } else {
            atomic_store(&g_sampling.use_itimer, 1);
            struct itimerval itv;
            itv.it_interval.tv_sec = (time_t)(g_sampling.interval_ns / 1000000000ull);
            itv.it_interval.tv_usec = (suseconds_t)(g_sampling.interval_ns % 1000000000ull / 1000);
            itv.it_value = itv.it_interval;
            cprof_log("per-thread CPU timers unavailable (%s); using setitimer", strerror(errno));
            setitimer(ITIMER_PROF, &itv, NULL);
        }
        atomic_store(&g_sampling.cpu_on, 1);
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
    atomic_store(&g_sampling.session_on, 0);
    atomic_store(&g_sampling.cpu_on, 0);
    atomic_store(&g_sampling.wall_on, 0);
    atomic_store(&g_sampling.wall_state_on, 0);
    if (atomic_load(&g_sampling.use_itimer)) {
        struct itimerval off;
        memset(&off, 0, sizeof off);
        setitimer(ITIMER_PROF, &off, NULL);
    }
    slots_disarm_all();
    /* Wait (bounded) for producers already inside a handler or callback. */
    for (int i = 0; i < 1000 && atomic_load(&g_sampling.in_flight) > 0; i++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    /* No timer and no wall tick is left: the handlers cprof replaced get their signals back. */
    give_back_signals();
    g_sampling.take_cpu_signal = g_sampling.take_wall_signal = 0;
}

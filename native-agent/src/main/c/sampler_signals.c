/*
 * The producers of the ring. The gate every producer (these handlers, the JVMTI alloc/lock
 * callbacks) passes, so that a stopping session can wait until none still touches the ring;
 * and the cpu and wall signal handlers: each checks that the signal is cprof's (its si_value;
 * any other SIGPROF/SIGVTALRM goes on to the handler cprof replaced, sigchain.c), passes the
 * gate, and writes one record into the ring with the stack walked by walker.c. Nothing else
 * in a handler: no locks, no allocation, errno preserved.
 */
#define _GNU_SOURCE
#include "sampler.h"
#include "sampler_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "buffer.h"
#include "protocol.h"
#include "sigchain.h"
#include "util.h"
#include "vm.h"
#include "walker.h"

const char sampler_cookie[] = "cprof";

static atomic_ullong samples;               /* records this session (sample_count) */
/* Handler time: the longest handler and the sum over all (for the mean), this session.
 * CLOCK_MONOTONIC through the vDSO costs tens of ns, and clock_gettime is async-signal-safe. */
static atomic_ullong handler_max_ns, handler_sum_ns, handler_count;

int sample_enter(void) {
    atomic_fetch_add(&g_sampling.in_flight, 1);
    if (!atomic_load(&g_sampling.session_on)) {
        atomic_fetch_sub(&g_sampling.in_flight, 1);
        return 0;
    }
    return 1;
}

void sample_exit(void) {
    atomic_fetch_sub(&g_sampling.in_flight, 1);
}

void sample_count(void) {
    atomic_fetch_add_explicit(&samples, 1, memory_order_relaxed);
}

int sampler_quiet(void) {
    return atomic_load(&g_sampling.in_flight) == 0;
}

uint64_t sampler_samples(void) {
    return atomic_load(&samples);
}

void producer_counts_reset(void) {
    atomic_store(&samples, 0);
    atomic_store(&handler_max_ns, 0);
    atomic_store(&handler_sum_ns, 0);
    atomic_store(&handler_count, 0);
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
    if (event == EV_WALL && slot != NULL && atomic_load_explicit(&g_sampling.wall_state_on, memory_order_relaxed)) {
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
    return si != NULL && ((si->si_code == SI_TIMER && si->si_value.sival_ptr == (void *)sampler_cookie) ||
                          (si->si_code == SI_KERNEL && atomic_load_explicit(&g_sampling.use_itimer, memory_order_relaxed)));
}

static int own_wall_signal(const siginfo_t *si) {
    return si != NULL && si->si_code == SI_QUEUE && si->si_value.sival_ptr == (void *)sampler_cookie;
}

static void on_cpu_signal(int sig, siginfo_t *si, void *ucontext) {
    int saved = errno;
    if (!own_cpu_signal(si)) {
        sigchain_forward(sig, si, ucontext);
    } else if (sample_enter()) {
        if (atomic_load_explicit(&g_sampling.cpu_on, memory_order_relaxed)) {
            /* The timer expired again while this signal was pending (the thread ran on with it
             * blocked, in the kernel, or between two scheduler ticks when the interval is
             * shorter than a tick): si_overrun counts those expirations. Their CPU time was
             * spent here as well, so it is this sample's weight. */
            uint64_t missed = si->si_code == SI_TIMER && si->si_overrun > 0 ? (uint64_t)si->si_overrun : 0;
            uint64_t start = now_mono_ns();
            take_sample(EV_CPU, g_sampling.interval_ns * (1 + missed), ucontext);
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
        if (atomic_load_explicit(&g_sampling.wall_on, memory_order_relaxed)) {
            uint64_t start = now_mono_ns();
            take_sample(EV_WALL, atomic_load_explicit(&g_sampling.wall_weight, memory_order_relaxed), ucontext);
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
int take_signals(const char *when) {
    sigset_t mask;
    handler_mask(&mask);
    if (g_sampling.take_cpu_signal && sigchain_take(CPU_SIGNAL, on_cpu_signal, &mask, when) != 0) return -1;
    if (g_sampling.take_wall_signal && sigchain_take(WALL_SIGNAL, on_wall_signal, &mask, when) != 0) return -1;
    return 0;
}

void give_back_signals(void) {
    if (sigchain_give_back(CPU_SIGNAL, on_cpu_signal) != 0 || sigchain_give_back(WALL_SIGNAL, on_wall_signal) != 0) {
        cprof_log("a sampling signal is still pending after the session: cprof's handler stays installed (it ignores it)");
    }
}

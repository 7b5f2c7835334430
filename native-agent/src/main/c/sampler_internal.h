/* What the three files of cpu/wall sampling share: sampler.c (the session's start and stop,
 * the sampler thread), sampler_signals.c (the producers' gate, the signal handlers) and
 * sampler_threads.c (the table of the process's threads, their CPU timers, the wall ticks).
 * Internal to them; the rest of the agent uses sampler.h. */
#ifndef CPROF_SAMPLER_INTERNAL_H
#define CPROF_SAMPLER_INTERNAL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define CPU_SIGNAL SIGPROF
#define WALL_SIGNAL SIGVTALRM

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

/* The session's sampling settings, set by sampler_start/stop and read by the handlers, the
 * thread table and the sampler thread. */
typedef struct {
    atomic_int session_on;       /* producers may write */
    atomic_int in_flight;        /* producers currently writing */
    atomic_int cpu_on, wall_on, wall_state_on, use_itimer;
    uint64_t interval_ns;
    atomic_ullong wall_weight;   /* a wall sample's weight, set at each tick */
    uint32_t wall_per_tick;
    /* The signals this session takes over, set before its threads start. */
    int take_cpu_signal, take_wall_signal;
} sampling;

extern sampling g_sampling;

/* The si_value of cprof's signals: its timers' and its wall ticks'. */
extern const char sampler_cookie[];

/* sampler_signals.c */
int take_signals(const char *when);  /* installs this session's handlers; 0 ok */
void give_back_signals(void);        /* to the handlers cprof replaced */
void producer_counts_reset(void);    /* sampler_samples and sampler_handler_times from zero */

/* sampler_threads.c */
tslot *slot_of(int tid);             /* async-signal-safe; NULL = not a known thread */
void rescan(int retry_no_frames);    /* threads that appeared get a slot and a timer */
void wall_tick(int *cursor, uint64_t elapsed);
void slots_disarm_all(void);         /* deletes every thread's CPU timer */

#endif

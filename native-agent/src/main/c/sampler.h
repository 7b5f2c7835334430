/* sampler.c: cpu and wall sampling (timers, signals, AsyncGetCallTrace) and the gate every
 * producer of the ring passes; with sampler_signals.c (the gate, the signal handlers) and
 * sampler_threads.c (the process's threads, their CPU timers, the wall ticks). */
#ifndef CPROF_SAMPLER_H
#define CPROF_SAMPLER_H

#include <stdint.h>

#include "options.h"

int sampler_start(const cprof_options *o);
void sampler_stop(void);
void sampler_thread_started(int tid);  /* ThreadStart: arm a CPU timer for this thread */
void sampler_thread_ended(int tid);
void sampler_block_signals(void);      /* agent threads never take sampling signals */
uint64_t sampler_samples(void);
/* Time spent in the cpu/wall signal handlers this session: the longest one and the mean. */
void sampler_handler_times(uint64_t *max_ns, uint64_t *mean_ns);
/* Every producer (signal handler, JVMTI callback) brackets its work with these, so a
 * stopping session can wait until no producer still touches the ring. */
int sample_enter(void);                /* 1 = go ahead; 0 = not profiling (already exited) */
void sample_exit(void);
void sample_count(void);
int sampler_quiet(void);               /* no producer is inside the ring */

#endif

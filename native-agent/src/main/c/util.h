/* util.c: logging, clocks, thread ids and the registry of the agent's own threads. */
#ifndef CPROF_UTIL_H
#define CPROF_UTIL_H

#include <stdint.h>

void cprof_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_epoch_ns(void);
uint64_t now_mono_ns(void);
int cprof_gettid(void);

/* The agent's own threads (control, collector, sampler), which are never sampled.
 * Lock-free: read by the sampler while threads come and go. */
void cprof_register_own_tid(int tid);
void cprof_unregister_own_tid(int tid);
int cprof_is_own_tid(int tid);

#endif

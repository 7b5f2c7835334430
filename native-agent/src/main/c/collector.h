/* collector.c: one profiling session: drains the ring, resolves (resolve.c), aggregates (dict.c),
 * sends batches. */
#ifndef CPROF_COLLECTOR_H
#define CPROF_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "encode.h"
#include "options.h"
#include "sink.h"

int session_start(const cprof_options *o, cprof_sink *sink);  /* 0 ok */
void session_stop(void);        /* stop sampling, final batch, free; idempotent */
int session_active(void);       /* a session exists (maybe finished, not yet reaped) */
int session_finished(void);     /* collector ended on its own (duration, broken sink) */
void session_status(cprof_stats *st, char *sid, size_t n);
/* The ring size (records) of later sessions that do not ask for one (load option ring=N). */
void session_default_ring(uint32_t records);

#endif

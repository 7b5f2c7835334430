/*
 * A session's options: the defaults (the only place they are defined), the bounds every
 * session is clamped to, and the parser of the load options.
 *
 * Load options (comma separated): service=NAME, start=cpu[,wall,alloc,lock], interval=10ms,
 * alloc=512k, lock=10ms, duration=30s, flush=1s, threads, lines, wallthreads=N, wallstate,
 * ring=N, file=PATH. wallstate adds the thread state as the leaf frame of wall samples; ring=N
 * sizes the sample ring (records, rounded up to a power of two, 2-2048) of this and of later
 * sessions that do not ask for a size themselves.
 */
#define _GNU_SOURCE
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol.h"
#include "util.h"

void options_defaults(cprof_options *o) {
    memset(o, 0, sizeof *o);
    o->interval_ns = CPROF_DEFAULT_INTERVAL_NS;
    o->alloc_interval = CPROF_DEFAULT_ALLOC_INTERVAL;
    o->lock_threshold_ns = CPROF_DEFAULT_LOCK_THRESHOLD_NS;
    o->jdbc_threshold_ns = CPROF_DEFAULT_JDBC_THRESHOLD_NS;
    o->flush_ms = CPROF_DEFAULT_FLUSH_MS;
    o->wall_threads = CPROF_DEFAULT_WALL_THREADS;
}

/*
 * Whatever a client or the load options ask for, the target must stay safe: no sampling
 * interval so short that the timers swamp it, no heap sampling of every allocation, no flood of
 * wall signals or batches. Applied once, when a session starts.
 */
void options_clamp(cprof_options *o) {
    if (o->interval_ns < CPROF_MIN_INTERVAL_NS) o->interval_ns = CPROF_MIN_INTERVAL_NS;
    if (o->interval_ns > CPROF_MAX_INTERVAL_NS) o->interval_ns = CPROF_MAX_INTERVAL_NS;
    if (o->alloc_interval < CPROF_MIN_ALLOC_INTERVAL) o->alloc_interval = CPROF_MIN_ALLOC_INTERVAL;
    if (o->flush_ms < CPROF_MIN_FLUSH_MS) o->flush_ms = CPROF_MIN_FLUSH_MS;
    if (o->flush_ms > CPROF_MAX_FLUSH_MS) o->flush_ms = CPROF_MAX_FLUSH_MS;
    if (o->wall_threads == 0) o->wall_threads = CPROF_DEFAULT_WALL_THREADS;
    if (o->wall_threads > CPROF_MAX_WALL_THREADS) o->wall_threads = CPROF_MAX_WALL_THREADS;
    if (o->jdbc_threshold_ns == 0) o->jdbc_threshold_ns = CPROF_DEFAULT_JDBC_THRESHOLD_NS;
    if (o->jdbc_threshold_ns > CPROF_MAX_INTERVAL_NS) o->jdbc_threshold_ns = CPROF_MAX_INTERVAL_NS;
}

/* "10ms", "500us", "2s", "1m", plain number = the given default unit. */
static uint64_t parse_duration_ns(const char *v, uint64_t unit) {
    char *end;
    double x = strtod(v, &end);
    if (strcmp(end, "ns") == 0) unit = 1;
    else if (strcmp(end, "us") == 0) unit = 1000;
    else if (strcmp(end, "ms") == 0) unit = 1000000;
    else if (strcmp(end, "s") == 0) unit = 1000000000ull;
    else if (strcmp(end, "m") == 0) unit = 60000000000ull;
    return x > 0 ? (uint64_t)(x * (double)unit) : 0;
}

static uint64_t parse_size(const char *v) {
    char *end;
    double x = strtod(v, &end);
    uint64_t unit = 1;
    if (*end == 'k' || *end == 'K') unit = 1024;
    else if (*end == 'm' || *end == 'M') unit = 1024 * 1024;
    else if (*end == 'g' || *end == 'G') unit = 1024ull * 1024 * 1024;
    return x > 0 ? (uint64_t)(x * (double)unit) : 0;
}

static int event_of(const char *name) {
    if (strcmp(name, "cpu") == 0) return EV_CPU;
    if (strcmp(name, "wall") == 0) return EV_WALL;
    if (strcmp(name, "alloc") == 0) return EV_ALLOC;
    if (strcmp(name, "lock") == 0) return EV_LOCK;
    if (strcmp(name, "jdbc") == 0) return EV_JDBC;
    return 0;
}

void options_parse(const char *options, cprof_options *o, cprof_load_options *lo) {
    options_defaults(o);
    memset(lo, 0, sizeof *lo);
    if (options == NULL) return;
    char *copy = strdup(options);
    if (copy == NULL) return;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (eq == NULL) {
            /* bare word: an event continuing start=cpu,alloc, or a flag */
            if (event_of(tok)) o->events |= EV_BIT(event_of(tok));
            else if (strcmp(tok, "threads") == 0) o->threads = 1;
            else if (strcmp(tok, "lines") == 0) o->lines = 1;
            else if (strcmp(tok, "wallstate") == 0) o->wall_state = 1;
            else cprof_log("unknown option '%s' ignored", tok);
            continue;
        }
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        if (strcmp(k, "service") == 0) {
            snprintf(lo->service, sizeof lo->service, "%s", v);
            lo->service_given = 1;
        } else if (strcmp(k, "start") == 0 || strcmp(k, "event") == 0) {
            lo->start = 1;
            if (event_of(v)) o->events |= EV_BIT(event_of(v));
            else cprof_log("unknown event '%s' ignored", v);
        } else if (strcmp(k, "interval") == 0) o->interval_ns = parse_duration_ns(v, 1);
        else if (strcmp(k, "alloc") == 0) o->alloc_interval = parse_size(v);
        else if (strcmp(k, "lock") == 0) o->lock_threshold_ns = parse_duration_ns(v, 1000000);
        else if (strcmp(k, "jdbcthreshold") == 0) o->jdbc_threshold_ns = parse_duration_ns(v, 1000000);
        else if (strcmp(k, "duration") == 0) o->duration_ms = parse_duration_ns(v, 1000000000ull) / 1000000;
        else if (strcmp(k, "flush") == 0) o->flush_ms = parse_duration_ns(v, 1000000) / 1000000;
        else if (strcmp(k, "wallthreads") == 0) o->wall_threads = (uint32_t)atoi(v);
        else if (strcmp(k, "ring") == 0) {
            o->ring_records = (uint32_t)atoi(v);
            lo->ring_given = 1;
        } else if (strcmp(k, "file") == 0) snprintf(lo->file, sizeof lo->file, "%s", v);
        else cprof_log("unknown option '%s' ignored", k);
    }
    /* An unparsable value ("interval=fast") falls back to the default, not to the minimum. */
    if (o->interval_ns == 0) o->interval_ns = CPROF_DEFAULT_INTERVAL_NS;
    if (o->flush_ms == 0) o->flush_ms = CPROF_DEFAULT_FLUSH_MS;
    if (o->alloc_interval == 0) o->alloc_interval = CPROF_DEFAULT_ALLOC_INTERVAL;
    free(copy);
}

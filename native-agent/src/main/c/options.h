/* options.c: what a profiling session asks for, its defaults, the bounds every session is held
 * to, and the load options (-agentpath:libcprof.so=... or the attach argument). */
#ifndef CPROF_OPTIONS_H
#define CPROF_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

/* Defaults of a session that does not ask (the CLI's --interval default matches). */
#define CPROF_DEFAULT_INTERVAL_NS 10000000ull        /* 10 ms */
#define CPROF_DEFAULT_ALLOC_INTERVAL (512u * 1024u)  /* bytes between heap samples */
#define CPROF_DEFAULT_LOCK_THRESHOLD_NS 10000000ull  /* 10 ms */
#define CPROF_DEFAULT_FLUSH_MS 1000ull
#define CPROF_DEFAULT_WALL_THREADS 16u
#define CPROF_DEFAULT_JDBC_THRESHOLD_NS 1000000ull /* 1 ms: jdbc calls over it all recorded */

/* Bounds every session is held to, whatever it asked for (the CLI refuses intervals under 100 us). */
#define CPROF_MIN_INTERVAL_NS 100000ull          /* 100 us: 10 kHz per thread at most */
#define CPROF_MAX_INTERVAL_NS 60000000000ull     /* 1 min */
#define CPROF_MIN_ALLOC_INTERVAL 1024ull         /* bytes between heap samples */
#define CPROF_MIN_FLUSH_MS 100ull
#define CPROF_MAX_FLUSH_MS 60000ull
#define CPROF_MAX_WALL_THREADS 256u

/* What a profiling session asks for (decoded from StartRequest or from load options). */
typedef struct {
    unsigned events;            /* EV_BIT mask */
    uint64_t interval_ns;       /* cpu/wall period */
    uint64_t alloc_interval;    /* bytes between heap samples */
    uint64_t lock_threshold_ns;
    uint64_t jdbc_threshold_ns; /* options["jdbc_threshold_ns"] */
    uint64_t duration_ms;       /* 0 = until stop */
    uint64_t flush_ms;
    int threads;                /* thread name as root frame */
    int lines;                  /* line numbers on Java frames */
    uint32_t wall_threads;      /* threads signalled per wall tick */
    int wall_state;             /* wall: thread state as leaf frame (options["wall_state"]) */
    uint32_t ring_records;      /* sample ring size (options["ring_records"]); 0 = by events */
    char session_id[128];
} cprof_options;

void options_defaults(cprof_options *o);
void options_clamp(cprof_options *o);

/* The load options beyond the session's own: what the agent does with them. */
typedef struct {
    int start;                  /* start= given: profile right away */
    char file[1024];            /* file=PATH: where the start= session writes */
    char service[256];          /* service=NAME */
    int service_given;
    int ring_given;             /* ring=N given: N (in the session options) is the agent's default */
} cprof_load_options;

/* Parses "service=NAME,start=cpu,interval=10ms,..." (NULL = none) into a session and the rest. */
void options_parse(const char *options, cprof_options *o, cprof_load_options *lo);

#endif

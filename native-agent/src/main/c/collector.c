/*
 * One profiling session: its lifecycle (start, stop, reap) and its collector thread, which
 * drains the ring every 100 ms, hands each record to resolve.c (record -> stack of frame ids
 * in the session's dictionaries, dict.c -> one aggregated (stack, event) sample), and every
 * flush interval sends one Batch with the dictionary entries that are new on this stream.
 * Dictionaries are bounded; a sample that would need a new entry past a cap is counted in
 * dropped.other.
 */
#define _GNU_SOURCE
#include "collector.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "dict.h"
#include "jvmti_events.h"
#include "protocol.h"
#include "resolve.h"
#include "sampler.h"
#include "symbols.h"
#include "util.h"
#include "vm.h"

/* The ring (buffer.c) holds packed records: ~0.8 KB for a 40-frame stack, 5 KB at most. It is
 * sized for what the session can produce while its collector does not run: a loaded machine
 * delays the collector (the longest gap between two drains measured with 8 busy JVMs on a
 * 2-core host at load 30-70 was 0.46 s), and a client that stops reading holds it in a send
 * for up to 2 s (sink.c). So: the records per second the events can produce on this host
 * (cpu: one per CPU per interval; wall: the threads signalled per tick; alloc/lock: bursts of
 * thousands) for RING_STALL_NS, at RING_RECORD_BYTES each, within [RING_MIN_BYTES,
 * RING_MAX_BYTES]. The memory is address space: the ring reuses its first pages while the
 * collector keeps up, and only a backlog makes more of it resident. */
#define RING_STALL_NS 2000000000ull
#define RING_RECORD_BYTES 2048u
#define RING_ALLOC_PER_S 10000u
#define RING_LOCK_PER_S 1000u
#define RING_MIN_BYTES (2u << 20)
#define RING_MAX_BYTES (8u << 20)
/* An explicit size (options["ring_records"], load option ring=N) is N deepest records, N
 * rounded up to a power of two within these bounds, and at most N records in the ring: a
 * tiny ring caps the agent's memory (and shows drops being counted). */
#define RING_MIN 2
#define RING_MAX 2048
/* The collector drains every 100 ms; when a drain took more than 1/32 of the ring (a quarter
 * of a record cap) it comes back after 25 ms, more than 1/8 (half the cap) after 10 ms (the
 * producers never wait or signal: the collector adapts its own period). */
#define DRAIN_PERIOD_NS 100000000ull
#define DRAIN_QUICK_NS 25000000ull
#define DRAIN_FAST_NS 10000000ull

typedef struct {
    cprof_options o;
    cprof_sink *sink;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    atomic_int finished;

    cprof_dict d;
    resolver rs;                /* records into d; holds the batch's unwalkable/other counts */

    uint32_t sent_strs, sent_frames, sent_stacks;
    uint64_t sequence, batch_start_ns;
    uint64_t ring_dropped_seen;
    pb_buf out;
    size_t ring_bytes;
    unsigned ring_records;      /* the cap on its records, 0 = none */
} session;

/* glibc's; weak, so a libc without it just skips the trim. */
extern int malloc_trim(size_t pad) __attribute__((weak));

static session *cur;
static pthread_mutex_t sess_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint default_ring_records; /* load option ring=N: the size for sessions that do not ask */

/* Encodes and sends Envelope{batch}; resets the per-batch samples. */
static void flush(session *s) {
    pb_buf *b = &s->out;
    uint64_t end = now_epoch_ns();
    uint64_t ring_dropped_now = ring_dropped();
    pb_reset(b);
    size_t env = pb_begin(b, 6);
    pb_uint(b, 2, ++s->sequence);
    pb_uint(b, 3, s->sent_strs);
    for (uint32_t i = s->sent_strs; i < s->d.nstrs; i++) {
        pb_string(b, 4, s->d.sbytes + s->d.strs[i].off, s->d.strs[i].len);
    }
    pb_uint(b, 5, s->sent_frames);
    for (uint32_t i = s->sent_frames; i < s->d.nframes; i++) {
        size_t m = pb_begin(b, 6);
        pb_uint(b, 1, s->d.frames[i].name);
        pb_uint(b, 2, s->d.frames[i].kind);
        pb_uint(b, 3, s->d.frames[i].line);
        pb_uint(b, 4, s->d.frames[i].type);
        pb_end(b, m);
    }
    pb_uint(b, 7, s->sent_stacks);
    for (uint32_t i = s->sent_stacks; i < s->d.nstacks; i++) {
        size_t m = pb_begin(b, 8);
        if (s->d.stacks[i].len > 0) {
            size_t packed = pb_begin(b, 1);
            for (uint32_t j = 0; j < s->d.stacks[i].len; j++) pb_varint(b, s->d.kids[s->d.stacks[i].off + j]);
            pb_end(b, packed);
        }
        pb_end(b, m);
    }
    /* Sorts the samples; sample_by_key is cleared below, so its indexes need not stay valid. */
    encode_sample_groups(b, 13, s->d.samples, s->d.nsamples);
    size_t d = pb_begin(b, 10);
    pb_uint(b, 1, ring_dropped_now - s->ring_dropped_seen);
    pb_uint(b, 2, s->rs.unwalkable);
    pb_uint(b, 3, s->rs.other);
    pb_end(b, d);
    pb_uint(b, 11, s->batch_start_ns);
    pb_uint(b, 12, end);
    pb_end(b, env);

    if (b->oom || b->len > CPROF_MAX_FRAME_BYTES) {
        cprof_log("batch %llu not sent: %s", (unsigned long long)s->sequence, b->oom ? "out of memory" : "too large");
        s->sequence--;
    } else if (sink_write(s->sink, b) == 0) {
        s->sent_strs = s->d.nstrs;
        s->sent_frames = s->d.nframes;
        s->sent_stacks = s->d.nstacks;
        s->ring_dropped_seen = ring_dropped_now;
        s->rs.unwalkable = s->rs.other = 0;
    }
    s->d.nsamples = 0;
    kmap_clear(&s->d.sample_by_key);
    s->batch_start_ns = end;
}

/* Drains what is in the ring, at most one ring's worth: producers refilling it as fast as it
 * empties must not keep the collector from flushing, or from stopping. Returns the bytes,
 * *records the records. */
static size_t drain(session *s, unsigned *records) {
    size_t total = 0, n;
    unsigned recs = 0;
    int r;
    while (total < s->ring_bytes && (r = ring_drain(resolve_record, &s->rs, s->ring_bytes - total, &n), n > 0)) {
        total += n;
        recs += (unsigned)r;
    }
    if (records != NULL) *records = recs;
    return total;
}

/* A ring capped at N records (ring_records) fills by records before it fills by bytes. */
static uint64_t next_drain_period(const session *s, size_t bytes, unsigned records) {
    if (bytes >= s->ring_bytes / 8 || (s->ring_records && records >= s->ring_records / 2)) return DRAIN_FAST_NS;
    if (bytes >= s->ring_bytes / 32 || (s->ring_records && records >= s->ring_records / 4)) return DRAIN_QUICK_NS;
    return DRAIN_PERIOD_NS;
}

static unsigned cpus_online(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return (unsigned)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Ring bytes for the session, and the cap on its records (0 = none). */
static size_t ring_bytes_for(const cprof_options *o, unsigned *max_records) {
    uint32_t asked = o->ring_records ? o->ring_records : atomic_load(&default_ring_records);
    if (asked != 0) {
        unsigned c = RING_MIN;
        while (c < asked && c < RING_MAX) c *= 2;
        *max_records = c;
        size_t bytes = (size_t)c * RING_ENTRY_MAX;
        return bytes < RING_MAX_BYTES ? bytes : RING_MAX_BYTES;
    }
    *max_records = 0;
    uint64_t per_s = 0, ticks = 1000000000ull / (o->interval_ns ? o->interval_ns : CPROF_DEFAULT_INTERVAL_NS);
    if (o->events & EV_BIT(EV_CPU)) per_s += cpus_online() * ticks;
    if (o->events & EV_BIT(EV_WALL)) per_s += (o->wall_threads ? o->wall_threads : CPROF_DEFAULT_WALL_THREADS) * ticks;
    if (o->events & EV_BIT(EV_ALLOC)) per_s += RING_ALLOC_PER_S;
    if (o->events & EV_BIT(EV_LOCK)) per_s += RING_LOCK_PER_S;
    if (o->events & EV_BIT(EV_JDBC)) per_s += RING_LOCK_PER_S; /* also at most one record per threshold of time */
    uint64_t bytes = per_s * RING_RECORD_BYTES * (RING_STALL_NS / 1000000ull) / 1000ull;
    return bytes < RING_MIN_BYTES ? RING_MIN_BYTES : bytes > RING_MAX_BYTES ? RING_MAX_BYTES : (size_t)bytes;
}

static void end_sampling(void) {
    jvmti_session_stop();   /* alloc/lock callbacks off first */
    sampler_stop();         /* timers, wall thread; waits for producers in flight */
}

static void *collector_main(void *arg) {
    session *s = arg;
    sampler_block_signals();
    cprof_register_own_tid(cprof_gettid());
    s->rs.jni = vm_attach_agent_thread("cprof-collector");
    uint64_t flush_ns = s->o.flush_ms * 1000000ull;
    uint64_t start = now_mono_ns();
    uint64_t next_flush = start + flush_ns;
    uint64_t deadline = s->o.duration_ms ? start + s->o.duration_ms * 1000000ull : 0;

    uint64_t period = DRAIN_PERIOD_NS;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)period;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
        if (s->stop) break;
        pthread_mutex_unlock(&s->lock);
        unsigned records;
        size_t bytes = drain(s, &records);
        period = next_drain_period(s, bytes, records);
        uint64_t now = now_mono_ns();
        if (now >= next_flush) {
            flush(s);
            next_flush += flush_ns;
            if (next_flush < now) next_flush = now + flush_ns;
        }
        int over = (deadline != 0 && now >= deadline) || atomic_load(&s->sink->broken);
        pthread_mutex_lock(&s->lock);
        if (over) break;
    }
    pthread_mutex_unlock(&s->lock);

    /* Stop the producers before the last drain, so the final batch is complete. */
    end_sampling();
    while (drain(s, NULL) > 0) {
        /* producers are stopped: this ends */
    }
    if (!atomic_load(&s->sink->broken)) {
        flush(s);
    }
    vm_detach_agent_thread();
    cprof_unregister_own_tid(cprof_gettid());
    atomic_store(&s->finished, 1);
    return NULL;
}

static void session_free(session *s) {
    dict_free(&s->d);
    resolver_free(&s->rs);
    pb_free(&s->out);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

/* Joins and frees the current session (lock held). */
static void reap_locked(void) {
    session *s = cur;
    if (s == NULL) return;
    pthread_mutex_lock(&s->lock);
    s->stop = 1;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    if (!s->sink->is_socket) {
        close(s->sink->fd);
        pthread_mutex_destroy(&s->sink->lock);
        free(s->sink);
    }
    /* Producers are gone; if one were still stuck, keeping the ring is the safe choice. */
    if (sampler_quiet()) ring_destroy();
    session_free(s);
    cur = NULL;
    /* The session's dictionaries were malloc'ed by its collector thread, in that thread's
     * glibc arena; every session has a new thread and may get another arena, and an arena
     * keeps what is freed resident. Give it back, so repeated sessions leave RSS flat. */
    if (malloc_trim != NULL) malloc_trim(0);
}

int session_start(const cprof_options *o, cprof_sink *sink) {
    pthread_mutex_lock(&sess_lock);
    if (cur != NULL && atomic_load(&cur->finished)) {
        reap_locked();
    }
    if (cur != NULL || atomic_load(&g_vm_dead)) {
        pthread_mutex_unlock(&sess_lock);
        return -1;
    }
    resolve_init();
    /* libjvm's function table (~1 MB) now, once, rather than mid-session at its first sample. */
    symbols_preload((const void *)(*g_agent.jvmti)->GetVersionNumber);
    cprof_options safe = *o;
    options_clamp(&safe);
    o = &safe;
    session *s = calloc(1, sizeof *s);
    unsigned max_records;
    size_t ring_size = ring_bytes_for(o, &max_records);
    if (s == NULL || ring_create(ring_size, max_records) != 0) {
        free(s);
        pthread_mutex_unlock(&sess_lock);
        return -1;
    }
    s->o = *o;
    s->rs.d = &s->d;
    s->rs.o = &s->o;
    s->ring_bytes = ring_bytes();
    s->ring_records = max_records;
    s->sink = sink;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_t attr; /* monotonic: a wall-clock jump must not stall the collector */
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cond, &attr);
    pthread_condattr_destroy(&attr);
    pb_init(&s->out, 65536);
    s->batch_start_ns = now_epoch_ns();
    s->ring_dropped_seen = 0;
    cur = s;
    if (jvmti_session_start(&s->o) != 0 || sampler_start(&s->o) != 0 ||
        pthread_create(&s->thread, NULL, collector_main, s) != 0) {
        end_sampling();
        ring_destroy();
        session_free(s);
        cur = NULL;
        pthread_mutex_unlock(&sess_lock);
        return -1;
    }
    pthread_mutex_unlock(&sess_lock);
    return 0;
}

void session_stop(void) {
    pthread_mutex_lock(&sess_lock);
    reap_locked();
    pthread_mutex_unlock(&sess_lock);
}

int session_active(void) {
    pthread_mutex_lock(&sess_lock);
    int a = cur != NULL;
    pthread_mutex_unlock(&sess_lock);
    return a;
}

int session_finished(void) {
    pthread_mutex_lock(&sess_lock);
    int f = cur != NULL && atomic_load(&cur->finished);
    pthread_mutex_unlock(&sess_lock);
    return f;
}

void session_status(cprof_stats *st, char *sid, size_t n) {
    pthread_mutex_lock(&sess_lock);
    st->samples = sampler_samples();
    st->dropped = ring_dropped();
    st->buffer_bytes = ring_bytes();
    sampler_handler_times(&st->max_handler_ns, &st->mean_handler_ns);
    snprintf(sid, n, "%s", cur != NULL ? cur->o.session_id : "");
    pthread_mutex_unlock(&sess_lock);
}

void session_default_ring(uint32_t records) {
    atomic_store(&default_ring_records, records);
}

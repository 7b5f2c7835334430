/*
 * cprof native agent: declarations shared by the agent's files.
 * One concern per file: agent.c (load/attach, options), jvmti.c (capabilities, events),
 * sampler.c (timers, signals, AsyncGetCallTrace), buffer.c (lock-free sample ring),
 * collector.c (drain, resolve, aggregate, batch), encode.c (protobuf), control.c (socket).
 */
#ifndef CPROF_H
#define CPROF_H

#include <jvmti.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CPROF_VERSION "0.1.0"
#define CPROF_PROTOCOL_VERSION 2
#define CPROF_MAX_FRAME_BYTES (16u << 20)

/* EventType numbers of cprof.proto. */
enum { EV_CPU = 1, EV_WALL = 2, EV_ALLOC = 3, EV_LOCK = 4 };
#define EV_BIT(e) (1u << (e))

/* FrameKind numbers of cprof.proto. */
enum { KIND_JAVA = 1, KIND_NATIVE = 2, KIND_KERNEL = 3, KIND_PYTHON = 4, KIND_PSEUDO = 5 };

/* What a profiling session asks for (decoded from StartRequest or from load options). */
typedef struct {
    unsigned events;            /* EV_BIT mask */
    uint64_t interval_ns;       /* cpu/wall period */
    uint64_t alloc_interval;    /* bytes between heap samples */
    uint64_t lock_threshold_ns;
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
/* Bounds every session is held to, whatever it asked for (the CLI refuses intervals under 100 us). */
#define CPROF_MIN_INTERVAL_NS 100000ull          /* 100 us: 10 kHz per thread at most */
#define CPROF_MAX_INTERVAL_NS 60000000000ull     /* 1 min */
#define CPROF_MIN_ALLOC_INTERVAL 1024ull         /* bytes between heap samples */
#define CPROF_MIN_FLUSH_MS 100ull
#define CPROF_MAX_FLUSH_MS 60000ull
#define CPROF_MAX_WALL_THREADS 256u
void options_clamp(cprof_options *o);

/* ---- agent.c: process-wide state ---- */
typedef struct {
    JavaVM *vm;
    jvmtiEnv *jvmti;
    char service[256];
    char tmpdir[512];
    int have_alloc_cap, have_monitor_cap, have_lines_cap;
    uint32_t ring_records;      /* load option ring=N: the size for sessions that do not ask */
} cprof_agent;

extern cprof_agent g_agent;
void cprof_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint64_t now_epoch_ns(void);
uint64_t now_mono_ns(void);
JNIEnv *agent_attach_thread(const char *name); /* attach an agent thread as daemon */
void agent_detach_thread(void);
void agent_block_signals(void);               /* agent threads never take sampling signals */
int agent_is_own_tid(int tid);
void agent_register_own_tid(int tid);
void agent_unregister_own_tid(int tid);
int cprof_gettid(void);

/* ---- buffer.c: fixed ring of sample records, lock-free multi-producer ---- */
#define MAX_FRAMES 256
#define TYPE_NAME_LEN 120

typedef struct { jint lineno; jmethodID method_id; } cprof_frame; /* = ASGCT_CallFrame */

/* Wall sample thread state (from the kernel's task state letter). */
enum { STATE_NONE = 0, STATE_RUNNING, STATE_SLEEPING, STATE_WAITING, STATE_OTHER };

/* FrameType numbers of cprof.proto. */
enum { FTYPE_NONE = 0, FTYPE_INTERPRETED = 1, FTYPE_C1 = 2, FTYPE_JIT = 3, FTYPE_INLINED = 4, FTYPE_STUB = 5 };
#define MAX_NATIVE 64

typedef struct {
    uint8_t event;          /* EV_*; 0 = skip this record */
    uint8_t non_java;       /* sampled thread had no JNIEnv */
    uint8_t state;          /* STATE_*, wall samples with the wall_state option */
    uint8_t top_type;       /* FTYPE_* of top_method */
    int32_t num_frames;     /* Java frames; <= 0: AsyncGetCallTrace's error code */
    int32_t tid;
    uint16_t num_native;
    uint64_t weight;
    /* Above the Java frames, leaf first: PCs of native code (resolved later by symbol) and of
     * JVM stubs in the code heap (named later from the stub table). */
    uintptr_t native[MAX_NATIVE];
    /* Method* of a compiled method whose frame was unwound by hand (prologue, epilogue): the
     * Java frame right above frames[0]; 0 = none. Named by the collector. */
    uintptr_t top_method;
    char type_name[TYPE_NAME_LEN]; /* alloc/lock: JVM class signature, else "" */
    cprof_frame frames[MAX_FRAMES]; /* leaf first */
    uint8_t ftype[MAX_FRAMES];      /* FTYPE_* of frames[i] */
} cprof_record;

int ring_create(unsigned capacity);  /* power of two; 0 on success */
void ring_destroy(void);
cprof_record *ring_claim(void);      /* NULL when full (counted as dropped) */
int ring_full(void);                 /* 1 (counted as dropped) when a claim would fail now */
void ring_commit(cprof_record *r);
int ring_drain(void (*fn)(const cprof_record *, void *), void *arg, int max);
uint64_t ring_dropped(void);
uint64_t ring_bytes(void);

/* ---- sampler.c ---- */
int sampler_start(const cprof_options *o);
void sampler_stop(void);
void sampler_thread_started(int tid);  /* ThreadStart: arm a CPU timer for this thread */
void sampler_thread_ended(int tid);
uint64_t sampler_samples(void);
/* Time spent in the cpu/wall signal handlers this session: the longest one and the mean. */
void sampler_handler_times(uint64_t *max_ns, uint64_t *mean_ns);
/* Every producer (signal handler, JVMTI callback) brackets its work with these, so a
 * stopping session can wait until no producer still touches the ring. */
int sample_enter(void);                /* 1 = go ahead; 0 = not profiling (already exited) */
void sample_exit(void);
void sample_count(void);
int sampler_quiet(void);               /* no producer is inside the ring */

/* ---- jvmti.c ---- */
int jvmti_init(int live);               /* capabilities, callbacks, always-on events */
int jvmti_session_start(const cprof_options *o);
void jvmti_session_stop(void);
void jvmti_load_all_method_ids(JNIEnv *jni);
int thread_name_of(int tid, char *out, size_t n);
void agent_mark_own_thread(void);        /* called by agent threads before attaching */
extern atomic_int g_vm_dead;

/* ---- encode.c: protobuf ---- */
typedef struct { uint8_t *p; size_t len, cap; int oom; } pb_buf;
void pb_init(pb_buf *b, size_t cap);
void pb_free(pb_buf *b);
void pb_reset(pb_buf *b);
void pb_varint(pb_buf *b, uint64_t v);
void pb_tag(pb_buf *b, unsigned field, unsigned wire);
void pb_uint(pb_buf *b, unsigned field, uint64_t v);           /* omitted when 0 */
void pb_string(pb_buf *b, unsigned field, const char *s, size_t n); /* always written */
size_t pb_begin(pb_buf *b, unsigned field);                     /* nested message */
void pb_end(pb_buf *b, size_t mark);
size_t varint_size(uint64_t v);

typedef struct {
    uint32_t pid;
    char host[256], service[256], jdk_version[128], main_class[512];
    uint64_t start_time_ms;
} cprof_instance;

enum { REQ_OTHER = 0, REQ_HELLO, REQ_START, REQ_STOP, REQ_STATUS };
typedef struct {
    int kind;
    uint32_t protocol_version;
    cprof_options start;
} cprof_request;

/* Functions of shared objects from their .symtab (symbols.c), for the collector only:
 * the start of the function containing pc (1) or 0 if unknown; then its (mangled) name. */
int symbols_function(const char *path, uintptr_t base, uintptr_t pc, uintptr_t *start);
int symbols_name(const char *path, uintptr_t base, uintptr_t start, char *out, size_t out_n);
/* Reads the table of the object containing addr now (the first session does it for libjvm). */
void symbols_preload(const void *addr);
/* "_ZN5Klass4nameEv" → "Klass::name" (no parameters); 1 if covered, else 0 (symbols.c). */
int demangle_simple(const char *mangled, char *out, size_t out_n);
int decode_envelope(const uint8_t *p, size_t n, cprof_request *req); /* 0 ok, -1 malformed */
void encode_instance(pb_buf *b, const cprof_instance *in);
typedef struct {
    uint64_t samples, dropped, buffer_bytes, max_handler_ns, mean_handler_ns;
} cprof_stats;
void encode_status(pb_buf *b, int profiling, const char *session, const cprof_stats *st);
void encode_error(pb_buf *b, int code, const char *msg);

/* One aggregated sample entry of a batch. */
typedef struct { uint32_t stack; uint32_t event; uint64_t count, weight; } cprof_sample;
/* Sorts s by (event, stack) and writes Batch.sample_groups (field `field`): one columnar
 * SampleGroup per event, weights left out when all are count * unit_weight. */
void encode_sample_groups(pb_buf *b, unsigned field, cprof_sample *s, size_t n);

/* ---- control.c: where frames go (socket or file) ---- */
typedef struct {
    int fd;
    int is_socket;
    atomic_int broken;
    pthread_mutex_t lock;
} cprof_sink;
int sink_write(cprof_sink *s, const pb_buf *envelope); /* varint length + bytes; 0 ok */
int control_start(void);
void control_shutdown(void);

/* ---- collector.c: one profiling session ---- */
int session_start(const cprof_options *o, cprof_sink *sink);  /* 0 ok */
void session_stop(void);        /* stop sampling, final batch, free; idempotent */
int session_active(void);       /* a session exists (maybe finished, not yet reaped) */
int session_finished(void);     /* collector ended on its own (duration, broken sink) */
void session_status(cprof_stats *st, char *sid, size_t n);

#endif

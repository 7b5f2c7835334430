/*
 * One profiling session: the collector thread drains the ring every 100 ms, turns records
 * into stacks of frame ids (resolving jmethodIDs to "pkg.Class.method" once, through a
 * cache), aggregates identical (stack, event) pairs, and every flush interval sends one
 * Batch with the dictionary entries that are new on this stream. Dictionaries are bounded;
 * a sample that would need a new entry past a cap is counted in dropped.other.
 */
#define _GNU_SOURCE
#include "collector.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buffer.h"
#include "jvmti_events.h"
#include "protocol.h"
#include "sampler.h"
#include "symbols.h"
#include "util.h"
#include "vm.h"
#include "stubs.h"
#include "vmstructs.h"

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
#define MAX_STRINGS 200000
#define MAX_STRING_BYTES (4u << 20)
#define MAX_DICT_FRAMES 200000
#define MAX_STACKS 100000
#define MAX_STACK_IDS (1u << 20)
#define NONE UINT32_MAX

/* ---- a small open-addressing map: (k1, k2) -> v ---- */
typedef struct { uint64_t k1, k2, v; int used; } kent;
typedef struct { kent *e; size_t cap, n; } kmap;

static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
}

static int kmap_get(const kmap *m, uint64_t k1, uint64_t k2, uint64_t *v) {
    if (m->cap == 0) return 0;
    for (size_t i = mix(k1, k2) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->e[i].used) return 0;
        if (m->e[i].k1 == k1 && m->e[i].k2 == k2) {
            *v = m->e[i].v;
            return 1;
        }
    }
}

static int kmap_put(kmap *m, uint64_t k1, uint64_t k2, uint64_t v) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        kent *e = calloc(cap, sizeof(kent));
        if (e == NULL) return -1;
        for (size_t j = 0; j < m->cap; j++) {
            if (!m->e[j].used) continue;
            size_t i = mix(m->e[j].k1, m->e[j].k2) & (cap - 1);
            while (e[i].used) i = (i + 1) & (cap - 1);
            e[i] = m->e[j];
        }
        free(m->e);
        m->e = e;
        m->cap = cap;
    }
    size_t i = mix(k1, k2) & (m->cap - 1);
    while (m->e[i].used && !(m->e[i].k1 == k1 && m->e[i].k2 == k2)) i = (i + 1) & (m->cap - 1);
    if (!m->e[i].used) m->n++;
    m->e[i] = (kent){k1, k2, v, 1};
    return 0;
}

static void kmap_clear(kmap *m) {
    free(m->e);
    memset(m, 0, sizeof *m);
}

/* Variable-length entries (strings, stacks) are found by hash, then compared. The map holds
 * hash -> first id; ids with the same hash are chained through `next`. */
typedef struct { uint32_t off, len, next; } vent;

typedef struct { uint32_t name; uint32_t kind; uint32_t line; uint32_t type; } dframe;
typedef cprof_sample dsample;

typedef struct {
    cprof_options o;
    cprof_sink *sink;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
    atomic_int finished;
    JNIEnv *jni;

    char *sbytes; size_t sbytes_len, sbytes_cap;
    vent *strs; uint32_t nstrs, strs_cap; kmap str_by_hash;
    dframe *frames; uint32_t nframes, frames_cap; kmap frame_by_key;
    uint32_t *kids; size_t kids_len, kids_cap;
    vent *stacks; uint32_t nstacks, stacks_cap; kmap stack_by_hash;
    kmap methods, method_names, natives, thread_frames, sample_by_key;
    dsample *samples; uint32_t nsamples, samples_cap;

    uint32_t sent_strs, sent_frames, sent_stacks;
    uint64_t sequence, batch_start_ns;
    uint64_t unwalkable, other, ring_dropped_seen;
    pb_buf out;
    size_t ring_bytes;
    unsigned ring_records;      /* the cap on its records, 0 = none */
} session;

/* glibc's; weak, so a libc without it just skips the trim. */
extern int malloc_trim(size_t pad) __attribute__((weak));

static session *cur;
static pthread_mutex_t sess_lock = PTHREAD_MUTEX_INITIALIZER;
static char *(*demangle)(const char *, char *, size_t *, int *);
static atomic_uint default_ring_records; /* load option ring=N: the size for sessions that do not ask */

static int grow(void **p, uint32_t *cap, size_t elem, uint32_t need) {
    if (need <= *cap) return 0;
    uint32_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (q == NULL) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static uint64_t hash_bytes(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 1099511628211ull;
    }
    return h;
}

static uint32_t intern_string(session *s, const char *str, size_t n) {
    uint64_t h = hash_bytes(str, n), first;
    if (kmap_get(&s->str_by_hash, h, 0, &first)) {
        for (uint32_t id = (uint32_t)first; id != NONE; id = s->strs[id].next) {
            if (s->strs[id].len == n && memcmp(s->sbytes + s->strs[id].off, str, n) == 0) return id;
        }
    } else {
        first = NONE;
    }
    if (s->nstrs >= MAX_STRINGS || s->sbytes_len + n > MAX_STRING_BYTES) return NONE;
    if (s->sbytes_len + n > s->sbytes_cap) {
        size_t c = s->sbytes_cap ? s->sbytes_cap : 65536;
        while (c < s->sbytes_len + n) c *= 2;
        char *q = realloc(s->sbytes, c);
        if (q == NULL) return NONE;
        s->sbytes = q;
        s->sbytes_cap = c;
    }
    if (grow((void **)&s->strs, &s->strs_cap, sizeof(vent), s->nstrs + 1) != 0) return NONE;
    uint32_t id = s->nstrs;
    memcpy(s->sbytes + s->sbytes_len, str, n);
    s->strs[id] = (vent){(uint32_t)s->sbytes_len, (uint32_t)n, (uint32_t)first};
    s->sbytes_len += n;
    if (kmap_put(&s->str_by_hash, h, 0, id) != 0) return NONE;
    s->nstrs++;
    return id;
}

static uint32_t intern_frame(session *s, uint32_t name, uint32_t kind, uint32_t line, uint32_t type) {
    uint64_t v;
    if (name == NONE) return NONE;
    uint64_t k2 = ((uint64_t)(kind | type << 8) << 32) | line;
    if (kmap_get(&s->frame_by_key, name, k2, &v)) return (uint32_t)v;
    if (s->nframes >= MAX_DICT_FRAMES) return NONE;
    if (grow((void **)&s->frames, &s->frames_cap, sizeof(dframe), s->nframes + 1) != 0) return NONE;
    uint32_t id = s->nframes;
    s->frames[id] = (dframe){name, kind, line, type};
    if (kmap_put(&s->frame_by_key, name, k2, id) != 0) return NONE;
    s->nframes++;
    return id;
}

static uint32_t named_frame(session *s, const char *name, uint32_t kind) {
    return intern_frame(s, intern_string(s, name, strlen(name)), kind, 0, FTYPE_NONE);
}

static uint32_t intern_stack(session *s, const uint32_t *ids, uint32_t n) {
    uint64_t h = hash_bytes(ids, n * sizeof(uint32_t)), first;
    if (kmap_get(&s->stack_by_hash, h, 0, &first)) {
        for (uint32_t id = (uint32_t)first; id != NONE; id = s->stacks[id].next) {
            if (s->stacks[id].len == n && memcmp(s->kids + s->stacks[id].off, ids, n * sizeof(uint32_t)) == 0) return id;
        }
    } else {
        first = NONE;
    }
    if (s->nstacks >= MAX_STACKS || s->kids_len + n > MAX_STACK_IDS) return NONE;
    if (s->kids_len + n > s->kids_cap) {
        size_t c = s->kids_cap ? s->kids_cap : 16384;
        while (c < s->kids_len + n) c *= 2;
        uint32_t *q = realloc(s->kids, c * sizeof(uint32_t));
        if (q == NULL) return NONE;
        s->kids = q;
        s->kids_cap = c;
    }
    if (grow((void **)&s->stacks, &s->stacks_cap, sizeof(vent), s->nstacks + 1) != 0) return NONE;
    uint32_t id = s->nstacks;
    memcpy(s->kids + s->kids_len, ids, n * sizeof(uint32_t));
    s->stacks[id] = (vent){(uint32_t)s->kids_len, n, (uint32_t)first};
    s->kids_len += n;
    if (kmap_put(&s->stack_by_hash, h, 0, id) != 0) return NONE;
    s->nstacks++;
    return id;
}

static void add_sample(session *s, uint32_t stack, uint32_t event, uint64_t weight) {
    uint64_t v;
    if (kmap_get(&s->sample_by_key, stack, event, &v)) {
        s->samples[v].count++;
        s->samples[v].weight += weight;
        return;
    }
    if (grow((void **)&s->samples, &s->samples_cap, sizeof(dsample), s->nsamples + 1) != 0 ||
        kmap_put(&s->sample_by_key, stack, event, s->nsamples) != 0) {
        s->other++;
        return;
    }
    s->samples[s->nsamples++] = (dsample){stack, event, 1, weight};
}

/* "Lcom/foo/Bar$Baz;" -> "com.foo.Bar$Baz", "[B" -> "byte[]"; hidden-class suffixes
 * ("/0x0123..." or ".0x0123...") are cut so names are stable across JVMs. */
static void class_name(const char *sig, char *out, size_t n) {
    int dims = 0;
    size_t o = 0;
    while (*sig == '[') {
        dims++;
        sig++;
    }
    const char *prim = NULL;
    switch (*sig) {
    case 'B': prim = "byte"; break;
    case 'C': prim = "char"; break;
    case 'D': prim = "double"; break;
    case 'F': prim = "float"; break;
    case 'I': prim = "int"; break;
    case 'J': prim = "long"; break;
    case 'S': prim = "short"; break;
    case 'Z': prim = "boolean"; break;
    case 'V': prim = "void"; break;
    default: break;
    }
    if (prim != NULL) {
        o = (size_t)snprintf(out, n, "%s", prim);
    } else {
        if (*sig == 'L') sig++;
        for (; *sig && *sig != ';' && o + 1 < n; sig++) {
            if ((sig[0] == '/' || sig[0] == '.') && sig[1] == '0' && sig[2] == 'x') break;
            out[o++] = *sig == '/' ? '.' : *sig;
        }
        out[o] = '\0';
    }
    for (int i = 0; i < dims && o + 3 < n; i++) {
        out[o++] = '[';
        out[o++] = ']';
        out[o] = '\0';
    }
}

static uint32_t method_name(session *s, jmethodID m) {
    uint64_t v;
    if (kmap_get(&s->method_names, (uint64_t)(uintptr_t)m, 0, &v)) return (uint32_t)v;
    jvmtiEnv *jvmti = g_agent.jvmti;
    char buf[1024];
    jclass cls = NULL;
    char *csig = NULL, *mname = NULL;
    /* A method of an unloaded class has an invalid id: JVMTI reports it, we name it. */
    if (m == NULL) {
        snprintf(buf, sizeof buf, "[unknown_method]");
    } else if ((*jvmti)->GetMethodDeclaringClass(jvmti, m, &cls) != JVMTI_ERROR_NONE || cls == NULL) {
        snprintf(buf, sizeof buf, "[unloaded_method]");
    } else if ((*jvmti)->GetClassSignature(jvmti, cls, &csig, NULL) != JVMTI_ERROR_NONE ||
               (*jvmti)->GetMethodName(jvmti, m, &mname, NULL, NULL) != JVMTI_ERROR_NONE) {
        snprintf(buf, sizeof buf, "[unloaded_method]");
    } else {
        char cname[768];
        class_name(csig, cname, sizeof cname);
        snprintf(buf, sizeof buf, "%s.%s", cname, mname);
    }
    if (csig != NULL) (*jvmti)->Deallocate(jvmti, (unsigned char *)csig);
    if (mname != NULL) (*jvmti)->Deallocate(jvmti, (unsigned char *)mname);
    if (cls != NULL && s->jni != NULL) (*s->jni)->DeleteLocalRef(s->jni, cls);
    uint32_t id = intern_string(s, buf, strlen(buf));
    if (id != NONE) kmap_put(&s->method_names, (uint64_t)(uintptr_t)m, 0, id);
    return id;
}

static uint32_t line_of(jmethodID m, jint bci) {
    jvmtiEnv *jvmti = g_agent.jvmti;
    jint count = 0;
    jvmtiLineNumberEntry *table = NULL;
    uint32_t line = 0;
    if (m == NULL || bci < 0 || !g_agent.have_lines_cap ||
        (*jvmti)->GetLineNumberTable(jvmti, m, &count, &table) != JVMTI_ERROR_NONE) {
        return 0;
    }
    jlocation best = -1;
    for (jint i = 0; i < count; i++) {
        if (table[i].start_location <= bci && table[i].start_location > best) {
            best = table[i].start_location;
            line = (uint32_t)table[i].line_number;
        }
    }
    (*jvmti)->Deallocate(jvmti, (unsigned char *)table);
    return line;
}

static uint32_t java_frame(session *s, jmethodID m, jint bci, uint32_t type) {
    uint64_t v;
    uint64_t k2 = (s->o.lines ? (uint64_t)(uint32_t)bci + 1 : 0) | (uint64_t)type << 40;
    if (kmap_get(&s->methods, (uint64_t)(uintptr_t)m, k2, &v)) return (uint32_t)v;
    uint32_t name = method_name(s, m);
    /* "[unloaded_method]", "[unknown_method]": the agent's markers, pseudo frames like the
     * AGCT error names (a Java frame's name never starts with '['). */
    if (name != NONE && s->sbytes[s->strs[name].off] == '[') {
        uint32_t f = intern_frame(s, name, KIND_PSEUDO, 0, FTYPE_NONE);
        if (f != NONE) kmap_put(&s->methods, (uint64_t)(uintptr_t)m, k2, f);
        return f;
    }
    uint32_t f = intern_frame(s, name, KIND_JAVA, s->o.lines ? line_of(m, bci) : 0, type);
    if (f != NONE) kmap_put(&s->methods, (uint64_t)(uintptr_t)m, k2, f);
    return f;
}

/* The interrupted PC by symbol (dladdr runs here, in the collector, never in the handler).
 * JIT-compiled and interpreted code is in no shared object: no frame. */
static uint32_t native_frame(session *s, uintptr_t pc) {
    Dl_info info, self;
    uint64_t v;
    if (pc == 0 || dladdr((void *)pc, &info) == 0 || info.dli_fname == NULL) return NONE;
    const char *sname = info.dli_sname;
    uintptr_t key = sname != NULL ? (uintptr_t)info.dli_saddr : (uintptr_t)info.dli_fbase;
    /* Not exported: the function in the object's .symtab, its name read once per session. */
    int in_symtab = sname == NULL && symbols_function(info.dli_fname, (uintptr_t)info.dli_fbase, pc, &key);
    if (kmap_get(&s->natives, key, 0, &v)) return (uint32_t)v;
    char sym[1024];
    if (in_symtab && symbols_name(info.dli_fname, (uintptr_t)info.dli_fbase, key, sym, sizeof sym)) {
        sname = sym;
    }
    char buf[1024];
    if (dladdr((void *)native_frame, &self) != 0 && self.dli_fbase == info.dli_fbase) {
        /* This agent's own code (a JVMTI callback such as ClassPrepare running on the
         * sampled thread): one honest name, not a hash-named library. */
        snprintf(buf, sizeof buf, "[cprof]");
        uint32_t f = named_frame(s, buf, KIND_PSEUDO);
        if (f != NONE) kmap_put(&s->natives, key, 0, f);
        return f;
    }
    if (sname != NULL) {
        char *d = NULL;
        int status = -1;
        if (demangle_simple(sname, buf, sizeof buf)) {
            /* scope::function, whether or not the JVM has a __cxa_demangle */
        } else if (demangle != NULL && sname[0] == '_' && sname[1] == 'Z' && (d = demangle(sname, NULL, NULL, &status)) != NULL && status == 0) {
            snprintf(buf, sizeof buf, "%s", d);
        } else {
            snprintf(buf, sizeof buf, "%s", sname);
        }
        free(d);
    } else {
        const char *base = strrchr(info.dli_fname, '/');
        snprintf(buf, sizeof buf, "[%s]", base != NULL ? base + 1 : info.dli_fname);
    }
    uint32_t f = named_frame(s, buf, KIND_NATIVE);
    if (f != NONE) kmap_put(&s->natives, key, 0, f);
    return f;
}

/* A PC in the JVM's code heap above the Java frames: a stub, by its JVMTI name or else its
 * code blob's. NONE when it is neither (compiled code is named by AsyncGetCallTrace). */
static uint32_t stub_frame(session *s, uintptr_t pc) {
    char name[128];
    uintptr_t start;
    uint64_t v;
    if (!stubs_find(pc, &start, name, sizeof name)) {
        vm_blob b;
        if (!vms_find_blob(pc, &b) || b.kind == BLOB_NMETHOD) return NONE;
        start = b.start;
        snprintf(name, sizeof name, "%s", b.name);
    }
    if (kmap_get(&s->natives, start, 0, &v)) return (uint32_t)v;
    uint32_t f = intern_frame(s, intern_string(s, name, strlen(name)), KIND_NATIVE, 0, FTYPE_STUB);
    if (f != NONE) kmap_put(&s->natives, start, 0, f);
    return f;
}

static uint32_t thread_frame(session *s, int tid) {
    uint64_t v;
    if (kmap_get(&s->thread_frames, (uint64_t)tid, 0, &v)) return (uint32_t)v;
    char name[128], buf[160];
    if (thread_name_of(tid, name, sizeof name) != 0) {
        snprintf(name, sizeof name, "tid=%d", tid);
    }
    snprintf(buf, sizeof buf, "[%s]", name);
    uint32_t f = named_frame(s, buf, KIND_PSEUDO);
    if (f != NONE) kmap_put(&s->thread_frames, (uint64_t)tid, 0, f);
    return f;
}

static const char *agct_error_name(int code) {
    switch (code) {
    case 0: return "[no_Java_frame]";
    case -1: return "[no_class_load]";
    case -2: return "[gc]";
    case -3: return "[unknown_not_Java]";
    case -4: return "[not_walkable_not_Java]";
    case -5: return "[unknown_Java]";
    case -6: return "[not_walkable_Java]";
    case -7: return "[unknown_state]";
    case -8: return "[thread_exit]";
    case -9: return "[deopt]";
    case -10: return "[safepoint]";
    default: return "[unknown_error]";
    }
}

static const char *state_name(uint8_t state) {
    switch (state) {
    case STATE_RUNNING: return "[running]";
    case STATE_SLEEPING: return "[sleeping]";
    case STATE_WAITING: return "[waiting]";
    case STATE_OTHER: return "[other_state]";
    default: return NULL;
    }
}

/* One record -> one stack (root first) -> one aggregated sample. */
static void process_record(const cprof_record *r, void *arg) {
    session *s = arg;
    uint32_t ids[MAX_FRAMES + MAX_NATIVE + 8];
    uint32_t n = 0;
    int bad = 0;
    if (r->event == 0) return; /* a producer's "nothing to record" */
#define PUSH(f) do { uint32_t f_ = (f); if (f_ == NONE) bad = 1; else ids[n++] = f_; } while (0)
    if (s->o.threads || r->non_java) {
        PUSH(thread_frame(s, r->tid));
    }
    if (r->non_java) {
        if (r->num_native == 0) PUSH(named_frame(s, "[jvm_internal]", KIND_PSEUDO));
    } else if (r->num_frames <= 0) {
        /* No Java frame. A JVM thread that runs none (compiler, service threads) is shown by
         * its native stack alone; otherwise the walk failed: kept, as a pseudo frame naming
         * why, counted so the client can tell how much of the profile has no Java stack, but
         * these samples are NOT lost. */
        if (r->num_frames < 0 || r->num_native == 0) {
            if (r->event == EV_CPU || r->event == EV_WALL) s->unwalkable++;
            PUSH(named_frame(s, agct_error_name(r->num_frames), KIND_PSEUDO));
        }
    } else {
        int nf = r->num_frames > MAX_FRAMES ? MAX_FRAMES : r->num_frames;
        if (nf == MAX_FRAMES) PUSH(named_frame(s, "[truncated]", KIND_PSEUDO));
        for (int i = nf - 1; i >= 0; i--) {
            PUSH(java_frame(s, r->frames[i].method_id, r->frames[i].lineno, r->ftype[i]));
        }
    }
    if (r->top_method != 0) {
        /* A compiled method interrupted in its prologue or epilogue, unwound by the walker. */
        jmethodID m = vms_method_id(r->top_method);
        if (m != NULL) PUSH(java_frame(s, m, -1, r->top_type));
    }
    if (r->type_name[0] != '\0' && r->event == EV_JDBC) {
        /* jdbc: the label's lines (the statement, then a failed call's exception) as pseudo frames */
        for (const char *p = r->type_name; *p != '\0';) {
            char line[TYPE_NAME_LEN];
            size_t len = strcspn(p, "\n");
            memcpy(line, p, len);
            line[len] = '\0';
            PUSH(named_frame(s, line, KIND_PSEUDO));
            p += len + (p[len] == '\n');
        }
    } else if (r->type_name[0] != '\0') {
        char cname[256];
        class_name(r->type_name, cname, sizeof cname);
        PUSH(named_frame(s, cname, KIND_JAVA));
    }
    for (int i = r->num_native - 1; i >= 0; i--) {
        /* Native and stub frames: a PC that names nothing (JIT code, an unknown object) is
         * left out rather than shown as a made-up frame. */
        uintptr_t pc = r->native[i];
        uint32_t f = vms_in_code_heap(pc) ? stub_frame(s, pc) : native_frame(s, pc);
        if (f != NONE) ids[n++] = f;
    }
    if (r->state != STATE_NONE) {
        PUSH(named_frame(s, state_name(r->state), KIND_PSEUDO)); /* leaf: thread state */
    }
#undef PUSH
    uint32_t stack = bad ? NONE : intern_stack(s, ids, n);
    if (stack == NONE) {
        s->other++; /* a dictionary is full */
        return;
    }
    add_sample(s, stack, r->event, r->weight);
}

/* Encodes and sends Envelope{batch}; resets the per-batch samples. */
static void flush(session *s) {
    pb_buf *b = &s->out;
    uint64_t end = now_epoch_ns();
    uint64_t ring_dropped_now = ring_dropped();
    pb_reset(b);
    size_t env = pb_begin(b, 6);
    pb_uint(b, 2, ++s->sequence);
    pb_uint(b, 3, s->sent_strs);
    for (uint32_t i = s->sent_strs; i < s->nstrs; i++) {
        pb_string(b, 4, s->sbytes + s->strs[i].off, s->strs[i].len);
    }
    pb_uint(b, 5, s->sent_frames);
    for (uint32_t i = s->sent_frames; i < s->nframes; i++) {
        size_t m = pb_begin(b, 6);
        pb_uint(b, 1, s->frames[i].name);
        pb_uint(b, 2, s->frames[i].kind);
        pb_uint(b, 3, s->frames[i].line);
        pb_uint(b, 4, s->frames[i].type);
        pb_end(b, m);
    }
    pb_uint(b, 7, s->sent_stacks);
    for (uint32_t i = s->sent_stacks; i < s->nstacks; i++) {
        size_t m = pb_begin(b, 8);
        if (s->stacks[i].len > 0) {
            size_t packed = pb_begin(b, 1);
            for (uint32_t j = 0; j < s->stacks[i].len; j++) pb_varint(b, s->kids[s->stacks[i].off + j]);
            pb_end(b, packed);
        }
        pb_end(b, m);
    }
    /* Sorts the samples; sample_by_key is cleared below, so its indexes need not stay valid. */
    encode_sample_groups(b, 13, s->samples, s->nsamples);
    size_t d = pb_begin(b, 10);
    pb_uint(b, 1, ring_dropped_now - s->ring_dropped_seen);
    pb_uint(b, 2, s->unwalkable);
    pb_uint(b, 3, s->other);
    pb_end(b, d);
    pb_uint(b, 11, s->batch_start_ns);
    pb_uint(b, 12, end);
    pb_end(b, env);

    if (b->oom || b->len > CPROF_MAX_FRAME_BYTES) {
        cprof_log("batch %llu not sent: %s", (unsigned long long)s->sequence, b->oom ? "out of memory" : "too large");
        s->sequence--;
    } else if (sink_write(s->sink, b) == 0) {
        s->sent_strs = s->nstrs;
        s->sent_frames = s->nframes;
        s->sent_stacks = s->nstacks;
        s->ring_dropped_seen = ring_dropped_now;
        s->unwalkable = s->other = 0;
    }
    s->nsamples = 0;
    kmap_clear(&s->sample_by_key);
    s->batch_start_ns = end;
}

/* Drains what is in the ring, at most one ring's worth: producers refilling it as fast as it
 * empties must not keep the collector from flushing, or from stopping. Returns the bytes,
 * *records the records. */
static size_t drain(session *s, unsigned *records) {
    size_t total = 0, n;
    unsigned recs = 0;
    int r;
    while (total < s->ring_bytes && (r = ring_drain(process_record, s, s->ring_bytes - total, &n), n > 0)) {
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
    s->jni = vm_attach_agent_thread("cprof-collector");
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
    free(s->sbytes);
    free(s->strs);
    free(s->frames);
    free(s->kids);
    free(s->stacks);
    free(s->samples);
    kmap_clear(&s->str_by_hash);
    kmap_clear(&s->frame_by_key);
    kmap_clear(&s->stack_by_hash);
    kmap_clear(&s->methods);
    kmap_clear(&s->method_names);
    kmap_clear(&s->natives);
    kmap_clear(&s->thread_frames);
    kmap_clear(&s->sample_by_key);
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
    if (demangle == NULL) {
        demangle = (char *(*)(const char *, char *, size_t *, int *))dlsym(RTLD_DEFAULT, "__cxa_demangle");
    }
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

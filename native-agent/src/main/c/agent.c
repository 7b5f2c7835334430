/*
 * Entry points: Agent_OnLoad (-agentpath at JVM start) and Agent_OnAttach (dynamic attach).
 * Both parse the same options; the JVMTI environment, the control socket and its thread
 * are created once per process, so a second attach reuses them.
 *
 * Options (comma separated): service=NAME, start=cpu[,wall,alloc,lock], interval=10ms,
 * alloc=512k, lock=10ms, duration=30s, flush=1s, threads, lines, wallthreads=N, wallstate,
 * ring=N, file=PATH. wallstate adds the thread state as the leaf frame of wall samples; ring=N
 * sizes the sample ring (records, rounded up to a power of two, 2-2048) of this and of later
 * sessions that do not ask for a size themselves.
 * With start= the agent profiles right away; with file=PATH too, it writes the framed
 * InstanceInfo and Batch envelopes to PATH.
 */
#define _GNU_SOURCE
#include "cprof.h"
#include "vmstructs.h"
#include "walker.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

cprof_agent g_agent;

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static int control_started;
static cprof_options pending;      /* start= from -agentpath, applied at VMInit */
static char pending_file[1024];
static int pending_start;

#define MAX_OWN 16
static atomic_int own_tids[MAX_OWN];

void cprof_log(const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[cprof] %s\n", buf);
}

uint64_t now_epoch_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t now_mono_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int cprof_gettid(void) {
    return (int)syscall(SYS_gettid);
}

void agent_block_signals(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGPROF);
    sigaddset(&set, SIGVTALRM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void agent_register_own_tid(int tid) {
    for (int i = 0; i < MAX_OWN; i++) {
        int zero = 0;
        if (atomic_compare_exchange_strong(&own_tids[i], &zero, tid)) return;
    }
}

void agent_unregister_own_tid(int tid) {
    for (int i = 0; i < MAX_OWN; i++) {
        int t = tid;
        if (atomic_compare_exchange_strong(&own_tids[i], &t, 0)) return;
    }
}

int agent_is_own_tid(int tid) {
    for (int i = 0; i < MAX_OWN; i++) {
        if (atomic_load(&own_tids[i]) == tid) return 1;
    }
    return 0;
}

JNIEnv *agent_attach_thread(const char *name) {
    JNIEnv *env = NULL;
    agent_mark_own_thread();
    pthread_setname_np(pthread_self(), name);
    if (atomic_load(&g_vm_dead)) return NULL;
    JavaVMAttachArgs args = {JNI_VERSION_1_6, (char *)name, NULL};
    if ((*g_agent.vm)->AttachCurrentThreadAsDaemon(g_agent.vm, (void **)&env, &args) != JNI_OK) {
        cprof_log("cannot attach thread %s", name);
        return NULL;
    }
    return env;
}

void agent_detach_thread(void) {
    if (!atomic_load(&g_vm_dead)) {
        (*g_agent.vm)->DetachCurrentThread(g_agent.vm);
    }
}

void options_defaults(cprof_options *o) {
    memset(o, 0, sizeof *o);
    o->interval_ns = 10000000ull;
    o->alloc_interval = 512 * 1024;
    o->lock_threshold_ns = 10000000ull;
    o->flush_ms = 1000;
    o->wall_threads = 16;
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
    if (o->wall_threads == 0) o->wall_threads = 16;
    if (o->wall_threads > CPROF_MAX_WALL_THREADS) o->wall_threads = CPROF_MAX_WALL_THREADS;
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
    return 0;
}

static void parse_options(const char *options, cprof_options *o, int *start, char *file, size_t file_n) {
    options_defaults(o);
    *start = 0;
    file[0] = '\0';
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
        if (strcmp(k, "service") == 0) snprintf(g_agent.service, sizeof g_agent.service, "%s", v);
        else if (strcmp(k, "start") == 0 || strcmp(k, "event") == 0) {
            *start = 1;
            if (event_of(v)) o->events |= EV_BIT(event_of(v));
            else cprof_log("unknown event '%s' ignored", v);
        } else if (strcmp(k, "interval") == 0) o->interval_ns = parse_duration_ns(v, 1);
        else if (strcmp(k, "alloc") == 0) o->alloc_interval = parse_size(v);
        else if (strcmp(k, "lock") == 0) o->lock_threshold_ns = parse_duration_ns(v, 1000000);
        else if (strcmp(k, "duration") == 0) o->duration_ms = parse_duration_ns(v, 1000000000ull) / 1000000;
        else if (strcmp(k, "flush") == 0) o->flush_ms = parse_duration_ns(v, 1000000) / 1000000;
        else if (strcmp(k, "wallthreads") == 0) o->wall_threads = (uint32_t)atoi(v);
        else if (strcmp(k, "ring") == 0) g_agent.ring_records = o->ring_records = (uint32_t)atoi(v);
        else if (strcmp(k, "file") == 0) snprintf(file, file_n, "%s", v);
        else cprof_log("unknown option '%s' ignored", k);
    }
    if (o->interval_ns == 0) o->interval_ns = 10000000ull;
    if (o->flush_ms == 0) o->flush_ms = 1000;
    if (o->alloc_interval == 0) o->alloc_interval = 512 * 1024;
    free(copy);
}

void control_instance(cprof_instance *in); /* control.c */
int control_write_instance(cprof_sink *s); /* control.c */

/* start= from the options: a session whose frames go to a file (or are discarded). */
static void start_from_options(const cprof_options *o, const char *file) {
    if (file[0] == '\0') {
        cprof_log("start= without file= : profiling needs a client; use file=PATH");
        return;
    }
    cprof_sink *sink = calloc(1, sizeof *sink);
    if (sink == NULL) return;
    sink->fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (sink->fd < 0) {
        cprof_log("cannot open %s: %s", file, strerror(errno));
        free(sink);
        return;
    }
    pthread_mutex_init(&sink->lock, NULL);
    control_write_instance(sink);
    if (session_start(o, sink) != 0) {
        cprof_log("cannot start profiling (already running?)");
        close(sink->fd);
        pthread_mutex_destroy(&sink->lock);
        free(sink);
    }
}

/* Live phase: socket server, then the start= session if any. */
static void go_live(JNIEnv *jni) {
    vms_init(jni); /* the code heaps exist from the live phase on */
    if (!control_started) {
        control_started = control_start() == 0;
    }
    if (pending_start) {
        pending_start = 0;
        start_from_options(&pending, pending_file);
    }
}

void agent_on_vm_init(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread) {
    (void)jvmti;
    (void)thread;
    pthread_mutex_lock(&init_lock);
    go_live(jni);
    pthread_mutex_unlock(&init_lock);
}

void agent_on_vm_death(void) {
    session_stop();   /* final batch, files closed */
    control_shutdown();
}

static jint init(JavaVM *vm, const char *options, int live) {
    pthread_mutex_lock(&init_lock);
    cprof_options o;
    int start;
    char file[1024];
    parse_options(options, &o, &start, file, sizeof file);
    if (!initialized) {
        g_agent.vm = vm;
        if ((*vm)->GetEnv(vm, (void **)&g_agent.jvmti, JVMTI_VERSION_1_2) != JNI_OK) {
            cprof_log("JVMTI is not available");
            pthread_mutex_unlock(&init_lock);
            return JNI_ERR;
        }
        if (walker_init() != 0) {
            cprof_log("AsyncGetCallTrace not found: cpu/wall sampling disabled");
        }
        if (jvmti_init(live) != 0) {
            pthread_mutex_unlock(&init_lock);
            return JNI_ERR;
        }
        initialized = 1;
    }
    if (start) {
        pending = o;
        snprintf(pending_file, sizeof pending_file, "%s", file);
        pending_start = 1;
    }
    if (live) {
        JNIEnv *jni = NULL;
        (*vm)->GetEnv(vm, (void **)&jni, JNI_VERSION_1_6);
        jvmti_load_all_method_ids(jni); /* classes loaded before us: AGCT needs their ids */
        go_live(jni);
    }
    pthread_mutex_unlock(&init_lock);
    return JNI_OK;
}

__attribute__((visibility("default"))) JNIEXPORT jint JNICALL Agent_OnLoad(JavaVM *vm, char *options, void *reserved) {
    (void)reserved;
    return init(vm, options, 0);
}

__attribute__((visibility("default"))) JNIEXPORT jint JNICALL Agent_OnAttach(JavaVM *vm, char *options, void *reserved) {
    (void)reserved;
    return init(vm, options, 1);
}

__attribute__((visibility("default"))) JNIEXPORT void JNICALL Agent_OnUnload(JavaVM *vm) {
    (void)vm;
}

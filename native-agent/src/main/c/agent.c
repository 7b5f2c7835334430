/*
 * Entry points: Agent_OnLoad (-agentpath at JVM start) and Agent_OnAttach (dynamic attach).
 * Both parse the same options (options.c); the JVMTI environment, the control socket and its
 * thread are created once per process, so a second attach reuses them.
 * With start= the agent profiles right away; with file=PATH too, it writes the framed
 * InstanceInfo and Batch envelopes to PATH.
 *
 * The agent's files, top to bottom. A file calls only files listed below it; the one way up
 * is a callback handed down (jvmti_events.c's VMInit/VMDeath reach this file through the
 * functions given to jvmti_init).
 *
 *   agent.c         entry points, load options applied, the start= session
 *   control.c       control socket and its thread
 *   control_clients.c  the socket's clients: Hello, Start, Stop, Status; one session holder
 *   instance.c      InstanceInfo: pid, host, service, JDK, main class, start time
 *   collector.c     one session: its lifecycle, the thread that drains the ring and sends batches
 *   resolve.c       a record into a stack of frames and one sample: names methods, symbols, stubs
 *   dict.c          the session's bounded dictionaries (strings, frames, stacks, samples)
 *   jvmti_events.c  capabilities, JVMTI events (alloc/lock samples, thread start/end), names
 *   sampler.c       cpu/wall: a session's timers and signals, the sampler thread
 *   sampler_signals.c  the producers' gate; the cpu/wall signal handlers
 *   sampler_threads.c  the process's threads: slots, CPU timers, wall-tick targets
 *   sigchain.c      the sampling signals' handlers installed per session, chaining to the
 *                   handler they replaced
 *   walker.c        the signal handler's stack walk: native frames, AsyncGetCallTrace with
 *                   repaired contexts
 *   walker_unwind.c the repair rules: a stub's or compiled prologue/epilogue's caller (x86_64)
 *   walker_types.c  the frame types: interpreted, C1, JIT, inlined (x86_64)
 *   vmstructs.c     HotSpot's exported structure tables: code heaps, blobs, last Java frame
 *   stubs.c         names of the code the JVM generated (JVMTI DynamicCodeGenerated)
 *   buffer.c        lock-free ring of sample records, packed to their stack's depth
 *   symbols.c       .symtab function names, a small demangler
 *   encode.c        protobuf encoder, request decoder
 *   sink.c          framed writes to the client's socket or a file
 *   options.c       session options: defaults, bounds, the load-option parser
 *   vm.c            JavaVM/jvmtiEnv handles, agent threads attached to the JVM, properties
 *   util.c          log, clocks, tids, the agent's own-thread table
 *   protocol.h      numbers of cprof.proto (versions, event types, frame kinds and types)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "control.h"
#include "instance.h"
#include "jvmti_events.h"
#include "options.h"
#include "vmstructs.h"
#include "walker.h"
#include "sampler.h"
#include "sink.h"
#include "util.h"
#include "vm.h"

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static int initialized;
static int control_started;
static cprof_options pending;      /* start= from -agentpath, applied at VMInit */
static char pending_file[1024];
static int pending_start;

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
    instance_write(sink);
    if (session_start(o, sink) != 0) {
        cprof_log("cannot start profiling (already running?)");
        close(sink->fd);
        pthread_mutex_destroy(&sink->lock);
        free(sink);
    }
}

/* Live phase: socket server, then the start= session if any. */
static void go_live(JNIEnv *jni) {
    vms_init(g_agent.jvmti, jni); /* the code heaps exist from the live phase on */
    if (!control_started) {
        control_started = control_start() == 0;
    }
    if (pending_start) {
        pending_start = 0;
        start_from_options(&pending, pending_file);
    }
}

static void on_vm_init(JNIEnv *jni) {
    pthread_mutex_lock(&init_lock);
    go_live(jni);
    pthread_mutex_unlock(&init_lock);
}

static void on_vm_death(void) {
    session_stop();   /* final batch, files closed */
    control_shutdown();
}

static jint init(JavaVM *vm, const char *options, int live) {
    pthread_mutex_lock(&init_lock);
    cprof_options o;
    cprof_load_options lo;
    options_parse(options, &o, &lo);
    if (lo.service_given) instance_set_service(lo.service);
    if (lo.ring_given) session_default_ring(o.ring_records);
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
        if (jvmti_init(live, on_vm_init, on_vm_death) != 0) {
            pthread_mutex_unlock(&init_lock);
            return JNI_ERR;
        }
        initialized = 1;
    }
    if (lo.start) {
        pending = o;
        snprintf(pending_file, sizeof pending_file, "%s", lo.file);
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

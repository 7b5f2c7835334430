/*
 * JVMTI: capabilities, always-on events (class load/prepare for AsyncGetCallTrace and
 * jmethodID creation, CompiledMethodLoad for DebugNonSafepoints, thread start/end for timers
 * and names) and the per-session events (SampledObjectAlloc, MonitorContendedEnter/Entered).
 */
#define _GNU_SOURCE
#include "jvmti_events.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "buffer.h"
#include "hooks.h"
#include "protocol.h"
#include "sampler.h"
#include "util.h"
#include "vm.h"
#include "stubs.h"

static atomic_int alloc_on, lock_on;
static uint64_t lock_threshold_ns;
static double alloc_interval; /* bytes, as given to SetHeapSamplingInterval */

/* tid -> Java thread name, filled at ThreadStart; ended threads are kept (marked) so the
 * collector can still name their last samples, and are overwritten first. */
#define NAME_SLOTS 4096
typedef struct { int tid; int ended; char name[64]; } tname;
static tname names[NAME_SLOTS];
static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;

static jvmti_vm_init_fn vm_init_hook;   /* agent.c's, given to jvmti_init */
static jvmti_vm_death_fn vm_death_hook;

static void name_put(int tid, const char *name) {
    pthread_mutex_lock(&names_lock);
    tname *free_slot = NULL, *ended = NULL;
    for (int i = 0; i < NAME_SLOTS; i++) {
        if (names[i].tid == tid) {
            free_slot = &names[i];
            break;
        }
        if (names[i].tid == 0 && free_slot == NULL) free_slot = &names[i];
        if (names[i].ended && ended == NULL) ended = &names[i];
    }
    tname *t = free_slot != NULL ? free_slot : ended;
    if (t != NULL) {
        t->tid = tid;
        t->ended = 0;
        snprintf(t->name, sizeof t->name, "%s", name);
    }
    pthread_mutex_unlock(&names_lock);
}

static void name_ended(int tid) {
    pthread_mutex_lock(&names_lock);
    for (int i = 0; i < NAME_SLOTS; i++) {
        if (names[i].tid == tid) {
            names[i].ended = 1;
            break;
        }
    }
    pthread_mutex_unlock(&names_lock);
}

/* Java name when we saw the thread start, else the kernel's (15-char) name. */
int thread_name_of(int tid, char *out, size_t n) {
    int found = 0;
    pthread_mutex_lock(&names_lock);
    for (int i = 0; i < NAME_SLOTS; i++) {
        if (names[i].tid == tid) {
            snprintf(out, n, "%s", names[i].name);
            found = 1;
            break;
        }
    }
    pthread_mutex_unlock(&names_lock);
    if (found) return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/self/task/%d/comm", tid);
    FILE *f = fopen(path, "r");
    if (f == NULL) return -1;
    if (fgets(out, (int)n, f) == NULL) {
        fclose(f);
        return -1;
    }
    fclose(f);
    out[strcspn(out, "\n")] = '\0';
    return 0;
}

static void remember_thread(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread) {
    jvmtiThreadInfo info;
    memset(&info, 0, sizeof info);
    if ((*jvmti)->GetThreadInfo(jvmti, thread, &info) == JVMTI_ERROR_NONE) {
        if (info.name != NULL) {
            name_put(cprof_gettid(), info.name);
            (*jvmti)->Deallocate(jvmti, (unsigned char *)info.name);
        }
        if (jni != NULL) {
            if (info.thread_group != NULL) (*jni)->DeleteLocalRef(jni, info.thread_group);
            if (info.context_class_loader != NULL) (*jni)->DeleteLocalRef(jni, info.context_class_loader);
        }
    }
}

/* Creating jmethodIDs up front is what lets AsyncGetCallTrace report methods. */
static void load_method_ids(jvmtiEnv *jvmti, jclass klass) {
    jint count = 0;
    jmethodID *methods = NULL;
    if ((*jvmti)->GetClassMethods(jvmti, klass, &count, &methods) == JVMTI_ERROR_NONE) {
        (*jvmti)->Deallocate(jvmti, (unsigned char *)methods);
    }
}

void jvmti_load_all_method_ids(JNIEnv *jni) {
    jvmtiEnv *jvmti = g_agent.jvmti;
    jint count = 0;
    jclass *classes = NULL;
    if ((*jvmti)->GetLoadedClasses(jvmti, &count, &classes) != JVMTI_ERROR_NONE) return;
    for (jint i = 0; i < count; i++) {
        load_method_ids(jvmti, classes[i]); /* unprepared classes just fail: fine */
        if (jni != NULL) (*jni)->DeleteLocalRef(jni, classes[i]);
    }
    (*jvmti)->Deallocate(jvmti, (unsigned char *)classes);
}

/* ---- callbacks ---- */

static void JNICALL on_vm_init(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread) {
    remember_thread(jvmti, jni, thread);
    sampler_thread_started(cprof_gettid());
    jvmti_load_all_method_ids(jni);
    vm_init_hook(jni);
}

static void JNICALL on_vm_death(jvmtiEnv *jvmti, JNIEnv *jni) {
    (void)jvmti;
    (void)jni;
    atomic_store(&g_vm_dead, 1);
    vm_death_hook();
}

static void JNICALL on_class_load(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread, jclass klass) {
    /* Empty on purpose: AsyncGetCallTrace refuses to walk unless ClassLoad is enabled. */
    (void)jvmti; (void)jni; (void)thread; (void)klass;
}

static void JNICALL on_class_prepare(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread, jclass klass) {
    (void)jni;
    (void)thread;
    load_method_ids(jvmti, klass);
}

static void JNICALL on_compiled_method_load(jvmtiEnv *jvmti, jmethodID method, jint code_size,
                                            const void *code_addr, jint map_length,
                                            const jvmtiAddrLocationMap *map, const void *compile_info) {
    /* Empty on purpose: with this event enabled HotSpot records debug info at non-safepoints
     * (DebugNonSafepoints), so stacks through inlined code are attributed correctly. */
    (void)jvmti; (void)method; (void)code_size; (void)code_addr; (void)map_length; (void)map; (void)compile_info;
}

static void JNICALL on_thread_start(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread) {
    if (vm_is_agent_thread()) return; /* our collector/control threads are not profiled */
    remember_thread(jvmti, jni, thread);
    sampler_thread_started(cprof_gettid());
}

static void JNICALL on_thread_end(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread) {
    (void)jvmti; (void)jni; (void)thread;
    int tid = cprof_gettid();
    sampler_thread_ended(tid); /* deletes its timer */
    name_ended(tid);
}

/* Stack of the current thread (a safe JVMTI context) plus the class name as leaf. */
static void record_java_event(jvmtiEnv *jvmti, int event, uint64_t weight, jclass klass) {
    jvmtiFrameInfo frames[MAX_FRAMES];
    jint count = 0;
    if (ring_full()) return; /* dropped and counted without walking the stack */
    if ((*jvmti)->GetStackTrace(jvmti, NULL, 0, MAX_FRAMES, frames, &count) != JVMTI_ERROR_NONE) {
        count = 0;
    }
    char *sig = NULL;
    if (klass != NULL) (*jvmti)->GetClassSignature(jvmti, klass, &sig, NULL);
    cprof_record *r = ring_claim();
    if (r != NULL) {
        r->event = (uint8_t)event;
        r->tid = cprof_gettid();
        r->weight = weight;
        r->num_frames = count;
        for (jint i = 0; i < count; i++) {
            r->frames[i].method_id = frames[i].method;
            r->frames[i].lineno = (jint)frames[i].location; /* bci, -1 for native methods */
        }
        snprintf(r->type_name, TYPE_NAME_LEN, "%s", sig != NULL ? sig : "Ljava/lang/Object;");
        ring_commit(r);
        sample_count();
    }
    if (sig != NULL) (*jvmti)->Deallocate(jvmti, (unsigned char *)sig);
}

/*
 * The bytes one heap sample stands for. HotSpot puts sampling points on a thread's allocated
 * bytes at exponentially distributed distances (mean I) and samples the object a point falls
 * in, so an object of s bytes is sampled with p = 1 - exp(-s/I). Weighting it s / p makes the
 * expected weight of every allocation its size, whatever the size: weighting by s alone
 * counted small objects quadratically less (a 24 B / 72 B, 25 % / 75 % split read 10 / 90).
 * For s << I the weight is about I + s/2; expm1 keeps p precise there.
 */
static uint64_t alloc_weight(jlong size) {
    double s = (double)size;
    if (s <= 0) return 0;
    double p = -expm1(-s / alloc_interval);
    return (uint64_t)llround(s / p);
}

static void JNICALL on_sampled_alloc(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread, jobject object,
                                     jclass klass, jlong size) {
    (void)jni; (void)thread; (void)object;
    if (!atomic_load(&alloc_on) || vm_is_agent_thread() || !sample_enter()) return;
    record_java_event(jvmti, EV_ALLOC, alloc_weight(size), klass);
    sample_exit();
}

static void JNICALL on_contended_enter(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread, jobject object) {
    (void)jni; (void)object;
    if (!atomic_load(&lock_on)) return;
    /* The wait start lives in JVMTI thread-local storage: no table of our own. */
    (*jvmti)->SetThreadLocalStorage(jvmti, thread, (const void *)(uintptr_t)now_mono_ns());
}

/* Per-thread xorshift64*, seeded from the thread id and the clock: no lock, no shared state. */
static __thread uint64_t lock_rng;

static uint64_t lock_random(void) {
    if (lock_rng == 0) lock_rng = (now_mono_ns() ^ ((uint64_t)cprof_gettid() << 32)) | 1;
    lock_rng ^= lock_rng >> 12;
    lock_rng ^= lock_rng << 25;
    lock_rng ^= lock_rng >> 27;
    return lock_rng * 0x2545F4914F6CDD1Dull;
}

/*
 * The nanoseconds a wait of `waited` ns is recorded with, 0 = not recorded. A wait of at
 * least the threshold T is recorded as it is; a shorter one with chance waited / T, as T.
 * Either way its expected weight is its length, so totals and shares count short waits too
 * (dropping them read a method with many 1 ms waits as no contention at all), and short
 * waits cost at most one record per T of waiting.
 */
static uint64_t lock_weight(uint64_t waited) {
    uint64_t t = lock_threshold_ns;
    if (waited >= t) return waited;
    return lock_random() % t < waited ? t : 0;
}

static void JNICALL on_contended_entered(jvmtiEnv *jvmti, JNIEnv *jni, jthread thread, jobject object) {
    void *data = NULL;
    if ((*jvmti)->GetThreadLocalStorage(jvmti, thread, &data) != JVMTI_ERROR_NONE || data == NULL) return;
    (*jvmti)->SetThreadLocalStorage(jvmti, thread, NULL);
    uint64_t waited = now_mono_ns() - (uint64_t)(uintptr_t)data;
    if (!atomic_load(&lock_on)) return;
    uint64_t weight = lock_weight(waited);
    if (weight == 0 || !sample_enter()) return;
    jclass klass = object != NULL ? (*jni)->GetObjectClass(jni, object) : NULL;
    record_java_event(jvmti, EV_LOCK, weight, klass);
    if (klass != NULL) (*jni)->DeleteLocalRef(jni, klass);
    sample_exit();
}

static void JNICALL on_dynamic_code(jvmtiEnv *jvmti, const char *name, const void *address, jint length) {
    (void)jvmti;
    stubs_add(address, length, name);
}

static void enable(jvmtiEventMode mode, jvmtiEvent ev) {
    jvmtiError err = (*g_agent.jvmti)->SetEventNotificationMode(g_agent.jvmti, mode, ev, NULL);
    if (err != JVMTI_ERROR_NONE) cprof_log("cannot %s event %d: error %d", mode == JVMTI_ENABLE ? "enable" : "disable", ev, err);
}

int jvmti_init(int live, jvmti_vm_init_fn on_init, jvmti_vm_death_fn on_death) {
    vm_init_hook = on_init;
    vm_death_hook = on_death;
    jvmtiEnv *jvmti = g_agent.jvmti;
    jvmtiCapabilities potential, want;
    memset(&potential, 0, sizeof potential);
    (*jvmti)->GetPotentialCapabilities(jvmti, &potential);

    /* One capability at a time, so a missing one does not cost the others. */
    memset(&want, 0, sizeof want);
    want.can_generate_compiled_method_load_events = potential.can_generate_compiled_method_load_events;
    (*jvmti)->AddCapabilities(jvmti, &want);
    memset(&want, 0, sizeof want);
    want.can_get_line_numbers = potential.can_get_line_numbers;
    g_agent.have_lines_cap = want.can_get_line_numbers && (*jvmti)->AddCapabilities(jvmti, &want) == JVMTI_ERROR_NONE;
    memset(&want, 0, sizeof want);
    want.can_generate_sampled_object_alloc_events = potential.can_generate_sampled_object_alloc_events;
    g_agent.have_alloc_cap = want.can_generate_sampled_object_alloc_events &&
                             (*jvmti)->AddCapabilities(jvmti, &want) == JVMTI_ERROR_NONE;
    memset(&want, 0, sizeof want);
    want.can_generate_monitor_events = potential.can_generate_monitor_events;
    g_agent.have_monitor_cap = want.can_generate_monitor_events &&
                               (*jvmti)->AddCapabilities(jvmti, &want) == JVMTI_ERROR_NONE;

    jvmtiEventCallbacks cb;
    memset(&cb, 0, sizeof cb);
    cb.VMInit = on_vm_init;
    cb.VMDeath = on_vm_death;
    cb.ClassLoad = on_class_load;
    cb.ClassPrepare = on_class_prepare;
    cb.CompiledMethodLoad = on_compiled_method_load;
    cb.ThreadStart = on_thread_start;
    cb.DynamicCodeGenerated = on_dynamic_code;
    cb.ThreadEnd = on_thread_end;
    cb.SampledObjectAlloc = on_sampled_alloc;
    cb.MonitorContendedEnter = on_contended_enter;
    cb.MonitorContendedEntered = on_contended_entered;
    cb.ClassFileLoadHook = hooks_class_file_load; /* enabled only while hooks.c retransforms */
    if ((*jvmti)->SetEventCallbacks(jvmti, &cb, sizeof cb) != JVMTI_ERROR_NONE) {
        cprof_log("SetEventCallbacks failed");
        return -1;
    }
    if (!live) enable(JVMTI_ENABLE, JVMTI_EVENT_VM_INIT);
    enable(JVMTI_ENABLE, JVMTI_EVENT_VM_DEATH);
    enable(JVMTI_ENABLE, JVMTI_EVENT_CLASS_LOAD);
    enable(JVMTI_ENABLE, JVMTI_EVENT_CLASS_PREPARE);
    enable(JVMTI_ENABLE, JVMTI_EVENT_THREAD_START);
    enable(JVMTI_ENABLE, JVMTI_EVENT_THREAD_END);
    if (potential.can_generate_compiled_method_load_events) {
        enable(JVMTI_ENABLE, JVMTI_EVENT_COMPILED_METHOD_LOAD);
    }
    enable(JVMTI_ENABLE, JVMTI_EVENT_DYNAMIC_CODE_GENERATED);
    if (live) {
        /* Stubs generated before we came: reported again, now. */
        (*jvmti)->GenerateEvents(jvmti, JVMTI_EVENT_DYNAMIC_CODE_GENERATED);
    }
    return 0;
}

int jvmti_session_start(const cprof_options *o) {
    jvmtiEnv *jvmti = g_agent.jvmti;
    if ((o->events & EV_BIT(EV_ALLOC)) && g_agent.have_alloc_cap) {
        jint interval = (jint)(o->alloc_interval > 0x7fffffff ? 0x7fffffff : o->alloc_interval);
        alloc_interval = (double)interval; /* >= CPROF_MIN_ALLOC_INTERVAL: options_clamp */
        (*jvmti)->SetHeapSamplingInterval(jvmti, interval);
        atomic_store(&alloc_on, 1);
        enable(JVMTI_ENABLE, JVMTI_EVENT_SAMPLED_OBJECT_ALLOC);
    }
    if ((o->events & EV_BIT(EV_LOCK)) && g_agent.have_monitor_cap) {
        lock_threshold_ns = o->lock_threshold_ns;
        atomic_store(&lock_on, 1);
        enable(JVMTI_ENABLE, JVMTI_EVENT_MONITOR_CONTENDED_ENTER);
        enable(JVMTI_ENABLE, JVMTI_EVENT_MONITOR_CONTENDED_ENTERED);
    }
    hooks_session_start(o);
    return 0;
}

void jvmti_session_stop(void) {
    hooks_session_stop(); /* the original classes back, before the ring goes */
    if (atomic_exchange(&alloc_on, 0)) {
        enable(JVMTI_DISABLE, JVMTI_EVENT_SAMPLED_OBJECT_ALLOC);
    }
    if (atomic_exchange(&lock_on, 0)) {
        enable(JVMTI_DISABLE, JVMTI_EVENT_MONITOR_CONTENDED_ENTER);
        enable(JVMTI_DISABLE, JVMTI_EVENT_MONITOR_CONTENDED_ENTERED);
    }
}

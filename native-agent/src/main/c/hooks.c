/*
 * The jdbc event. The hooks' Java side (dev.cprof.hook, in libcprof-<hash>.jar beside this
 * library, ASM relocated inside it) is appended to the bootstrap class path once; at each
 * session start its Instrumenter picks the loaded JDBC classes, and this file retransforms them
 * one by one with its ClassFileLoadHook on, which hands their bytes to Instrumenter.transform.
 * The hook stays on for the session, so JDBC classes that load later (a driver loaded late, a
 * session started with the JVM) are rewritten as they load; it passes only classes whose bytes
 * mention "java/sql/" to Java. At session end all of them are retransformed with the hook off,
 * which gives the JVM's original bytes back. Everything runs on a short-lived thread of ours, attached to the JVM, so
 * the control thread stays unattached. The hooked methods call CprofHooks.record0 (registered
 * here): a stack trace of the calling thread and the label go into the ring like a lock sample.
 */
#define _GNU_SOURCE
#include "hooks.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buffer.h"
#include "protocol.h"
#include "sampler.h"
#include "util.h"
#include "vm.h"

#define HOOKS_CLASS "dev/cprof/hook/CprofHooks"
#define INSTRUMENTER_CLASS "dev/cprof/hook/Instrumenter"
#define RECORD_SKIP_FRAMES 2 /* record0 and CprofHooks.jdbcExit */

static atomic_int hooks_on;         /* record0 takes samples; classes loading now are looked at */
static __thread int transforming;   /* this thread runs our RetransformClasses: transform */
static int jar_added;               /* the jar is on the bootstrap class path (once per JVM) */
static int natives_registered;
static int cap_state;               /* 0 unknown, 1 can retransform, -1 cannot */
static jclass instrumenter;         /* global ref */
static int started;                 /* a session's hooks are in */
static char last_problem[512];      /* why this session has no jdbc events ("" = none) */

/* A reason the session gets no jdbc events: logged, and kept for the client (hooks_problem). */
__attribute__((format(printf, 1, 2))) static void problem(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_problem, sizeof last_problem, fmt, ap);
    va_end(ap);
    cprof_log("%s", last_problem);
}

static void JNICALL record0(JNIEnv *jni, jclass cls, jint event, jstring label, jlong weight) {
    (void)cls;
    if (!atomic_load(&hooks_on) || label == NULL || weight <= 0 || !sample_enter()) return;
    jvmtiEnv *jvmti = g_agent.jvmti;
    if (!ring_full()) {
        jvmtiFrameInfo frames[MAX_FRAMES];
        jint count = 0;
        if ((*jvmti)->GetStackTrace(jvmti, NULL, RECORD_SKIP_FRAMES, MAX_FRAMES, frames, &count) != JVMTI_ERROR_NONE) {
            count = 0;
        }
        const char *utf = (*jni)->GetStringUTFChars(jni, label, NULL);
        cprof_record *r = utf != NULL ? ring_claim() : NULL;
        if (r != NULL) {
            r->event = (uint8_t)event;
            r->tid = cprof_gettid();
            r->weight = (uint64_t)weight;
            r->num_frames = count;
            for (jint i = 0; i < count; i++) {
                r->frames[i].method_id = frames[i].method;
                r->frames[i].lineno = (jint)frames[i].location;
            }
            /* Cut on a UTF-8 character boundary, so the frame's name stays valid UTF-8. */
            size_t n = strlen(utf);
            if (n > TYPE_NAME_LEN - 1) {
                n = TYPE_NAME_LEN - 1;
                while (n > 0 && ((unsigned char)utf[n] & 0xC0) == 0x80) n--;
            }
            memcpy(r->type_name, utf, n);
            r->type_name[n] = '\0';
            ring_commit(r);
            sample_count();
        }
        if (utf != NULL) (*jni)->ReleaseStringUTFChars(jni, label, utf);
    }
    sample_exit();
}

/* libcprof-<hash>.so -> libcprof-<hash>.jar, the file AgentLibrary extracts beside it. */
static int jar_path(char *out, size_t n, uid_t *lib_owner) {
    Dl_info info;
    struct stat st;
    if (dladdr((void *)&hooks_session_start, &info) == 0 || info.dli_fname == NULL) return -1;
    size_t len = strlen(info.dli_fname);
    if (len < 3 || len + 2 > n || strcmp(info.dli_fname + len - 3, ".so") != 0) return -1;
    if (stat(info.dli_fname, &st) != 0) return -1;
    *lib_owner = st.st_uid;
    memcpy(out, info.dli_fname, len - 3);
    memcpy(out + len - 3, ".jar", 5);
    return 0;
}

/*
 * The jar becomes code of this JVM, so it must be what cprof wrote: a regular file (not a link)
 * of the library's owner that nobody else may write. A library copied into a shared /tmp (another
 * user's JVM) has no jar beside it, and a jar someone else planted there is refused.
 */
static int jar_trusted(const char *path, uid_t lib_owner) {
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    int ok = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == lib_owner &&
             (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
    if (fd >= 0) close(fd);
    return ok;
}

static int clear_exception(JNIEnv *jni, const char *what) {
    if (!(*jni)->ExceptionCheck(jni)) return 0;
    (*jni)->ExceptionClear(jni);
    cprof_log("jdbc: %s failed with an exception", what);
    return -1;
}

/* The jar, the capability and the natives: once per JVM. 0 = ready. */
static int prepare(JNIEnv *jni) {
    jvmtiEnv *jvmti = g_agent.jvmti;
    if (cap_state == 0) {
        jvmtiCapabilities c;
        memset(&c, 0, sizeof c);
        c.can_retransform_classes = 1;
        cap_state = (*jvmti)->AddCapabilities(jvmti, &c) == JVMTI_ERROR_NONE ? 1 : -1;
    }
    if (cap_state < 0) {
        problem("jdbc: this JVM does not allow retransforming classes; no jdbc events (the other events go on)");
        return -1;
    }
    if (!jar_added) {
        char path[4096];
        uid_t owner = 0;
        if (jar_path(path, sizeof path, &owner) != 0) {
            problem("jdbc: cannot tell where the agent library is, so not where its hooks jar is");
            return -1;
        }
        if (!jar_trusted(path, owner)) {
            problem("jdbc: no hooks jar of the library's owner at %s (missing, a link, or writable by others): no jdbc events", path);
            return -1;
        }
        jvmtiError err = (*jvmti)->AddToBootstrapClassLoaderSearch(jvmti, path);
        if (err != JVMTI_ERROR_NONE) {
            problem("jdbc: cannot add %s to the bootstrap class path: JVMTI error %d", path, err);
            return -1;
        }
        jar_added = 1;
    }
    if (instrumenter == NULL) {
        jclass c = (*jni)->FindClass(jni, INSTRUMENTER_CLASS);
        if (c == NULL || clear_exception(jni, "loading " INSTRUMENTER_CLASS) != 0) {
            (*jni)->ExceptionClear(jni);
            problem("jdbc: the hooks jar beside the agent library is missing or unreadable");
            return -1;
        }
        instrumenter = (*jni)->NewGlobalRef(jni, c);
    }
    if (!natives_registered) {
        jclass h = (*jni)->FindClass(jni, HOOKS_CLASS);
        JNINativeMethod m = {"record0", "(ILjava/lang/String;J)V", (void *)record0};
        if (h == NULL || (*jni)->RegisterNatives(jni, h, &m, 1) != 0) {
            clear_exception(jni, "registering CprofHooks.record0");
            return -1;
        }
        natives_registered = 1;
    }
    return 0;
}

static void retransform_one(JNIEnv *jni, jclass c, int hook) {
    jvmtiEnv *jvmti = g_agent.jvmti;
    jboolean modifiable = JNI_FALSE;
    if ((*jvmti)->IsModifiableClass(jvmti, c, &modifiable) != JVMTI_ERROR_NONE || !modifiable) return;
    transforming = hook;
    jvmtiError err = (*jvmti)->RetransformClasses(jvmti, 1, &c);
    transforming = 0;
    if (err != JVMTI_ERROR_NONE) {
        cprof_log("jdbc: retransforming a class failed (JVMTI error %d); it %s", err, hook ? "is not hooked" : "may keep its hooks");
        return;
    }
    if (hook) {
        jmethodID hooked = (*jni)->GetStaticMethodID(jni, instrumenter, "hooked", "(Ljava/lang/Class;)V");
        if (hooked != NULL) (*jni)->CallStaticVoidMethod(jni, instrumenter, hooked, c);
        clear_exception(jni, "Instrumenter.hooked");
    }
}

static jobjectArray loaded_classes(JNIEnv *jni);

static void install(JNIEnv *jni, long long threshold_ns) {
    jvmtiEnv *jvmti = g_agent.jvmti;
    if (prepare(jni) != 0) return;
    jmethodID start = (*jni)->GetStaticMethodID(jni, instrumenter, "start", "(J)V");
    jmethodID select = (*jni)->GetStaticMethodID(jni, instrumenter, "select", "([Ljava/lang/Class;)[Ljava/lang/Class;");
    if (start == NULL || select == NULL) {
        clear_exception(jni, "finding the Instrumenter's methods");
        return;
    }
    jobjectArray all = loaded_classes(jni);
    if (all == NULL) return;
    (*jni)->CallStaticVoidMethod(jni, instrumenter, start, (jlong)threshold_ns);
    started = 1; /* from here on, stop switches the Java side off again */
    jobjectArray chosen = (jobjectArray)(*jni)->CallStaticObjectMethod(jni, instrumenter, select, all);
    if (clear_exception(jni, "Instrumenter.select") != 0 || chosen == NULL) return;
    atomic_store(&hooks_on, 1);
    (*jvmti)->SetEventNotificationMode(jvmti, JVMTI_ENABLE, JVMTI_EVENT_CLASS_FILE_LOAD_HOOK, NULL); /* until stop */
    jsize m = (*jni)->GetArrayLength(jni, chosen);
    for (jsize i = 0; i < m; i++) {
        jclass c = (jclass)(*jni)->GetObjectArrayElement(jni, chosen, i);
        retransform_one(jni, c, 1);
        (*jni)->DeleteLocalRef(jni, c);
    }
}

/* Every loaded class as a Class[] (NULL when the JVM cannot list them). */
static jobjectArray loaded_classes(JNIEnv *jni) {
    jvmtiEnv *jvmti = g_agent.jvmti;
    jint n = 0;
    jclass *loaded = NULL;
    if ((*jvmti)->GetLoadedClasses(jvmti, &n, &loaded) != JVMTI_ERROR_NONE) return NULL;
    jclass class_class = (*jni)->FindClass(jni, "java/lang/Class");
    jobjectArray all = class_class != NULL ? (*jni)->NewObjectArray(jni, n, class_class, NULL) : NULL;
    for (jint i = 0; i < n; i++) {
        if (all != NULL) (*jni)->SetObjectArrayElement(jni, all, i, loaded[i]);
        (*jni)->DeleteLocalRef(jni, loaded[i]);
    }
    (*jvmti)->Deallocate(jvmti, (unsigned char *)loaded);
    if (all == NULL) clear_exception(jni, "listing the loaded classes");
    return all;
}

static void uninstall(JNIEnv *jni) {
    atomic_store(&hooks_on, 0);
    (*g_agent.jvmti)->SetEventNotificationMode(g_agent.jvmti, JVMTI_DISABLE, JVMTI_EVENT_CLASS_FILE_LOAD_HOOK, NULL);
    if (!started || instrumenter == NULL) return;
    started = 0;
    jmethodID stop = (*jni)->GetStaticMethodID(jni, instrumenter, "stop", "([Ljava/lang/Class;)[Ljava/lang/Class;");
    jobjectArray all = stop != NULL ? loaded_classes(jni) : NULL;
    jobjectArray hooked = stop != NULL ? (jobjectArray)(*jni)->CallStaticObjectMethod(jni, instrumenter, stop, all) : NULL;
    if (clear_exception(jni, "Instrumenter.stop") != 0 || hooked == NULL) return;
    /* The hook is disabled: retransforming yields the bytes the class was loaded with. */
    jsize m = (*jni)->GetArrayLength(jni, hooked);
    for (jsize i = 0; i < m; i++) {
        jclass c = (jclass)(*jni)->GetObjectArrayElement(jni, hooked, i);
        retransform_one(jni, c, 0);
        (*jni)->DeleteLocalRef(jni, c);
    }
}

typedef struct {
    int install;
    long long threshold_ns;
} hooks_job;

static void *hooks_main(void *arg) {
    hooks_job *job = arg;
    sampler_block_signals();
    int tid = cprof_gettid();
    cprof_register_own_tid(tid);
    JNIEnv *jni = vm_attach_agent_thread("cprof-hooks");
    if (jni != NULL) {
        (*jni)->PushLocalFrame(jni, 64);
        if (job->install) install(jni, job->threshold_ns);
        else uninstall(jni);
        (*jni)->PopLocalFrame(jni, NULL);
        vm_detach_agent_thread();
    }
    cprof_unregister_own_tid(tid);
    return NULL;
}

/* Runs the job on a thread of ours and waits for it. */
static void run(hooks_job *job) {
    if (atomic_load(&g_vm_dead)) return;
    pthread_t t;
    if (pthread_create(&t, NULL, hooks_main, job) != 0) {
        problem("jdbc: cannot start the hooks thread");
        return;
    }
    pthread_join(t, NULL);
}

const char *hooks_problem(void) {
    return last_problem[0] != '\0' ? last_problem : NULL;
}

void hooks_session_start(const cprof_options *o) {
    last_problem[0] = '\0';
    if (!(o->events & EV_BIT(EV_JDBC))) return;
    hooks_job job = {1, (long long)o->jdbc_threshold_ns};
    run(&job);
}

void hooks_session_stop(void) {
    atomic_store(&hooks_on, 0); /* also when the VM is dying and no thread may attach any more */
    if (!started) return;
    hooks_job job = {0, 0};
    run(&job);
}

void JNICALL hooks_class_file_load(jvmtiEnv *jvmti, JNIEnv *jni, jclass redefined, jobject loader, const char *name,
                                   jobject domain, jint len, const unsigned char *data, jint *new_len,
                                   unsigned char **new_data) {
    (void)loader; (void)domain;
    if (name == NULL || instrumenter == NULL || jni == NULL) return;
    const char *method;
    if (transforming) {
        method = "transform";            /* our own retransform of a chosen class */
    } else if (redefined == NULL && atomic_load(&hooks_on) && !vm_is_agent_thread() &&
               memmem(data, (size_t)len, "java/sql/", 9) != NULL) {
        method = "transformAtLoad";      /* a class loading now that may be a driver's */
    } else {
        return;                          /* everything else loads untouched, without a call into Java */
    }
    jmethodID transform = (*jni)->GetStaticMethodID(jni, instrumenter, method, "(Ljava/lang/String;[B)[B");
    jstring jname = (*jni)->NewStringUTF(jni, name);
    jbyteArray in = (*jni)->NewByteArray(jni, len);
    if (transform == NULL || jname == NULL || in == NULL) {
        clear_exception(jni, "preparing a transform");
        return;
    }
    (*jni)->SetByteArrayRegion(jni, in, 0, len, (const jbyte *)data);
    jbyteArray out = (jbyteArray)(*jni)->CallStaticObjectMethod(jni, instrumenter, transform, jname, in);
    if (clear_exception(jni, "Instrumenter.transform") == 0 && out != NULL) {
        jint n = (*jni)->GetArrayLength(jni, out);
        unsigned char *copy = NULL;
        if (n > 0 && (*jvmti)->Allocate(jvmti, n, &copy) == JVMTI_ERROR_NONE) {
            (*jni)->GetByteArrayRegion(jni, out, 0, n, (jbyte *)copy);
            *new_len = n;
            *new_data = copy;
        }
    }
    (*jni)->DeleteLocalRef(jni, jname);
    (*jni)->DeleteLocalRef(jni, in);
    if (out != NULL) (*jni)->DeleteLocalRef(jni, out);
}

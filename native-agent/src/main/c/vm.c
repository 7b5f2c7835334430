/*
 * The JavaVM and jvmtiEnv the agent got at load (filled by agent.c, capabilities by jvmti_events.c),
 * and the agent's own threads as the JVM sees them: attached as daemons, marked so that the
 * JVMTI callbacks ignore them. The JVM's system properties, read through JVMTI.
 */
#define _GNU_SOURCE
#include "vm.h"

#include <pthread.h>
#include <stdio.h>

#include "util.h"

cprof_agent g_agent;
atomic_int g_vm_dead;

static __thread int agent_thread_flag; /* not read in signal handlers */

int vm_is_agent_thread(void) {
    return agent_thread_flag;
}

JNIEnv *vm_attach_agent_thread(const char *name) {
    JNIEnv *env = NULL;
    agent_thread_flag = 1; /* before attaching: ThreadStart must already skip it */
    pthread_setname_np(pthread_self(), name);
    if (atomic_load(&g_vm_dead)) return NULL;
    JavaVMAttachArgs args = {JNI_VERSION_1_6, (char *)name, NULL};
    if ((*g_agent.vm)->AttachCurrentThreadAsDaemon(g_agent.vm, (void **)&env, &args) != JNI_OK) {
        cprof_log("cannot attach thread %s", name);
        return NULL;
    }
    return env;
}

void vm_detach_agent_thread(void) {
    if (!atomic_load(&g_vm_dead)) {
        (*g_agent.vm)->DetachCurrentThread(g_agent.vm);
    }
}

int vm_system_property(const char *name, char *out, size_t n) {
    char *v = NULL;
    jvmtiEnv *jvmti = g_agent.jvmti;
    if ((*jvmti)->GetSystemProperty(jvmti, name, &v) != JVMTI_ERROR_NONE || v == NULL) return -1;
    snprintf(out, n, "%s", v);
    (*jvmti)->Deallocate(jvmti, (unsigned char *)v);
    return 0;
}

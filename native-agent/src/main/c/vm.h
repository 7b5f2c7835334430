/* vm.c: the agent's handles into the JVM, the agent's threads attached to it, and the JVM's
 * system properties. */
#ifndef CPROF_VM_H
#define CPROF_VM_H

#include <jvmti.h>
#include <stddef.h>
#include <stdatomic.h>

typedef struct {
    JavaVM *vm;
    jvmtiEnv *jvmti;
    int have_alloc_cap, have_monitor_cap, have_lines_cap; /* set by jvmti_init */
} cprof_agent;

extern cprof_agent g_agent;
extern atomic_int g_vm_dead;                     /* set at VMDeath: no more JNI */

JNIEnv *vm_attach_agent_thread(const char *name); /* names, marks and attaches as daemon */
void vm_detach_agent_thread(void);
int vm_is_agent_thread(void);                     /* the calling thread is one of ours */
/* A system property of the JVM (JVMTI GetSystemProperty) into out; 0 ok, -1 none. */
int vm_system_property(const char *name, char *out, size_t n);

#endif

/* jvmti_events.c: capabilities, always-on events, the per-session alloc/lock events, thread
 * names. Not named jvmti.h: it would shadow the JDK's <jvmti.h> under -I of this directory. */
#ifndef CPROF_JVMTI_EVENTS_H
#define CPROF_JVMTI_EVENTS_H

#include <jvmti.h>
#include <stddef.h>

#include "options.h"

/* The agent's reactions to the VM's life, called from the VMInit and VMDeath events. */
typedef void (*jvmti_vm_init_fn)(JNIEnv *jni);
typedef void (*jvmti_vm_death_fn)(void);

int jvmti_init(int live, jvmti_vm_init_fn on_init, jvmti_vm_death_fn on_death); /* 0 ok */
int jvmti_session_start(const cprof_options *o);
void jvmti_session_stop(void);
void jvmti_load_all_method_ids(JNIEnv *jni);
int thread_name_of(int tid, char *out, size_t n);

#endif

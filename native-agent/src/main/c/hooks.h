/* hooks.c: the jdbc event. Bytecode hooks (the dev.cprof.hook jar, next to this library) are
 * put into the JDBC classes of the target at session start, by our own RetransformClasses and
 * ClassFileLoadHook, and taken out at session end; each hooked call reaches the ring through a
 * native method registered here. */
#ifndef CPROF_HOOKS_H
#define CPROF_HOOKS_H

#include <jvmti.h>

#include "options.h"

void hooks_session_start(const cprof_options *o); /* never fails the session: problems are logged */
void hooks_session_stop(void);                    /* the original class bytes back; idempotent */
const char *hooks_problem(void);                  /* why the last session start has no jdbc events, or NULL */
/* The ClassFileLoadHook callback (set by jvmti_events.c with the agent's other callbacks). */
void JNICALL hooks_class_file_load(jvmtiEnv *jvmti, JNIEnv *jni, jclass redefined, jobject loader, const char *name,
                                   jobject domain, jint len, const unsigned char *data, jint *new_len,
                                   unsigned char **new_data);

#endif

/*
 * The stack walker of the cpu and wall signal handlers. Native frames (libjvm, JNI, libc) come
 * from frame pointers up to the first frame in the JVM's code heap; Java frames from
 * AsyncGetCallTrace, given a repaired context where it fails: a PC in a stub (itable/vtable,
 * arraycopy, runtime stubs) or in a compiled method's prologue or epilogue is unwound to its
 * caller, the stub kept as a frame of its own. The Java frames are then typed (interpreted,
 * C1, JIT, inlined) by walking the physical frames alongside. Async-signal-safe throughout.
 */
#ifndef CPROF_WALKER_H
#define CPROF_WALKER_H

#include "buffer.h"

#include <jni.h>

int walker_init(void);       /* finds AsyncGetCallTrace; 0 on success */
int walker_ready(void);      /* AsyncGetCallTrace was found */
/* Fills r's frames: native[] (leaf first), top_method, frames[] and ftype[], num_frames. */
void walk_stack(JNIEnv *env, void *ucontext, cprof_record *r);

#endif

/* resolve.c: one sample record into a stack of frames in the session's dictionaries and one
 * aggregated sample: Java methods named through JVMTI, native PCs by dladdr and .symtab, stubs
 * by the JVM's names, threads, and pseudo frames for what could not be walked. Runs on the
 * collector thread only (never in a signal handler). */
#ifndef CPROF_RESOLVE_H
#define CPROF_RESOLVE_H

#include <jni.h>
#include <stdint.h>

#include "buffer.h"
#include "dict.h"
#include "options.h"

typedef struct {
    cprof_dict *d;                       /* the session's dictionaries */
    const cprof_options *o;              /* the session's (lines, threads) */
    JNIEnv *jni;                         /* the collector thread's, NULL when not attached */
    /* Caches from what the record holds to an id: jmethodID (+ line, type) -> frame,
     * jmethodID -> name string, symbol or stub start -> frame, tid -> frame. */
    kmap methods, method_names, natives, thread_frames;
    uint64_t unwalkable, other;          /* this batch's counts, sent and reset by the collector */
} resolver;

void resolve_init(void);                                  /* finds __cxa_demangle, once */
void resolve_record(const cprof_record *r, void *resolver); /* ring_drain's callback */
void resolver_free(resolver *rs);                         /* its caches (not the dictionaries) */

#endif

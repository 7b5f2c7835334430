/* buffer.c: fixed ring of sample records, lock-free multi-producer, one consumer. */
#ifndef CPROF_BUFFER_H
#define CPROF_BUFFER_H

#include <jvmti.h>
#include <stdint.h>

#define MAX_FRAMES 256
#define TYPE_NAME_LEN 120

typedef struct { jint lineno; jmethodID method_id; } cprof_frame; /* = ASGCT_CallFrame */

/* Wall sample thread state (from the kernel's task state letter). */
enum { STATE_NONE = 0, STATE_RUNNING, STATE_SLEEPING, STATE_WAITING, STATE_OTHER };

typedef struct {
    uint8_t event;          /* EV_*; 0 = skip this record */
    uint8_t non_java;       /* sampled thread had no JNIEnv */
    uint8_t state;          /* STATE_*, wall samples with the wall_state option */
    int32_t num_frames;     /* AGCT result: <= 0 is an error code */
    int32_t tid;
    uint64_t weight;
    uintptr_t pc;           /* interrupted PC, resolved later with dladdr, 0 = none */
    char type_name[TYPE_NAME_LEN]; /* alloc/lock: JVM class signature, else "" */
    cprof_frame frames[MAX_FRAMES]; /* leaf first */
} cprof_record;

int ring_create(unsigned capacity);  /* power of two; 0 on success */
void ring_destroy(void);
cprof_record *ring_claim(void);      /* NULL when full (counted as dropped) */
int ring_full(void);                 /* 1 (counted as dropped) when a claim would fail now */
void ring_commit(cprof_record *r);
int ring_drain(void (*fn)(const cprof_record *, void *), void *arg, int max);
uint64_t ring_dropped(void);
uint64_t ring_bytes(void);

#endif

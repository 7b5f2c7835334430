/* buffer.c: ring of sample records, packed to their stack's depth; lock-free multi-producer,
 * one consumer. */
#ifndef CPROF_BUFFER_H
#define CPROF_BUFFER_H

#include <jvmti.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_FRAMES 256
#define TYPE_NAME_LEN 256 /* a class signature, or a jdbc label (200 characters, an exception class) */

typedef struct { jint lineno; jmethodID method_id; } cprof_frame; /* = ASGCT_CallFrame */

/* Wall sample thread state (from the kernel's task state letter). */
enum { STATE_NONE = 0, STATE_RUNNING, STATE_SLEEPING, STATE_WAITING, STATE_OTHER };

#define MAX_NATIVE 64

/* The record a producer fills in place; buffer.c packs it to what it uses (a field added after
 * native[] must be added to its pack() and unpack() as well: a static assertion there says so). */
typedef struct {
    uint8_t event;          /* EV_*; 0 = skip this record */
    uint8_t non_java;       /* sampled thread had no JNIEnv */
    uint8_t state;          /* STATE_*, wall samples with the wall_state option */
    uint8_t top_type;       /* FTYPE_* of top_method */
    int32_t num_frames;     /* Java frames; <= 0: AsyncGetCallTrace's error code */
    int32_t tid;
    uint16_t num_native;
    uint64_t weight;
    /* Above the Java frames, leaf first: PCs of native code (resolved later by symbol) and of
     * JVM stubs in the code heap (named later from the stub table). */
    uintptr_t native[MAX_NATIVE];
    /* Method* of a compiled method whose frame was unwound by hand (prologue, epilogue): the
     * Java frame right above frames[0]; 0 = none. Named by the collector. */
    uintptr_t top_method;
    char type_name[TYPE_NAME_LEN]; /* alloc/lock: JVM class signature; jdbc: label lines; else "" */
    cprof_frame frames[MAX_FRAMES]; /* leaf first */
    uint8_t ftype[MAX_FRAMES];      /* FTYPE_* of frames[i] */
} cprof_record;

/* The largest entry: what a producer claims before it knows the stack's depth (a header, the
 * record as above, and room for packing's 16 bytes of counts). The unused part is given back
 * at commit when it can be. */
#define RING_ENTRY_MAX (16u + ((sizeof(cprof_record) + 16u + 7u) & ~(size_t)7u))

/* A ring of `bytes` (at least two largest entries); max_records > 0 also caps the records in it
 * (options["ring_records"]: a ring the size of N deepest stacks holding at most N). 0 on success. */
int ring_create(size_t bytes, unsigned max_records);
void ring_destroy(void);
cprof_record *ring_claim(void);      /* zeroed; NULL when full (counted as dropped) */
int ring_full(void);                 /* 1 (counted as dropped) when a claim would fail now */
void ring_commit(cprof_record *r);   /* packs the record, gives back what it did not use, publishes */
/* Hands published records to fn, in order, until max_bytes of the ring were consumed or an
 * entry is still being written; returns the records, *bytes the ring bytes consumed. */
int ring_drain(void (*fn)(const cprof_record *, void *), void *arg, size_t max_bytes, size_t *bytes);
uint64_t ring_dropped(void);
uint64_t ring_bytes(void);           /* capacity (address space; pages are touched only as used) */
uint64_t ring_high_water(void);      /* bytes from the ring's start ever written this session */

#endif

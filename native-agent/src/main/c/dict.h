/* dict.c: a session's dictionaries (strings, frames, stacks) and its aggregated samples,
 * each bounded, and the small key map they are indexed by. Used by the collector thread only. */
#ifndef CPROF_DICT_H
#define CPROF_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "encode.h"

#define DICT_NONE UINT32_MAX /* no id: a dictionary is full (or out of memory) */

/* A small open-addressing map: (k1, k2) -> v. A zeroed kmap is empty. */
typedef struct { uint64_t k1, k2, v; int used; } kent;
typedef struct { kent *e; size_t cap, n; } kmap;

int kmap_get(const kmap *m, uint64_t k1, uint64_t k2, uint64_t *v); /* 1 found */
int kmap_put(kmap *m, uint64_t k1, uint64_t k2, uint64_t v);        /* 0 ok, -1 out of memory */
void kmap_clear(kmap *m);

/* Variable-length entries (strings, stacks) are found by hash, then compared. The map holds
 * hash -> first id; ids with the same hash are chained through `next`. */
typedef struct { uint32_t off, len, next; } vent;

typedef struct { uint32_t name; uint32_t kind; uint32_t line; uint32_t type; } dframe;
typedef cprof_sample dsample;

/* Ids are indexes, in the order entries were added: a batch sends those past what the stream
 * has already been sent. A zeroed cprof_dict is empty. */
typedef struct {
    char *sbytes; size_t sbytes_len, sbytes_cap;
    vent *strs; uint32_t nstrs, strs_cap; kmap str_by_hash;
    dframe *frames; uint32_t nframes, frames_cap; kmap frame_by_key;
    uint32_t *kids; size_t kids_len, kids_cap;
    vent *stacks; uint32_t nstacks, stacks_cap; kmap stack_by_hash;
    dsample *samples; uint32_t nsamples, samples_cap; kmap sample_by_key; /* this batch's */
} cprof_dict;

/* Each returns the entry's id, DICT_NONE when a cap or memory is exhausted. */
uint32_t intern_string(cprof_dict *d, const char *str, size_t n);
uint32_t intern_frame(cprof_dict *d, uint32_t name, uint32_t kind, uint32_t line, uint32_t type);
uint32_t named_frame(cprof_dict *d, const char *name, uint32_t kind); /* a frame with only a name */
uint32_t intern_stack(cprof_dict *d, const uint32_t *ids, uint32_t n);
/* Counts one more (stack, event) sample of this weight; -1 when it could not be kept. */
int add_sample(cprof_dict *d, uint32_t stack, uint32_t event, uint64_t weight);
void dict_free(cprof_dict *d);

#endif

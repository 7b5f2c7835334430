/*
 * The dictionaries of one session (see dict.h): strings, frames and stacks, interned once per
 * session and sent once per stream, and the batch's samples aggregated by (stack, event). Each
 * is bounded (MAX_*): an entry past a cap is refused, and the caller counts the sample it
 * belonged to as dropped.other.
 */
#include "dict.h"

#include <stdlib.h>
#include <string.h>

#include "protocol.h"

#define MAX_STRINGS 200000
#define MAX_STRING_BYTES (4u << 20)
#define MAX_DICT_FRAMES 200000
#define MAX_STACKS 100000
#define MAX_STACK_IDS (1u << 20)

/* ---- the key map ---- */

static uint64_t mix(uint64_t a, uint64_t b) {
    uint64_t h = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull + (a << 6) + (a >> 2));
    h ^= h >> 31;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
}

int kmap_get(const kmap *m, uint64_t k1, uint64_t k2, uint64_t *v) {
    if (m->cap == 0) return 0;
    for (size_t i = mix(k1, k2) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
        if (!m->e[i].used) return 0;
        if (m->e[i].k1 == k1 && m->e[i].k2 == k2) {
            *v = m->e[i].v;
            return 1;
        }
    }
}

int kmap_put(kmap *m, uint64_t k1, uint64_t k2, uint64_t v) {
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 1024;
        kent *e = calloc(cap, sizeof(kent));
        if (e == NULL) return -1;
        for (size_t j = 0; j < m->cap; j++) {
            if (!m->e[j].used) continue;
            size_t i = mix(m->e[j].k1, m->e[j].k2) & (cap - 1);
            while (e[i].used) i = (i + 1) & (cap - 1);
            e[i] = m->e[j];
        }
        free(m->e);
        m->e = e;
        m->cap = cap;
    }
    size_t i = mix(k1, k2) & (m->cap - 1);
    while (m->e[i].used && !(m->e[i].k1 == k1 && m->e[i].k2 == k2)) i = (i + 1) & (m->cap - 1);
    if (!m->e[i].used) m->n++;
    m->e[i] = (kent){k1, k2, v, 1};
    return 0;
}

void kmap_clear(kmap *m) {
    free(m->e);
    memset(m, 0, sizeof *m);
}

static int grow(void **p, uint32_t *cap, size_t elem, uint32_t need) {
    if (need <= *cap) return 0;
    uint32_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (q == NULL) return -1;
    *p = q;
    *cap = c;
    return 0;
}

static uint64_t hash_bytes(const void *p, size_t n) {
    const uint8_t *b = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ b[i]) * 1099511628211ull;
    }
    return h;
}

uint32_t intern_string(cprof_dict *d, const char *str, size_t n) {
    uint64_t h = hash_bytes(str, n), first;
    if (kmap_get(&d->str_by_hash, h, 0, &first)) {
        for (uint32_t id = (uint32_t)first; id != DICT_NONE; id = d->strs[id].next) {
            if (d->strs[id].len == n && memcmp(d->sbytes + d->strs[id].off, str, n) == 0) return id;
        }
    } else {
        first = DICT_NONE;
    }
    if (d->nstrs >= MAX_STRINGS || d->sbytes_len + n > MAX_STRING_BYTES) return DICT_NONE;
    if (d->sbytes_len + n > d->sbytes_cap) {
        size_t c = d->sbytes_cap ? d->sbytes_cap : 65536;
        while (c < d->sbytes_len + n) c *= 2;
        char *q = realloc(d->sbytes, c);
        if (q == NULL) return DICT_NONE;
        d->sbytes = q;
        d->sbytes_cap = c;
    }
    if (grow((void **)&d->strs, &d->strs_cap, sizeof(vent), d->nstrs + 1) != 0) return DICT_NONE;
    uint32_t id = d->nstrs;
    memcpy(d->sbytes + d->sbytes_len, str, n);
    d->strs[id] = (vent){(uint32_t)d->sbytes_len, (uint32_t)n, (uint32_t)first};
    d->sbytes_len += n;
    if (kmap_put(&d->str_by_hash, h, 0, id) != 0) return DICT_NONE;
    d->nstrs++;
    return id;
}

uint32_t intern_frame(cprof_dict *d, uint32_t name, uint32_t kind, uint32_t line, uint32_t type) {
    uint64_t v;
    if (name == DICT_NONE) return DICT_NONE;
    uint64_t k2 = ((uint64_t)(kind | type << 8) << 32) | line;
    if (kmap_get(&d->frame_by_key, name, k2, &v)) return (uint32_t)v;
    if (d->nframes >= MAX_DICT_FRAMES) return DICT_NONE;
    if (grow((void **)&d->frames, &d->frames_cap, sizeof(dframe), d->nframes + 1) != 0) return DICT_NONE;
    uint32_t id = d->nframes;
    d->frames[id] = (dframe){name, kind, line, type};
    if (kmap_put(&d->frame_by_key, name, k2, id) != 0) return DICT_NONE;
    d->nframes++;
    return id;
}

uint32_t named_frame(cprof_dict *d, const char *name, uint32_t kind) {
    return intern_frame(d, intern_string(d, name, strlen(name)), kind, 0, FTYPE_NONE);
}

uint32_t intern_stack(cprof_dict *d, const uint32_t *ids, uint32_t n) {
    uint64_t h = hash_bytes(ids, n * sizeof(uint32_t)), first;
    if (kmap_get(&d->stack_by_hash, h, 0, &first)) {
        for (uint32_t id = (uint32_t)first; id != DICT_NONE; id = d->stacks[id].next) {
            if (d->stacks[id].len == n && memcmp(d->kids + d->stacks[id].off, ids, n * sizeof(uint32_t)) == 0) return id;
        }
    } else {
        first = DICT_NONE;
    }
    if (d->nstacks >= MAX_STACKS || d->kids_len + n > MAX_STACK_IDS) return DICT_NONE;
    if (d->kids_len + n > d->kids_cap) {
        size_t c = d->kids_cap ? d->kids_cap : 16384;
        while (c < d->kids_len + n) c *= 2;
        uint32_t *q = realloc(d->kids, c * sizeof(uint32_t));
        if (q == NULL) return DICT_NONE;
        d->kids = q;
        d->kids_cap = c;
    }
    if (grow((void **)&d->stacks, &d->stacks_cap, sizeof(vent), d->nstacks + 1) != 0) return DICT_NONE;
    uint32_t id = d->nstacks;
    memcpy(d->kids + d->kids_len, ids, n * sizeof(uint32_t));
    d->stacks[id] = (vent){(uint32_t)d->kids_len, n, (uint32_t)first};
    d->kids_len += n;
    if (kmap_put(&d->stack_by_hash, h, 0, id) != 0) return DICT_NONE;
    d->nstacks++;
    return id;
}

int add_sample(cprof_dict *d, uint32_t stack, uint32_t event, uint64_t weight) {
    uint64_t v;
    if (kmap_get(&d->sample_by_key, stack, event, &v)) {
        d->samples[v].count++;
        d->samples[v].weight += weight;
        return 0;
    }
    if (grow((void **)&d->samples, &d->samples_cap, sizeof(dsample), d->nsamples + 1) != 0 ||
        kmap_put(&d->sample_by_key, stack, event, d->nsamples) != 0) {
        return -1;
    }
    d->samples[d->nsamples++] = (dsample){stack, event, 1, weight};
    return 0;
}

void dict_free(cprof_dict *d) {
    free(d->sbytes);
    free(d->strs);
    free(d->frames);
    free(d->kids);
    free(d->stacks);
    free(d->samples);
    kmap_clear(&d->str_by_hash);
    kmap_clear(&d->frame_by_key);
    kmap_clear(&d->stack_by_hash);
    kmap_clear(&d->sample_by_key);
}

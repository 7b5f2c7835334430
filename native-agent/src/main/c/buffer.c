/*
 * The sample ring: bytes, not fixed cells, so a record costs what its stack needs (a 40-frame
 * stack ~0.8 KB) instead of the 5 KB of the deepest one. Lock-free, many producers (signal
 * handlers, JVMTI callbacks), one consumer (the collector thread); nothing here blocks or
 * allocates, a full ring counts a drop.
 *
 * An entry is a header word (0 = being written; else its length and kind, stored last with
 * release), the claim position, then the body. A producer claims the largest entry with one
 * CAS on `head` (the walker fills a whole cprof_record in place: no copy of it on the signal
 * stack), packs it at commit and gives the unused tail back with a second CAS when no one
 * claimed after it (else the entry keeps its full length, the tail skipped). An entry that
 * would not fit before the end of the buffer is preceded by a pad entry to the end.
 *
 * Free space is always zero: the consumer zeroes what it consumed before moving `tail`, a
 * producer zeroes the tail it gives back. So an unpublished header reads 0.
 *
 * Resident memory: when the consumer finds the ring empty it moves head and tail to the start
 * of the next lap, so a ring drained faster than it fills keeps reusing its first pages; only
 * a backlog touches more. The buffer is a memfd named "cprof-ring" when the kernel has
 * memfd_create, so /proc/PID/smaps shows what it holds resident.
 */
#define _GNU_SOURCE
#include "buffer.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HDR 16u                 /* header word + claim position */
#define KIND_RECORD 1u
#define KIND_PAD 2u
#define FIXED offsetof(cprof_record, native) /* event .. weight, copied as they are */

/* Packing moves each part of the record down, in place; these keep every destination below
 * (or at) its source, whatever the counts. */
_Static_assert(FIXED % 8 == 0, "natives stay 8-aligned");
_Static_assert(offsetof(cprof_record, top_method) >= FIXED + 8 * MAX_NATIVE, "top_method after natives");
_Static_assert(offsetof(cprof_record, frames) >= FIXED + 8 * MAX_NATIVE + 16, "frames after the packed head");
_Static_assert(offsetof(cprof_record, ftype) >= FIXED + 8 * MAX_NATIVE + 16 + sizeof(cprof_frame) * MAX_FRAMES,
               "ftype after the packed frames");
/* Every field is packed: those before native[] as they are, the rest one by one in pack(). A
 * field added after native[] must be packed there too; these fail when one is. */
_Static_assert(offsetof(cprof_record, top_method) == offsetof(cprof_record, native) + sizeof(uintptr_t) * MAX_NATIVE &&
               offsetof(cprof_record, type_name) == offsetof(cprof_record, top_method) + sizeof(uintptr_t) &&
               offsetof(cprof_record, frames) <= offsetof(cprof_record, type_name) + TYPE_NAME_LEN + 8 &&
               offsetof(cprof_record, ftype) == offsetof(cprof_record, frames) + sizeof(cprof_frame) * MAX_FRAMES &&
               sizeof(cprof_record) <= offsetof(cprof_record, ftype) + MAX_FRAMES + 8,
               "a field of cprof_record that pack() does not know");
_Static_assert(HDR + FIXED + 8 * MAX_NATIVE + 16 + (sizeof(cprof_frame) + 1) * MAX_FRAMES + TYPE_NAME_LEN <= RING_ENTRY_MAX,
               "the largest packed record fits an entry");

static char *base;
static size_t cap;                /* bytes, a multiple of 8 */
static unsigned max_records;      /* 0 = no cap on the count */
static atomic_uint_fast64_t head; /* next claim (absolute byte position) */
static atomic_uint_fast64_t tail; /* next entry the consumer reads; written by the consumer only */
static atomic_uint records_in;    /* records claimed and not yet consumed (with max_records) */
static atomic_ullong dropped;
static uint64_t high_water;       /* consumer only */

static _Atomic uint64_t *hdr_at(char *e) {
    return (_Atomic uint64_t *)(void *)e;
}

int ring_create(size_t bytes, unsigned records) {
    size_t n = (bytes + 7u) & ~(size_t)7u;
    if (n < 2 * RING_ENTRY_MAX) n = 2 * RING_ENTRY_MAX;
    /* Pages are touched only as entries are written, and munmap gives them back after the
     * session (repeated attach must not grow RSS). */
    void *p = MAP_FAILED;
#ifdef SYS_memfd_create
    int fd = (int)syscall(SYS_memfd_create, "cprof-ring", 1u /* MFD_CLOEXEC */);
    if (fd >= 0) {
        if (ftruncate(fd, (off_t)n) == 0) p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        close(fd);
    }
#endif
    if (p == MAP_FAILED) p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        base = NULL;
        return -1;
    }
    base = p;
    cap = n;
    max_records = records;
    atomic_store(&head, 0);
    atomic_store(&tail, 0);
    atomic_store(&records_in, 0);
    atomic_store(&dropped, 0);
    high_water = 0;
    return 0;
}

void ring_destroy(void) {
    if (base != NULL) {
        munmap(base, cap);
        base = NULL;
    }
}

static int count_in(void) {
    if (max_records == 0) return 1;
    if (atomic_fetch_add_explicit(&records_in, 1, memory_order_relaxed) >= max_records) {
        atomic_fetch_sub_explicit(&records_in, 1, memory_order_relaxed);
        return 0;
    }
    return 1;
}

/* Room for a largest entry at h: the pad to the end of the buffer it may need, and the total. */
static uint64_t claim_size(uint64_t h, uint64_t *pad) {
    uint64_t off = h % cap;
    *pad = off + RING_ENTRY_MAX > cap ? cap - off : 0;
    return *pad + RING_ENTRY_MAX;
}

cprof_record *ring_claim(void) {
    if (base == NULL) return NULL;
    if (!count_in()) {
        atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
        return NULL;
    }
    uint64_t h = atomic_load_explicit(&head, memory_order_relaxed), pad, need;
    for (;;) {
        need = claim_size(h, &pad);
        uint64_t t = atomic_load_explicit(&tail, memory_order_acquire);
        if ((int64_t)(h - t) < 0) { /* head read before the consumer's rewind, tail after */
            h = atomic_load_explicit(&head, memory_order_relaxed);
            continue;
        }
        if (h + need - t > cap) {
            if (max_records) atomic_fetch_sub_explicit(&records_in, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed); /* full */
            return NULL;
        }
        if (atomic_compare_exchange_weak_explicit(&head, &h, h + need, memory_order_acq_rel, memory_order_relaxed)) {
            break;
        }
    }
    if (pad) atomic_store_explicit(hdr_at(base + h % cap), pad << 8 | KIND_PAD, memory_order_release);
    uint64_t pos = h + pad;
    char *e = base + pos % cap;
    memcpy(e + 8, &pos, sizeof pos);
    return (cprof_record *)(void *)(e + HDR); /* zero: free space is */
}

/* For producers whose record is costly to build (a JVMTI stack trace): when the ring is full,
 * the drop is counted before that work is done, so a full ring makes sampling cheaper, never
 * slower. Racy by nature: a claim right after may still fail (and count), or find room. */
int ring_full(void) {
    if (base == NULL) return 1;
    uint64_t h = atomic_load_explicit(&head, memory_order_relaxed), pad;
    uint64_t t = atomic_load_explicit(&tail, memory_order_acquire);
    int full = ((int64_t)(h - t) >= 0 && h + claim_size(h, &pad) - t > cap) ||
               (max_records && atomic_load_explicit(&records_in, memory_order_relaxed) >= max_records);
    if (full) atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
    return full;
}

/* Packs r in place: fixed fields, natives, top_method, {frame count, type length}, frames,
 * frame types, type name. Returns the packed body's length. */
static size_t pack(cprof_record *r) {
    char *b = (char *)r;
    size_t nn = r->num_native > MAX_NATIVE ? MAX_NATIVE : r->num_native;
    uint32_t nf = r->num_frames > 0 ? (uint32_t)(r->num_frames > MAX_FRAMES ? MAX_FRAMES : r->num_frames) : 0;
    uintptr_t top = r->top_method;
    char name[TYPE_NAME_LEN];
    uint32_t tlen = (uint32_t)strnlen(r->type_name, TYPE_NAME_LEN - 1);
    memcpy(name, r->type_name, tlen);
    size_t o = FIXED + 8 * nn;     /* natives are in place already */
    memcpy(b + o, &top, 8);
    o += 8;
    uint32_t counts[2] = {nf, tlen};
    memcpy(b + o, counts, 8);
    o += 8;
    memmove(b + o, r->frames, sizeof(cprof_frame) * nf);
    o += sizeof(cprof_frame) * nf;
    memmove(b + o, r->ftype, nf);
    o += nf;
    memcpy(b + o, name, tlen);
    o += tlen;
    return (o + 7u) & ~(size_t)7u;
}

static void unpack(const char *b, cprof_record *r) {
    memcpy(r, b, FIXED);
    size_t nn = r->num_native > MAX_NATIVE ? MAX_NATIVE : r->num_native;
    size_t o = FIXED;
    memcpy(r->native, b + o, 8 * nn);
    o += 8 * nn;
    memcpy(&r->top_method, b + o, 8);
    o += 8;
    uint32_t counts[2];
    memcpy(counts, b + o, 8);
    o += 8;
    memcpy(r->frames, b + o, sizeof(cprof_frame) * counts[0]);
    o += sizeof(cprof_frame) * counts[0];
    memcpy(r->ftype, b + o, counts[0]);
    o += counts[0];
    memcpy(r->type_name, b + o, counts[1]);
    r->type_name[counts[1]] = '\0';
}

void ring_commit(cprof_record *r) {
    char *e = (char *)r - HDR;
    uint64_t pos;
    memcpy(&pos, e + 8, sizeof pos);
    uint64_t len = HDR + pack(r);
    /* What the walk wrote past the packed record goes back to zero, then back to the ring if
     * no producer claimed after this one (the common case: one signal at a time). */
    memset(e + len, 0, RING_ENTRY_MAX - len);
    uint64_t expected = pos + RING_ENTRY_MAX;
    if (!atomic_compare_exchange_strong_explicit(&head, &expected, pos + len, memory_order_acq_rel, memory_order_relaxed)) {
        len = RING_ENTRY_MAX;
    }
    atomic_store_explicit(hdr_at(e), len << 8 | KIND_RECORD, memory_order_release);
}

int ring_drain(void (*fn)(const cprof_record *, void *), void *arg, size_t max_bytes, size_t *bytes) {
    static cprof_record rec; /* the consumer's unpacked copy */
    int n = 0;
    size_t done = 0;
    if (base == NULL) {
        *bytes = 0;
        return 0;
    }
    uint64_t t = atomic_load_explicit(&tail, memory_order_relaxed);
    while (done < max_bytes) {
        char *e = base + t % cap;
        uint64_t h = atomic_load_explicit(hdr_at(e), memory_order_acquire);
        if (h == 0) break; /* empty, or the producer is still writing this entry */
        uint64_t len = h >> 8;
        if ((h & 0xff) == KIND_RECORD) {
            unpack(e + HDR, &rec);
            fn(&rec, arg);
            n++;
            if (max_records) atomic_fetch_sub_explicit(&records_in, 1, memory_order_relaxed);
            /* A claim writes up to a largest entry, even when it gives most of it back. */
            uint64_t touched = t % cap + RING_ENTRY_MAX;
            if (touched > high_water) high_water = touched > cap ? cap : touched;
        }
        memset(e, 0, len);
        t += len;
        done += len;
        atomic_store_explicit(&tail, t, memory_order_release);
    }
    /* Empty: start the next lap at the buffer's start, so the same first pages are reused.
     * Not when the lap is almost over anyway (a producer that read the new head with the old
     * tail must not see the ring as full). */
    uint64_t off = t % cap, expected = t;
    if (off >= RING_ENTRY_MAX &&
        atomic_compare_exchange_strong_explicit(&head, &expected, t - off + cap, memory_order_acq_rel, memory_order_relaxed)) {
        atomic_store_explicit(&tail, t - off + cap, memory_order_release);
    }
    *bytes = done;
    return n;
}

uint64_t ring_dropped(void) {
    return atomic_load(&dropped);
}

uint64_t ring_bytes(void) {
    return base == NULL ? 0 : cap;
}

uint64_t ring_high_water(void) {
    return high_water;
}

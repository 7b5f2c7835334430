/*
 * A preallocated, bounded, lock-free multi-producer ring of fixed-size sample records
 * (Vyukov's bounded queue). Producers are signal handlers and JVMTI callbacks: they claim a
 * cell with one CAS, fill it in place, then publish it. Nothing here blocks or allocates;
 * a full ring counts a drop. The only consumer is the collector thread.
 */
#define _GNU_SOURCE
#include "buffer.h"

#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

typedef struct {
    atomic_size_t seq;
    cprof_record rec;
} cell;

static cell *cells;
static size_t mask;
static size_t cells_bytes;
static atomic_size_t enqueue_pos;
static size_t dequeue_pos;        /* consumer only */
static atomic_ullong dropped;

int ring_create(unsigned capacity) {
    cells_bytes = sizeof(cell) * (size_t)capacity;
    /* mmap, not malloc: pages are touched only as records are written, and munmap really
     * gives the memory back after the session (repeated attach must not grow RSS). */
    void *p = mmap(NULL, cells_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        cells = NULL;
        return -1;
    }
    cells = p;
    mask = capacity - 1;
    /* No initialization pass: a cell's seq is stored minus its index (Vyukov's initial
     * seq = index is then the zero of a fresh anonymous page), so a page becomes resident
     * only when a record is written to it. */
    atomic_store(&enqueue_pos, 0);
    dequeue_pos = 0;
    atomic_store(&dropped, 0);
    return 0;
}

void ring_destroy(void) {
    if (cells != NULL) {
        munmap(cells, cells_bytes);
        cells = NULL;
    }
}

cprof_record *ring_claim(void) {
    cell *c;
    size_t pos = atomic_load_explicit(&enqueue_pos, memory_order_relaxed);
    if (cells == NULL) {
        return NULL;
    }
    for (;;) {
        c = &cells[pos & mask];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire) + (pos & mask);
        intptr_t dif = (intptr_t)seq - (intptr_t)pos;
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(&enqueue_pos, &pos, pos + 1,
                                                      memory_order_relaxed, memory_order_relaxed)) {
                break;
            }
        } else if (dif < 0) {
            atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed); /* full */
            return NULL;
        } else {
            pos = atomic_load_explicit(&enqueue_pos, memory_order_relaxed);
        }
    }
    c->rec.type_name[0] = '\0';
    c->rec.num_native = 0;
    c->rec.top_method = 0;
    c->rec.top_type = 0;
    memset(c->rec.ftype, 0, sizeof c->rec.ftype);
    c->rec.non_java = 0;
    c->rec.state = STATE_NONE;
    return &c->rec;
}

/* For producers whose record is costly to build (a JVMTI stack trace): when the ring is full,
 * the drop is counted before that work is done, so a full ring makes sampling cheaper, never
 * slower. Racy by nature: a claim right after may still fail (and count), or find room. */
int ring_full(void) {
    if (cells == NULL) {
        return 1;
    }
    size_t pos = atomic_load_explicit(&enqueue_pos, memory_order_relaxed);
    cell *c = &cells[pos & mask];
    size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire) + (pos & mask);
    if ((intptr_t)seq - (intptr_t)pos < 0) {
        atomic_fetch_add_explicit(&dropped, 1, memory_order_relaxed);
        return 1;
    }
    return 0;
}

void ring_commit(cprof_record *r) {
    cell *c = (cell *)((char *)r - offsetof(cell, rec));
    size_t seq = atomic_load_explicit(&c->seq, memory_order_relaxed);
    atomic_store_explicit(&c->seq, seq + 1, memory_order_release);
}

/* Hands up to max published records to fn, in order; stops at the first unpublished one. */
int ring_drain(void (*fn)(const cprof_record *, void *), void *arg, int max) {
    int n = 0;
    if (cells == NULL) {
        return 0;
    }
    while (n < max) {
        cell *c = &cells[dequeue_pos & mask];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire) + (dequeue_pos & mask);
        if ((intptr_t)seq - (intptr_t)(dequeue_pos + 1) < 0) {
            break; /* empty, or the producer is still writing this cell */
        }
        fn(&c->rec, arg);
        atomic_store_explicit(&c->seq, dequeue_pos + mask + 1 - (dequeue_pos & mask), memory_order_release);
        dequeue_pos++;
        n++;
    }
    return n;
}

uint64_t ring_dropped(void) {
    return atomic_load(&dropped);
}

uint64_t ring_bytes(void) {
    return cells == NULL ? 0 : cells_bytes;
}

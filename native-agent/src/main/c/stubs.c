/* See stubs.h. A sorted array under a mutex: stubs are few (thousands) and added rarely. */
#include "stubs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STUBS 65536
#define STUB_NAME_LEN 64

typedef struct {
    uintptr_t start, end;
    char name[STUB_NAME_LEN];
} stub;

static stub *table;
static size_t count, cap;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* First index whose start is > pc. */
static size_t upper(uintptr_t pc) {
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (table[mid].start <= pc) lo = mid + 1; else hi = mid;
    }
    return lo;
}

void stubs_add(const void *address, int length, const char *name) {
    if (address == NULL || length <= 0 || name == NULL) return;
    uintptr_t start = (uintptr_t)address;
    pthread_mutex_lock(&lock);
    size_t at = upper(start);
    if (at > 0 && table[at - 1].start == start) {
        at--; /* the same code generated again (a replaced stub): rename it */
    } else if (count < MAX_STUBS) {
        if (count == cap) {
            size_t c = cap ? cap * 2 : 1024;
            stub *t = realloc(table, c * sizeof(stub));
            if (t == NULL) {
                pthread_mutex_unlock(&lock);
                return;
            }
            table = t;
            cap = c;
        }
        memmove(&table[at + 1], &table[at], (count - at) * sizeof(stub));
        count++;
    } else {
        pthread_mutex_unlock(&lock);
        return;
    }
    table[at].start = start;
    table[at].end = start + (uintptr_t)length;
    snprintf(table[at].name, STUB_NAME_LEN, "%s", name);
    pthread_mutex_unlock(&lock);
}

int stubs_find(uintptr_t pc, uintptr_t *start, char *name, size_t n) {
    int found = 0;
    pthread_mutex_lock(&lock);
    size_t at = upper(pc);
    if (at > 0 && pc < table[at - 1].end) {
        *start = table[at - 1].start;
        snprintf(name, n, "%s", table[at - 1].name);
        found = 1;
    }
    pthread_mutex_unlock(&lock);
    return found;
}

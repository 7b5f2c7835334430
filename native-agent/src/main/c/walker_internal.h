/* What the x86_64 stack walker's files share: walker.c (AsyncGetCallTrace and when to repair
 * its context), walker_unwind.c (one stub's or compiled method's caller, from its code) and
 * walker_types.c (the tier of each Java frame). Async-signal-safe throughout: every address
 * read is checked first, stack slots against the thread's stack [sp, bottom), code bytes and
 * blob headers against the code heap (vmstructs.c). Internal to the walker. */
#ifndef CPROF_WALKER_INTERNAL_H
#define CPROF_WALKER_INTERNAL_H

#if defined(__x86_64__)

#include <stddef.h>
#include <stdint.h>

#include "buffer.h"
#include "protocol.h"
#include "vmstructs.h"

static inline int on_stack(uintptr_t p, size_t n, uintptr_t sp, uintptr_t bottom) {
    return p >= sp && p + n <= bottom && (p & 7) == 0;
}

static inline uintptr_t slot(uintptr_t p) {
    return *(const volatile uintptr_t *)p;
}

static inline uint8_t compiled_type(int level) {
    return level >= 1 && level <= 3 ? FTYPE_C1 : FTYPE_JIT;
}

/* walker_unwind.c: the caller's pc/sp/fp of a frame AsyncGetCallTrace could not start from.
 * 1 if unwound; 0 if the code there is not understood (pc/sp/fp may be changed: discard). */
int unwind_compiled(const vm_blob *b, uintptr_t *pc, uintptr_t *sp, uintptr_t *fp, uintptr_t bottom);
int unwind_stub(const vm_blob *b, uintptr_t *pc, uintptr_t *sp, uintptr_t *fp, uintptr_t bottom);
int is_return_into_java(uintptr_t ret); /* a return address into compiled code or a stub */

/* walker_types.c: ftype[] of r's Java frames, from the physical frames at pc/sp/fp. */
void type_frames(cprof_record *r, uintptr_t pc, uintptr_t sp, uintptr_t fp, uintptr_t bottom);

#endif

#endif

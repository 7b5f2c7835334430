/* symbols.c: functions of shared objects from their .symtab, and a small C++ demangler.
 * For the collector only, never in a signal handler. */
#ifndef CPROF_SYMBOLS_H
#define CPROF_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

/* The start of the function containing pc (1) or 0 if unknown; then its (mangled) name. */
int symbols_function(const char *path, uintptr_t base, uintptr_t pc, uintptr_t *start);
int symbols_name(const char *path, uintptr_t base, uintptr_t start, char *out, size_t out_n);
/* Reads the table of the object containing addr now (the first session does it for libjvm). */
void symbols_preload(const void *addr);
/* "_ZN5Klass4nameEv" → "Klass::name" (no parameters); 1 if covered, else 0. */
int demangle_simple(const char *mangled, char *out, size_t out_n);

#endif

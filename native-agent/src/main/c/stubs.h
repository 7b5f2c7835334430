/*
 * Names of the code the JVM generates (JVMTI DynamicCodeGenerated: "itable stub",
 * "vtable stub", "jbyte_disjoint_arraycopy", "Interpreter", ...), so a sample whose PC is in
 * a stub names the stub. Filled from JVMTI callbacks, read by the collector; never by a
 * signal handler. Bounded: past MAX_STUBS entries new stubs are named by their code blob.
 */
#ifndef CPROF_STUBS_H
#define CPROF_STUBS_H

#include <stddef.h>
#include <stdint.h>

void stubs_add(const void *address, int length, const char *name);
/* The stub containing pc: its start (a key for caches) and name; 1 if known. */
int stubs_find(uintptr_t pc, uintptr_t *start, char *name, size_t n);

#endif

/*
 * The HotSpot structures the stack walker reads, located through the tables libjvm exports
 * for debuggers (gHotSpotVMStructs, gHotSpotVMTypes, gHotSpotVMIntConstants): where the code
 * heaps are, what a code blob is (name, frame size, frame-complete offset, compiled method and
 * tier), a thread's last Java frame. Offsets differ between JDK 17, 21 and 25; the tables say
 * which fields exist. A JVM whose tables lack what we need is reported once, and the walker
 * falls back to AsyncGetCallTrace alone.
 */
#ifndef CPROF_VMSTRUCTS_H
#define CPROF_VMSTRUCTS_H

#include <jvmti.h>
#include <stddef.h>
#include <stdint.h>

/* What kind of code a blob holds, from its name. */
enum {
    BLOB_OTHER = 0,     /* a stub: runtime stub, StubRoutines, adapters, safepoint blob, ... */
    BLOB_NMETHOD,       /* a compiled Java method ("nmethod", "native nmethod") */
    BLOB_INTERPRETER,   /* the template interpreter */
    BLOB_VTABLE         /* vtable and itable stubs ("vtable chunks"): no frame of their own */
};

typedef struct {
    uintptr_t start;          /* the CodeBlob */
    uintptr_t code_begin, code_end;
    uintptr_t entry;          /* nmethod: verified entry point, else code_begin */
    const char *name;         /* the blob's name (a string in libjvm) */
    int32_t frame_size;       /* in words, 0 = none */
    int32_t frame_complete;   /* offset from code_begin, -1 = never complete */
    int kind;                 /* BLOB_* */
    uintptr_t method;         /* nmethod: its Method* */
    int level;                /* nmethod: compilation tier (1-3 C1, 4 C2), 0 unknown */
} vm_blob;

/* Reads the tables; once per process, when the VM is live (code heaps exist). 0 = usable. */
int vms_init(jvmtiEnv *jvmti, JNIEnv *jni);
int vms_usable(void);
/* Async-signal-safe: is pc in a code heap's committed memory. */
int vms_in_code_heap(uintptr_t pc);
/* Async-signal-safe: the blob containing pc, 1 if found (reads only code heap memory). */
int vms_find_blob(uintptr_t pc, vm_blob *out);
/* Async-signal-safe: the current thread's last Java frame, from its JNIEnv; 1 if set. */
int vms_last_java_frame(JNIEnv *env, uintptr_t *sp, uintptr_t *fp, uintptr_t *pc);
/* Async-signal-safe: the JavaThreadState of the thread of env, -1 if unknown. */
#define VMS_THREAD_IN_VM 6
#define VMS_THREAD_IN_JAVA 8
int vms_thread_state(JNIEnv *env);
/* Async-signal-safe, for the current thread only (it is stopped in our handler): sets its
 * frame anchor. The JVM leaves the anchor's pc 0 while a runtime stub calls into the VM (the
 * anchor is then "not walkable"); the walker fills it in for one AsyncGetCallTrace call and
 * puts the old values back, as async-profiler 2.x did. Only while the thread is in the VM or
 * in Java: then no other thread walks its stack (a blocked or native thread's stack is walked
 * by the VM thread at a safepoint, concurrently with our handler). */
void vms_set_last_java_frame(JNIEnv *env, uintptr_t sp, uintptr_t fp, uintptr_t pc);
/* Async-signal-safe: the return address of the JVM's call stub (an entry frame). */
uintptr_t vms_call_stub_return(void);
/* Async-signal-safe: the JavaFrameAnchor of the call wrapper of an entry frame at fp; every
 * slot read lies in the stack range [lo, hi). 1 if found. */
int vms_entry_frame_anchor(uintptr_t fp, uintptr_t lo, uintptr_t hi, uintptr_t *sp, uintptr_t *afp, uintptr_t *pc);
/* Not for signal handlers (reads metadata through guarded reads): the jmethodID of a
 * Method*, NULL when it cannot be told or the method is gone. */
jmethodID vms_method_id(uintptr_t method);
/* Not for signal handlers: the Method* a jmethodID stands for (JDK 25 and older), 0 if not. */
uintptr_t vms_method_of(jmethodID id);
/* Async-signal-safe: the Method* of a jmethodID, read through it on JDK 25 and older (where a
 * jmethodID points at a Method* slot that is never freed); 0 on later JDKs. */
uintptr_t vms_method_of_fast(jmethodID id);

/* Copies n bytes at addr to out without faulting: 0 on success, -1 if unreadable. */
int safe_read(uintptr_t addr, void *out, size_t n);

#endif

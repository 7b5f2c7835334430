/*
 * See walker.h. x86_64 reads registers and instruction patterns; elsewhere the walker is
 * AsyncGetCallTrace alone. Every address read here is checked first: stack slots against the
 * thread's stack [sp, bottom), code bytes and blob headers against the code heap (vmstructs.c).
 *
 * This file: AsyncGetCallTrace, the native frames above the Java ones, and when and from where
 * to ask AsyncGetCallTrace again. How to unwind one stub or compiled frame is
 * walker_unwind.c's; the tier of each Java frame walker_types.c's.
 */
#define _GNU_SOURCE
#include "walker.h"
#include "walker_internal.h"
#include "vmstructs.h"
#include "protocol.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <ucontext.h>

typedef struct {
    JNIEnv *env_id;
    jint num_frames;
    cprof_frame *frames;
} ASGCT_CallTrace;
typedef void (*agct_fn)(ASGCT_CallTrace *, jint, void *);

static agct_fn agct;

#define MAX_STACK_BYTES (16u << 20) /* the largest thread stack we trust the TCB to top */
#define MAX_REPAIRS 3

int walker_init(void) {
    /* libjvm exports it; RTLD_DEFAULT finds it from a library loaded into the JVM. */
    agct = (agct_fn)dlsym(RTLD_DEFAULT, "AsyncGetCallTrace");
    if (agct == NULL) {
        void *h = dlopen("libjvm.so", RTLD_LAZY | RTLD_NOLOAD);
        if (h != NULL) agct = (agct_fn)dlsym(h, "AsyncGetCallTrace");
    }
    return agct != NULL ? 0 : -1;
}

int walker_ready(void) {
    return agct != NULL;
}

#if defined(__x86_64__)

#define REG_OF(uc, r) ((uc)->uc_mcontext.gregs[r])

/* The top of this thread's stack: glibc puts the thread control block right above a
 * pthread's stack. Elsewhere (the primordial thread) nothing above sp is trusted. */
static uintptr_t stack_bottom(uintptr_t sp) {
    uintptr_t tcb = (uintptr_t)pthread_self();
    return tcb > sp && tcb - sp <= MAX_STACK_BYTES ? tcb : sp;
}

/* A point in Java code (a code-heap PC) with its stack and frame pointers. */
typedef struct {
    uintptr_t pc, sp, fp;
} java_point;

/* Frame pointers from a native PC up to the first code-heap PC, returned in *stop (pc 0 if the
 * chain ended before it). A stub there (the runtime stub that called into the VM) is kept too;
 * the Java frames below come from AsyncGetCallTrace. */
static void walk_native(cprof_record *r, uintptr_t pc, uintptr_t sp, uintptr_t fp, uintptr_t bottom, java_point *stop) {
    stop->pc = 0;
    while (r->num_native < MAX_NATIVE) {
        if (vms_in_code_heap(pc)) {
            vm_blob b;
            if (vms_find_blob(pc, &b) && b.kind != BLOB_NMETHOD && b.kind != BLOB_INTERPRETER) {
                r->native[r->num_native++] = pc;
            }
            *stop = (java_point){pc, sp, fp};
            return;
        }
        r->native[r->num_native++] = pc;
        if (!on_stack(fp, 16, sp, bottom)) return;
        uintptr_t next = slot(fp + 8);
        sp = fp + 16;
        fp = slot(fp);
        if (next < 4096) return;
        pc = next;
    }
}

/* AsyncGetCallTrace from a code-heap point; where it fails, unwinds what it cannot (a stub, a
 * compiled prologue/epilogue) and asks again from the caller, up to MAX_REPAIRS times (the
 * first call skipped when the caller has made it). *at is left where the trace starts. */
static void agct_repaired(ASGCT_CallTrace *trace, const ucontext_t *uc, cprof_record *r, java_point *at, uintptr_t bottom,
                          int asked) {
    ucontext_t copy = *uc;
    for (int k = asked ? 1 : 0; k <= MAX_REPAIRS; k++) {
        if (k > 0) {
            vm_blob b;
            if (!vms_find_blob(at->pc, &b)) return;
            java_point next = *at;
            if (b.kind == BLOB_NMETHOD) {
                if (r->top_method != 0 || !unwind_compiled(&b, &next.pc, &next.sp, &next.fp, bottom)) return;
                r->top_method = b.method;
                r->top_type = compiled_type(b.level);
            } else if (b.kind == BLOB_INTERPRETER) {
                return;
            } else {
                if (r->num_native >= MAX_NATIVE || !unwind_stub(&b, &next.pc, &next.sp, &next.fp, bottom)) return;
                r->native[r->num_native++] = at->pc;
            }
            *at = next;
            if (!vms_in_code_heap(at->pc)) return;
        }
        REG_OF(&copy, REG_RIP) = (greg_t)at->pc;
        REG_OF(&copy, REG_RSP) = (greg_t)at->sp;
        REG_OF(&copy, REG_RBP) = (greg_t)at->fp;
        trace->num_frames = 0;
        agct(trace, MAX_FRAMES, &copy);
        if (trace->num_frames > 0) return;
    }
}

/* One AsyncGetCallTrace call with the thread's frame anchor set to sp/fp/pc, then restored. */
static void agct_anchored(JNIEnv *env, ASGCT_CallTrace *trace, void *ucontext, uintptr_t sp, uintptr_t fp, uintptr_t pc,
                          uintptr_t asp, uintptr_t afp, uintptr_t apc) {
    /* No other handler on this thread (a JVM suspend signal, JFR's sampler) may see the
     * borrowed anchor: all signals wait for the few microseconds it is set. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    vms_set_last_java_frame(env, sp, fp, pc);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    trace->num_frames = 0;
    agct(trace, MAX_FRAMES, ucontext);
    __atomic_signal_fence(__ATOMIC_SEQ_CST);
    vms_set_last_java_frame(env, asp, afp, apc);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* AsyncGetCallTrace where the thread's frame anchor defeats it. While a runtime stub calls
 * into the VM the anchor has no pc (it is "not walkable"): the pc is the return address the
 * call pushed below the anchor's sp. Where a walk from the stub's frame still fails (C1 stubs
 * never declare their frame complete on JDK 21+; C2's allocation stubs after the VM call
 * returned, the thread "in Java" again) the anchor is moved to the stub's caller; the stub is
 * already a native frame. The anchor is the JVM's: it is put back as it was. */
static void agct_with_anchor_repaired(JNIEnv *env, ASGCT_CallTrace *trace, void *ucontext, uintptr_t sp, uintptr_t bottom) {
    /* Blocked or native, the thread's stack may be walked by the VM thread (a safepoint's GC)
     * while this handler runs: its anchor is not ours to touch then. */
    int state = vms_thread_state(env);
    if (state != VMS_THREAD_IN_VM && state != VMS_THREAD_IN_JAVA) return;
    uintptr_t asp, afp, apc;
    if (!vms_last_java_frame(env, &asp, &afp, &apc) || !on_stack(asp - 8, 8, sp, bottom)) return;
    uintptr_t pc = apc != 0 ? apc : slot(asp - 8);
    vm_blob b;
    if (!vms_find_blob(pc, &b)) return;
    if (apc == 0) {
        agct_anchored(env, trace, ucontext, asp, afp, pc, asp, afp, apc);
        if (trace->num_frames > 0) return;
    }
    if (b.kind == BLOB_NMETHOD || b.kind == BLOB_INTERPRETER || b.kind == BLOB_VTABLE || b.frame_size <= 0) return;
    uintptr_t csp = asp + (uintptr_t)b.frame_size * 8;
    if (!on_stack(csp - 16, 16, sp, bottom)) return;
    /* A stub with an rbp frame (C1's) must agree with its frame size, or the caller found would
     * be a guess: a wrong stack is worse than an unwalked one. */
    if (afp != 0 && afp + 16 != csp) return;
    uintptr_t cpc = slot(csp - 8);
    if (!vms_in_code_heap(cpc)) return;
    agct_anchored(env, trace, ucontext, csp, slot(csp - 16), cpc, asp, afp, apc);
}

void walk_stack(JNIEnv *env, void *ucontext, cprof_record *r) {
    ucontext_t *uc = ucontext;
    r->num_native = 0;
    r->top_method = 0;
    r->num_frames = 0;
    memset(r->ftype, 0, sizeof r->ftype);
    if (uc == NULL) return;
    uintptr_t pc = (uintptr_t)REG_OF(uc, REG_RIP), sp = (uintptr_t)REG_OF(uc, REG_RSP), fp = (uintptr_t)REG_OF(uc, REG_RBP);
    uintptr_t bottom = stack_bottom(sp);
    if (!vms_usable()) {
        r->native[r->num_native++] = pc;
        if (env != NULL) {
            ASGCT_CallTrace trace = {env, 0, r->frames};
            agct(&trace, MAX_FRAMES, ucontext);
            r->num_frames = trace.num_frames;
        }
        return;
    }
    int in_java_code = vms_in_code_heap(pc);
    java_point stop = {0, 0, 0};
    if (!in_java_code) walk_native(r, pc, sp, fp, bottom, &stop);
    if (env == NULL) return;

    ASGCT_CallTrace trace = {env, 0, r->frames};
    java_point top = {pc, sp, fp}; /* where the Java frames start, for typing them */
    int top_known = in_java_code;
    vm_blob blob;
    if (in_java_code && vms_find_blob(pc, &blob) && blob.kind == BLOB_NMETHOD && blob.frame_complete >= 0 &&
        pc - 1 >= blob.code_begin + (uintptr_t)blob.frame_complete) {
        /* In compiled code, a debug-info record (PcDesc) at offset o describes the region that
         * ends at o. AsyncGetCallTrace takes the first record after pc, async-profiler the first
         * at or after it: where a record sits exactly at pc (the instruction after a stalled
         * load, where samples skid to) the two name different inlined methods. Asking for
         * pc - 1 makes AsyncGetCallTrace pick as async-profiler does. */
        ucontext_t at = *uc;
        REG_OF(&at, REG_RIP) = (greg_t)(pc - 1);
        agct(&trace, MAX_FRAMES, &at);
    } else {
        agct(&trace, MAX_FRAMES, ucontext);
    }
    if (trace.num_frames == -3 || trace.num_frames == -4 || trace.num_frames == -6) {
        /* ticks_unknown_not_Java, ticks_not_walkable_not_Java, ticks_not_walkable_Java */
        agct_with_anchor_repaired(env, &trace, ucontext, sp, bottom);
    }
    if (trace.num_frames <= 0 && in_java_code) {
        agct_repaired(&trace, uc, r, &top, bottom, 1);
    } else if ((trace.num_frames == -5 || trace.num_frames == -6) && stop.pc == 0 && r->num_native == 1) {
        /* The same from a native leaf without a frame of its own yet (at its entry, or after
         * push rbp only): the return address at sp or right above it. */
        for (uintptr_t pushed = 0; pushed <= 8 && trace.num_frames <= 0; pushed += 8) {
            if (!on_stack(sp + pushed, 8, sp, bottom) || !is_return_into_java(slot(sp + pushed))) continue;
            java_point at = {slot(sp + pushed), sp + pushed + 8, pushed ? slot(sp) : fp};
            int first = trace.num_frames;
            agct_repaired(&trace, uc, r, &at, bottom, 0);
            if (trace.num_frames > 0) {
                top = at;
                top_known = 1;
            } else {
                r->num_native = 1;
                r->top_method = 0;
                trace.num_frames = first;
            }
        }
    } else if ((trace.num_frames == -5 || trace.num_frames == -6) && stop.pc != 0 && /* ticks_*_Java: in Java */
               (r->num_native > 0 && r->native[r->num_native - 1] == stop.pc ? 1 : is_return_into_java(stop.pc))) {
        /* A leaf call from Java into native code that did not change the thread's state
         * (System.nanoTime's clock_gettime, a leaf runtime call): AsyncGetCallTrace cannot start
         * in native code; the frame pointers found the Java caller, so start there. A stub at
         * that point was kept by walk_native; the repair keeps it again when it unwinds it. */
        int kept = r->num_native, first = trace.num_frames;
        if (kept > 0 && r->native[kept - 1] == stop.pc) r->num_native--;
        java_point at = stop;
        agct_repaired(&trace, uc, r, &at, bottom, 0);
        if (trace.num_frames > 0) {
            top = at;
            top_known = 1;
        } else {
            r->num_native = kept; /* as walk_native left it */
            r->top_method = 0;
            trace.num_frames = first;
        }
    }
    if (!in_java_code && r->num_native > 0 &&
        (trace.num_frames == -3 /* ticks_unknown_not_Java */ ||
         /* during a GC or a safepoint AsyncGetCallTrace answers before it looks: a native stack
          * walked to its root (thread start) with no Java caller is still a whole one */
         ((trace.num_frames == -2 || trace.num_frames == -10) && stop.pc == 0 && r->num_native >= 3))) {
        /* A JavaThread of the JVM's own (a JIT compiler thread) that never entered Java: its
         * C++ stack is the whole story, not a failed walk. */
        uintptr_t asp, afp, apc;
        if (!vms_last_java_frame(env, &asp, &afp, &apc)) trace.num_frames = 0;
    }
    r->num_frames = trace.num_frames;
    if (trace.num_frames < 0 && in_java_code && r->num_native == 0) {
        r->native[r->num_native++] = pc; /* unwalked: a stub there still gets its name shown */
    }
    if (trace.num_frames <= 0) return;
    if (top_known) {
        type_frames(r, top.pc, top.sp, top.fp, bottom);
    } else {
        uintptr_t asp, afp, apc;
        if (vms_last_java_frame(env, &asp, &afp, &apc) && on_stack(asp, 8, sp, bottom)) {
            if (apc == 0 && on_stack(asp - 8, 8, sp, bottom)) apc = slot(asp - 8);
            if (apc != 0) type_frames(r, apc, asp, afp, bottom);
        }
    }
}

#else

void walk_stack(JNIEnv *env, void *ucontext, cprof_record *r) {
    r->num_native = 0;
    r->top_method = 0;
    r->num_frames = 0;
    memset(r->ftype, 0, sizeof r->ftype);
    if (env != NULL) {
        ASGCT_CallTrace trace = {env, 0, r->frames};
        agct(&trace, MAX_FRAMES, ucontext);
        r->num_frames = trace.num_frames;
    }
}

#endif

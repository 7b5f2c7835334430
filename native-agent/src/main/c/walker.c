/*
 * See walker.h. x86_64 reads registers and instruction patterns; elsewhere the walker is
 * AsyncGetCallTrace alone. Every address read here is checked first: stack slots against the
 * thread's stack [sp, bottom), code bytes and blob headers against the code heap (vmstructs.c).
 */
#define _GNU_SOURCE
#include "walker.h"
#include "vmstructs.h"
#include "protocol.h"

#include <dlfcn.h>
#include <pthread.h>
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

static int on_stack(uintptr_t p, size_t n, uintptr_t sp, uintptr_t bottom) {
    return p >= sp && p + n <= bottom && (p & 7) == 0;
}

static uintptr_t slot(uintptr_t p) {
    return *(const volatile uintptr_t *)p;
}

/* Frame pointers from a native PC up to the first code-heap PC. A stub there (the runtime stub
 * that called into the VM) is kept too; the Java frames below come from AsyncGetCallTrace. */
static void walk_native(cprof_record *r, uintptr_t pc, uintptr_t sp, uintptr_t fp, uintptr_t bottom) {
    while (r->num_native < MAX_NATIVE) {
        if (vms_in_code_heap(pc)) {
            vm_blob b;
            if (vms_find_blob(pc, &b) && b.kind != BLOB_NMETHOD && b.kind != BLOB_INTERPRETER) {
                r->native[r->num_native++] = pc;
            }
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

/* The return/poll sequence of a compiled method after its frame is popped (JDK 17+):
 * cmp rsp, [r15+disp] (49 3b 67/a7), ja (0f 87 rel32), ret. */
static int at_poll_return(const uint8_t *ip) {
    return (ip[0] == 0x49 && ip[1] == 0x3b && (ip[2] == 0x67 || ip[2] == 0xa7) && ip[-1] == 0x5d) ||
           (ip[0] == 0x0f && ip[1] == 0x87 && ip[6] == 0xc3);
}

/* "sub rsp, imm" between the entry and ip: the frame is allocated. */
static int frame_allocated(uintptr_t entry, uintptr_t pc) {
    const uint8_t *ip = (const uint8_t *)pc;
    for (ip -= 4; (uintptr_t)ip >= entry; ip--) {
        if (ip[0] == 0x48 && ip[2] == 0xec && (ip[1] & 0xfd) == 0x81) return 1;
    }
    return 0;
}

/* A compiled method interrupted before its frame is built or after it is torn down: the
 * caller's pc/sp/fp. 1 if unwound. */
static int unwind_compiled(const vm_blob *b, uintptr_t *pc, uintptr_t *sp, uintptr_t *fp, uintptr_t bottom) {
    const uint8_t *ip = (const uint8_t *)*pc;
    if (*pc < b->code_begin || *pc + 8 > b->code_end) return 0; /* the blob's header precedes its code */
    int complete = b->frame_complete >= 0 && *pc >= b->code_begin + (uintptr_t)b->frame_complete;
    uintptr_t s = *sp;
    if (!complete) {
        if (*pc <= b->entry || ip[0] == 0x55 || b->frame_size == 0) {          /* before push rbp */
            if (!on_stack(s, 8, s, bottom)) return 0;
            *pc = slot(s);
            *sp = s + 8;
        } else if (*pc <= b->entry + 16 && ip[-1] == 0x55) {                    /* right after it */
            if (!on_stack(s, 16, s, bottom)) return 0;
            *fp = slot(s);
            *pc = slot(s + 8);
            *sp = s + 16;
        } else if (*pc <= b->entry + 32 && frame_allocated(b->entry, *pc)) {
            uintptr_t caller = s + (uintptr_t)b->frame_size * 8;
            if (!on_stack(caller - 16, 16, s, bottom)) return 0;
            *fp = slot(caller - 16);
            *pc = slot(caller - 8);
            *sp = caller;
        } else {
            return 0;
        }
    } else if (ip[0] == 0xc3 || at_poll_return(ip)) {                            /* frame popped */
        if (!on_stack(s, 8, s, bottom)) return 0;
        *pc = slot(s);
        *sp = s + 8;
    } else if (ip[0] == 0x5d) {                                                  /* at pop rbp */
        if (!on_stack(s, 16, s, bottom)) return 0;
        *fp = slot(s);
        *pc = slot(s + 8);
        *sp = s + 16;
    } else if (b->frame_size > 0) {
        /* In the body, where AsyncGetCallTrace found no debug information for this PC: the
         * frame's own method stands for it (frames inlined at this PC are not known). Some
         * intrinsics (string compare) push a register or two: the return address is where a
         * code-heap address is found, at most two words further. */
        for (uintptr_t pushed = 0; pushed <= 16; pushed += 8) {
            uintptr_t caller = s + pushed + (uintptr_t)b->frame_size * 8;
            if (!on_stack(caller - 16, 16, s, bottom)) return 0;
            if (vms_in_code_heap(slot(caller - 8))) {
                *fp = slot(caller - 16);
                *pc = slot(caller - 8);
                *sp = caller;
                return 1;
            }
        }
        return 0;
    } else {
        return 0;
    }
    return *pc >= 4096;
}

/* Caller of a stub. vtable/itable stubs and stubs at their first or last instruction have no
 * frame (the return address is at sp); most StubRoutines build one with push rbp; mov rbp, rsp;
 * runtime stubs have a fixed frame size. */
static int unwind_stub(const vm_blob *b, uintptr_t *pc, uintptr_t *sp, uintptr_t *fp, uintptr_t bottom) {
    uintptr_t s = *sp, f = *fp;
    const uint8_t *ip = (const uint8_t *)*pc;
    int at_ret = *pc + 1 <= b->code_end && ip[0] == 0xc3;
    if (b->kind == BLOB_VTABLE || *pc == b->code_begin || at_ret) {
        if (!on_stack(s, 8, s, bottom)) return 0;
        *pc = slot(s);
        *sp = s + 8;
    } else if (b->frame_size > 0 && b->frame_complete >= 0 && *pc >= b->code_begin + (uintptr_t)b->frame_complete &&
               strncmp(b->name, "StubRoutines", 12) != 0) {
        uintptr_t caller = s + (uintptr_t)b->frame_size * 8;
        if (!on_stack(caller - 16, 16, s, bottom)) return 0;
        *fp = slot(caller - 16);
        *pc = slot(caller - 8);
        *sp = caller;
    } else if (on_stack(f, 16, s, bottom) && vms_in_code_heap(slot(f + 8))) {
        /* A stub with an rbp frame: rbp points at the saved rbp, the return address above. */
        *pc = slot(f + 8);
        *fp = slot(f);
        *sp = f + 16;
    } else if (on_stack(s, 8, s, bottom) && vms_in_code_heap(slot(s))) {
        *pc = slot(s);
        *sp = s + 8;
    } else {
        return 0;
    }
    return *pc >= 4096;
}

static uint8_t compiled_type(int level) {
    return level >= 1 && level <= 3 ? FTYPE_C1 : FTYPE_JIT;
}

/* Types AsyncGetCallTrace's frames by walking the physical frames from the same context: an
 * interpreted frame is one Java frame; a compiled frame is its method, preceded by the
 * methods inlined into it. Stops (leaving the rest untyped) wherever the two disagree. */
static void type_frames(cprof_record *r, uintptr_t pc, uintptr_t sp, uintptr_t fp, uintptr_t bottom) {
    int n = r->num_frames > MAX_FRAMES ? MAX_FRAMES : r->num_frames;
    int i = 0;
    for (int steps = 0; i < n && steps < MAX_FRAMES; steps++) {
        vm_blob b;
        if (!vms_find_blob(pc, &b)) return;
        if (b.kind == BLOB_INTERPRETER) {
            if (!on_stack(fp - 24, 40, sp, bottom)) return;
            uintptr_t method = slot(fp - 24); /* frame::interpreter_frame_method_offset = -3 */
            if (vms_method_of_fast(r->frames[i].method_id) != method) return;
            r->ftype[i++] = FTYPE_INTERPRETED;
            uintptr_t sender_sp = slot(fp - 8); /* interpreter_frame_sender_sp_offset = -1 */
            pc = slot(fp + 8);
            uintptr_t next_fp = slot(fp);
            if (sender_sp < fp + 16 || sender_sp > bottom) return;
            sp = sender_sp;
            fp = next_fp;
        } else if (b.kind == BLOB_NMETHOD) {
            int j = i;
            while (j < n && j - i < 64 && vms_method_of_fast(r->frames[j].method_id) != b.method) j++;
            if (j >= n || j - i >= 64) return;
            while (i < j) r->ftype[i++] = FTYPE_INLINED;
            r->ftype[i++] = compiled_type(b.level);
            uintptr_t caller = sp + (uintptr_t)b.frame_size * 8;
            if (b.frame_size <= 0 || !on_stack(caller - 16, 16, sp, bottom)) return;
            fp = slot(caller - 16);
            pc = slot(caller - 8);
            sp = caller;
        } else if (pc == vms_call_stub_return()) {
            /* An entry frame: Java called from the VM. Go on at the Java frame that made the VM
             * call, from the call wrapper's anchor, as AsyncGetCallTrace does. */
            uintptr_t asp, afp, apc;
            if (!vms_entry_frame_anchor(fp, sp, bottom, &asp, &afp, &apc)) return;
            if (!on_stack(asp, 8, sp, bottom)) return;
            if (apc == 0) {
                if (!on_stack(asp - 8, 8, sp, bottom)) return;
                apc = slot(asp - 8);
            }
            sp = asp;
            fp = afp;
            pc = apc;
        } else {
            /* Adapters and other stubs between Java frames. */
            uintptr_t caller = sp + (uintptr_t)b.frame_size * 8;
            if (b.frame_size <= 0 || !on_stack(caller - 16, 16, sp, bottom)) return;
            fp = slot(caller - 16);
            pc = slot(caller - 8);
            sp = caller;
        }
    }
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
    if (!in_java_code) walk_native(r, pc, sp, fp, bottom);
    if (env == NULL) return;

    ASGCT_CallTrace trace = {env, 0, r->frames};
    vm_blob top;
    if (in_java_code && vms_find_blob(pc, &top) && top.kind == BLOB_NMETHOD && top.frame_complete >= 0 &&
        pc - 1 >= top.code_begin + (uintptr_t)top.frame_complete) {
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
    if (trace.num_frames <= 0 && in_java_code) {
        /* Repair: unwind what AsyncGetCallTrace cannot and ask again from the caller. */
        ucontext_t copy = *uc;
        for (int k = 0; k < MAX_REPAIRS && trace.num_frames <= 0; k++) {
            vm_blob b;
            if (!vms_find_blob(pc, &b)) break;
            uintptr_t npc = pc, nsp = sp, nfp = fp;
            if (b.kind == BLOB_NMETHOD) {
                if (r->top_method != 0 || !unwind_compiled(&b, &npc, &nsp, &nfp, bottom)) break;
                r->top_method = b.method;
                r->top_type = compiled_type(b.level);
            } else if (b.kind == BLOB_INTERPRETER) {
                break;
            } else {
                if (r->num_native >= MAX_NATIVE || !unwind_stub(&b, &npc, &nsp, &nfp, bottom)) break;
                r->native[r->num_native++] = pc;
            }
            pc = npc;
            sp = nsp;
            fp = nfp;
            if (!vms_in_code_heap(pc)) break;
            REG_OF(&copy, REG_RIP) = (greg_t)pc;
            REG_OF(&copy, REG_RSP) = (greg_t)sp;
            REG_OF(&copy, REG_RBP) = (greg_t)fp;
            trace.num_frames = 0;
            agct(&trace, MAX_FRAMES, &copy);
        }
    }
    if (trace.num_frames < 0 && !in_java_code && r->num_native > 0) {
        /* A JavaThread of the JVM's own (a JIT compiler thread) that never entered Java: its
         * C++ stack is the whole story, not a failed walk. */
        uintptr_t asp, afp, apc;
        if (!vms_last_java_frame(env, &asp, &afp, &apc)) trace.num_frames = 0;
    }
    r->num_frames = trace.num_frames;
    if (trace.num_frames <= 0) return;
    if (in_java_code) {
        type_frames(r, pc, sp, fp, bottom);
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

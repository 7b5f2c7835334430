/*
 * The repair rules of the x86_64 walker: where AsyncGetCallTrace cannot start (a PC in a stub,
 * or in a compiled method before its frame is built or after it is torn down), the caller's
 * pc/sp/fp, read from the instructions at the PC and the blob's frame size. Each rule is a
 * pattern of HotSpot's generated code; what matches none is left unwalked, never guessed.
 */
#define _GNU_SOURCE
#include "walker_internal.h"

#if defined(__x86_64__)

#include <string.h>

/* An address in a compiled method or a stub right after a call instruction (call rel32, or
 * call reg as compiled code calls the VM's leaf functions): a return address, not some other
 * word. */
int is_return_into_java(uintptr_t ret) {
    vm_blob b;
    if (!vms_find_blob(ret, &b) || b.kind == BLOB_INTERPRETER || ret < b.code_begin + 5 || ret > b.code_end) return 0;
    const uint8_t *ip = (const uint8_t *)ret;
    return ip[-5] == 0xe8 || (ip[-2] == 0xff && (ip[-1] & 0xf8) == 0xd0);
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
int unwind_compiled(const vm_blob *b, uintptr_t *pc, uintptr_t *sp, uintptr_t *fp, uintptr_t bottom) {
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

/* The length of a "sub rsp, imm" at code (7 or 4 bytes), or a length no pc reaches. */
static uintptr_t sub_rsp_at(uintptr_t code) {
    const uint8_t *ip = (const uint8_t *)code;
    if (ip[0] != 0x48 || ip[2] != 0xec) return UINTPTR_MAX / 2;
    return ip[1] == 0x81 ? 7 : ip[1] == 0x83 ? 4 : UINTPTR_MAX / 2;
}

/* Caller of a stub. vtable/itable stubs and stubs at their first or last instruction have no
 * frame (the return address is at sp); most StubRoutines build one with push rbp; mov rbp, rsp;
 * runtime stubs have a fixed frame size. */
int unwind_stub(const vm_blob *b, uintptr_t *pc, uintptr_t *sp, uintptr_t *fp, uintptr_t bottom) {
    uintptr_t s = *sp, f = *fp;
    const uint8_t *ip = (const uint8_t *)*pc;
    int at_ret = *pc + 1 <= b->code_end && ip[0] == 0xc3;
    if (b->kind == BLOB_VTABLE || *pc == b->code_begin || at_ret) {
        if (!on_stack(s, 8, s, bottom)) return 0;
        *pc = slot(s);
        *sp = s + 8;
    } else if (*pc + 2 <= b->code_end && ip[0] == 0x5d && (ip[1] == 0xc3 || ip[1] == 0x49 || ip[1] == 0x4d)) {
        /* at the pop rbp of an epilogue (a C2 runtime stub after the VM call returned) */
        if (!on_stack(s, 16, s, bottom)) return 0;
        *fp = slot(s);
        *pc = slot(s + 8);
        *sp = s + 16;
    } else if (b->frame_size > 0 && strncmp(b->name, "StubRoutines", 12) != 0 &&
               (b->frame_complete >= 0 ? *pc >= b->code_begin + (uintptr_t)b->frame_complete
                                       : *pc >= b->code_begin + sub_rsp_at(b->code_begin))) {
        /* A fixed frame. C2's runtime stubs on JDK 21+ never declare it complete: it is once
         * the sub rsp they start with has run. */
        uintptr_t caller = s + (uintptr_t)b->frame_size * 8;
        if (!on_stack(caller - 16, 16, s, bottom)) return 0;
        *fp = slot(caller - 16);
        *pc = slot(caller - 8);
        *sp = caller;
    } else if (on_stack(f, 16, s, bottom) && vms_in_code_heap(slot(f + 8))) {
        /* A stub with an rbp frame: rbp points at the saved rbp, the return address above.
         * (Before its push rbp; mov rbp, rsp this is a caller's rbp and skips the compiled
         * caller: a known source of wrong stacks, ~3 % of C1 monitor-stub samples on JDK 17.) */
        *pc = slot(f + 8);
        *fp = slot(f);
        *sp = f + 16;
    } else if (on_stack(s, 8, s, bottom) && vms_in_code_heap(slot(s))) {
        *pc = slot(s);
        *sp = s + 8;
    } else {
        /* A stub without a frame of its own that pushed a few registers: the return address
         * is the first word that follows a call instruction in compiled code. */
        for (uintptr_t w = 1; w < 8; w++) {
            uintptr_t a = s + w * 8;
            if (!on_stack(a, 8, s, bottom)) return 0;
            if (is_return_into_java(slot(a))) {
                *pc = slot(a);
                *sp = a + 8;
                return 1;
            }
        }
        return 0;
    }
    return *pc >= 4096;
}

#endif

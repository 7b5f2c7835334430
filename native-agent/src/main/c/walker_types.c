/*
 * The tier of each Java frame (interpreted, C1, JIT, inlined) for the x86_64 walker:
 * AsyncGetCallTrace names the methods but not how they ran, so the physical frames from the
 * same point are walked alongside and matched to its frames one by one.
 */
#define _GNU_SOURCE
#include "walker_internal.h"

#if defined(__x86_64__)

/* Types AsyncGetCallTrace's frames by walking the physical frames from the same context: an
 * interpreted frame is one Java frame; a compiled frame is its method, preceded by the
 * methods inlined into it. Stops (leaving the rest untyped) wherever the two disagree. */
void type_frames(cprof_record *r, uintptr_t pc, uintptr_t sp, uintptr_t fp, uintptr_t bottom) {
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

#endif

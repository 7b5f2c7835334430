/*
 * HotSpot's exported structure tables, read once, and the lookups the stack walker makes in a
 * signal handler. Every read made from a handler is of memory that cannot go away under it:
 * the committed part of a code heap (bounds checked against the heap's VirtualSpace), the
 * interrupted thread's own stack and JavaThread. Metadata (Method, ConstMethod, Klass) is
 * read only by the collector, through safe_read.
 */
#define _GNU_SOURCE
#include "vmstructs.h"
#include "util.h"

#include <dlfcn.h>
#include <stdlib.h>
#include <link.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_HEAPS 8

/* A field of the tables: offset (or address of a static), and its type's size. */
typedef struct {
    int found;
    long offset;
    uintptr_t address;
    size_t size;
} vfield;

static int usable;
static int can_safe_read;
/* JDK 25 and older: a jmethodID is the address of a slot holding the Method* (JDK-8268406
 * made it an opaque number after that). */
static int jmethod_id_is_slot;

/* Code heaps: the CodeHeap objects, their VirtualSpaces read on every lookup (they grow). */
static uintptr_t heaps[MAX_HEAPS];
static int nheaps;
static long heap_memory_off, heap_segmap_off, vs_low_off, vs_high_off;
static int segment_shift;
static long block_used_off;

static vfield blob_name, blob_size, blob_frame_size, blob_frame_complete, blob_code_begin, blob_code_offset,
    blob_code_end;
static vfield nm_method, nm_level, nm_entry_point, nm_entry_offset;
static long anchor_off = -1, anchor_sp_off = -1, anchor_fp_off = -1, anchor_pc_off = -1;
static long env_offset = -1;   /* JNIEnv inside JavaThread */
static long state_off = -1;    /* JavaThread::_thread_state */
static long wrapper_anchor_off = -1;
static long entry_wrapper_off;  /* bytes from an entry frame's fp to its JavaCallWrapper* */
static int have_entry_wrapper;
static uintptr_t call_stub_return_addr; /* &StubRoutines::_call_stub_return_address */
static long method_constmethod_off = -1, constmethod_constants_off = -1, constmethod_idnum_off = -1,
    pool_holder_off = -1, jmethod_ids_off = -1;

/* libjvm's mapped range: a blob's name must point into it. */
static uintptr_t jvm_lo, jvm_hi;

static uintptr_t sym(void *h, const char *name) {
    void *p = dlsym(h, name);
    return p != NULL ? *(uintptr_t *)p : 0;
}

static struct {
    uintptr_t entry, stride, type, field, tname, is_static, offset, address;
} st;
static struct {
    uintptr_t entry, stride, name, size;
} ty;

static size_t type_size(const char *tname) {
    if (tname == NULL) return 0;
    size_t n = strlen(tname);
    if (n > 0 && tname[n - 1] == '*') return sizeof(void *);
    if (ty.entry == 0) return 0;
    for (uintptr_t e = ty.entry;; e += ty.stride) {
        const char *name = *(const char **)(e + ty.name);
        if (name == NULL) return 0;
        if (strcmp(name, tname) == 0) return (size_t) * (uint64_t *)(e + ty.size);
    }
}

static vfield field(const char *type, const char *name) {
    vfield f = {0, 0, 0, 0};
    if (st.entry == 0) return f;
    for (uintptr_t e = st.entry;; e += st.stride) {
        const char *t = *(const char **)(e + st.type);
        const char *n = *(const char **)(e + st.field);
        if (t == NULL || n == NULL) return f;
        if (strcmp(t, type) == 0 && strcmp(n, name) == 0) {
            f.found = 1;
            if (*(int32_t *)(e + st.is_static)) {
                f.address = *(uintptr_t *)(e + st.address);
            } else {
                f.offset = (long)*(uint64_t *)(e + st.offset);
            }
            f.size = type_size(*(const char **)(e + st.tname));
            return f;
        }
    }
}

static long offset_of(const char *type, const char *name) {
    vfield f = field(type, name);
    return f.found ? f.offset : -1;
}

static int int_constant(void *h, const char *name, long *out) {
    uintptr_t e = sym(h, "gHotSpotVMIntConstants");
    uintptr_t stride = sym(h, "gHotSpotVMIntConstantEntryArrayStride");
    uintptr_t noff = sym(h, "gHotSpotVMIntConstantEntryNameOffset");
    uintptr_t voff = sym(h, "gHotSpotVMIntConstantEntryValueOffset");
    if (e == 0 || stride == 0) return 0;
    for (;; e += stride) {
        const char *n = *(const char **)(e + noff);
        if (n == NULL) return 0;
        if (strcmp(n, name) == 0) {
            *out = *(int32_t *)(e + voff);
            return 1;
        }
    }
}

/* An integer field of the size the tables give (fields changed width between JDKs). */
static int64_t read_int(uintptr_t base, const vfield *f) {
    const void *p = (const void *)(base + (uintptr_t)f->offset);
    switch (f->size) {
    case 1: return *(const int8_t *)p;
    case 2: return *(const int16_t *)p;
    case 8: return *(const int64_t *)p;
    default: return *(const int32_t *)p;
    }
}

static int find_libjvm_range(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    uintptr_t probe = (uintptr_t)data;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo) lo = a;
        if (a + ph->p_memsz > hi) hi = a + ph->p_memsz;
    }
    if (probe >= lo && probe < hi) {
        jvm_lo = lo;
        jvm_hi = hi;
        return 1;
    }
    return 0;
}

int safe_read(uintptr_t addr, void *out, size_t n) {
    if (!can_safe_read || addr < 4096) return -1;
    struct iovec local = {out, n}, remote = {(void *)addr, n};
    return process_vm_readv(getpid(), &local, 1, &remote, 1, 0) == (ssize_t)n ? 0 : -1;
}

static int read_code_heaps(void) {
    vfield heaps_f = field("CodeCache", "_heaps");
    long len_off = offset_of("GrowableArrayBase", "_len");
    if (len_off < 0) len_off = offset_of("GenericGrowableArray", "_len");
    long data_off = offset_of("GrowableArray<int>", "_data");
    heap_memory_off = offset_of("CodeHeap", "_memory");
    heap_segmap_off = offset_of("CodeHeap", "_segmap");
    long shift_off = offset_of("CodeHeap", "_log2_segment_size");
    vs_low_off = offset_of("VirtualSpace", "_low");
    vs_high_off = offset_of("VirtualSpace", "_high");
    block_used_off = offset_of("HeapBlock::Header", "_used");
    if (!heaps_f.found || heaps_f.address == 0 || len_off < 0 || data_off < 0 || heap_memory_off < 0 ||
        heap_segmap_off < 0 || shift_off < 0 || vs_low_off < 0 || vs_high_off < 0 || block_used_off < 0) {
        return -1;
    }
    uintptr_t array = *(uintptr_t *)heaps_f.address;
    if (array == 0) return -1;
    int n = *(int32_t *)(array + (uintptr_t)len_off);
    uintptr_t *data = *(uintptr_t **)(array + (uintptr_t)data_off);
    if (n <= 0 || n > MAX_HEAPS || data == NULL) return -1;
    for (int i = 0; i < n; i++) heaps[i] = data[i];
    nheaps = n;
    segment_shift = *(int32_t *)(heaps[0] + (uintptr_t)shift_off);
    return segment_shift > 0 && segment_shift <= 16 ? 0 : -1;
}

int vms_init(jvmtiEnv *jvmti, JNIEnv *jni) {
    static int done;
    if (done) return usable ? 0 : -1;
    done = 1;
    void *h = dlopen("libjvm.so", RTLD_LAZY | RTLD_NOLOAD);
    if (h == NULL) {
        cprof_log("stack walker: libjvm not found; AsyncGetCallTrace alone");
        return -1;
    }
    st.entry = sym(h, "gHotSpotVMStructs");
    st.stride = sym(h, "gHotSpotVMStructEntryArrayStride");
    st.type = sym(h, "gHotSpotVMStructEntryTypeNameOffset");
    st.field = sym(h, "gHotSpotVMStructEntryFieldNameOffset");
    st.tname = sym(h, "gHotSpotVMStructEntryTypeStringOffset");
    st.is_static = sym(h, "gHotSpotVMStructEntryIsStaticOffset");
    st.offset = sym(h, "gHotSpotVMStructEntryOffsetOffset");
    st.address = sym(h, "gHotSpotVMStructEntryAddressOffset");
    ty.entry = sym(h, "gHotSpotVMTypes");
    ty.stride = sym(h, "gHotSpotVMTypeEntryArrayStride");
    ty.name = sym(h, "gHotSpotVMTypeEntryTypeNameOffset");
    ty.size = sym(h, "gHotSpotVMTypeEntrySizeOffset");
    void *any = dlsym(h, "gHotSpotVMStructs");
    if (any != NULL) dl_iterate_phdr(find_libjvm_range, any);

    char *spec = NULL;
    if (jvmti != NULL && (*jvmti)->GetSystemProperty(jvmti, "java.vm.specification.version", &spec) == JVMTI_ERROR_NONE) {
        int major = atoi(spec);
        jmethod_id_is_slot = major >= 9 && major <= 25;
        (*jvmti)->Deallocate(jvmti, (unsigned char *)spec);
    }

    char probe[8], src[8] = "cprof";
    can_safe_read = 1;
    if (safe_read((uintptr_t)src, probe, sizeof probe) != 0) can_safe_read = 0;

    blob_name = field("CodeBlob", "_name");
    blob_size = field("CodeBlob", "_size");
    blob_frame_size = field("CodeBlob", "_frame_size");
    blob_frame_complete = field("CodeBlob", "_frame_complete_offset");
    blob_code_begin = field("CodeBlob", "_code_begin");   /* JDK 17, 21: a pointer */
    blob_code_end = field("CodeBlob", "_code_end");
    blob_code_offset = field("CodeBlob", "_code_offset"); /* JDK 23+: offsets from the blob */
    nm_method = field("CompiledMethod", "_method");
    if (!nm_method.found) nm_method = field("nmethod", "_method");
    nm_level = field("nmethod", "_comp_level");
    nm_entry_point = field("nmethod", "_verified_entry_point");
    nm_entry_offset = field("nmethod", "_verified_entry_offset");
    anchor_off = offset_of("JavaThread", "_anchor");
    state_off = offset_of("JavaThread", "_thread_state");
    anchor_sp_off = offset_of("JavaFrameAnchor", "_last_Java_sp");
    anchor_fp_off = offset_of("JavaFrameAnchor", "_last_Java_fp");
    anchor_pc_off = offset_of("JavaFrameAnchor", "_last_Java_pc");
    wrapper_anchor_off = offset_of("JavaCallWrapper", "_anchor");
    vfield csr = field("StubRoutines", "_call_stub_return_address");
    call_stub_return_addr = csr.found ? csr.address : 0;
    long words;
    if (int_constant(h, "frame::entry_frame_call_wrapper_offset", &words)) {
        entry_wrapper_off = words * (long)sizeof(void *);
        have_entry_wrapper = 1;
    }
    method_constmethod_off = offset_of("Method", "_constMethod");
    constmethod_constants_off = offset_of("ConstMethod", "_constants");
    constmethod_idnum_off = offset_of("ConstMethod", "_method_idnum");
    pool_holder_off = offset_of("ConstantPool", "_pool_holder");
    jmethod_ids_off = offset_of("InstanceKlass", "_methods_jmethod_ids");

    /* The JNIEnv is embedded in the JavaThread: its offset, from this thread's two addresses. */
    if (jni != NULL) {
        jclass tc = (*jni)->FindClass(jni, "java/lang/Thread");
        jfieldID eetop = tc != NULL ? (*jni)->GetFieldID(jni, tc, "eetop", "J") : NULL;
        jmethodID current = tc != NULL ? (*jni)->GetStaticMethodID(jni, tc, "currentThread", "()Ljava/lang/Thread;") : NULL;
        if (eetop != NULL && current != NULL) {
            jobject t = (*jni)->CallStaticObjectMethod(jni, tc, current);
            if (t != NULL) {
                uintptr_t thread = (uintptr_t)(*jni)->GetLongField(jni, t, eetop);
                if (thread != 0 && (uintptr_t)jni > thread && (uintptr_t)jni - thread < 65536) {
                    env_offset = (long)((uintptr_t)jni - thread);
                }
                (*jni)->DeleteLocalRef(jni, t);
            }
        }
        if ((*jni)->ExceptionCheck(jni)) (*jni)->ExceptionClear(jni);
        if (tc != NULL) (*jni)->DeleteLocalRef(jni, tc);
    }

    int code_ok = (blob_code_begin.found || blob_code_offset.found) && blob_name.found && blob_size.found &&
                  blob_frame_size.found && blob_frame_complete.found && nm_method.found && jvm_hi > jvm_lo;
    if (!code_ok || read_code_heaps() != 0) {
        cprof_log("stack walker: this JVM's layout is unknown to cprof; AsyncGetCallTrace alone");
        return -1;
    }
    usable = 1;
    return 0;
}

int vms_usable(void) {
    return usable;
}

static uintptr_t vs_bound(uintptr_t heap, long vs, long which) {
    return *(volatile uintptr_t *)(heap + (uintptr_t)vs + (uintptr_t)which);
}

int vms_in_code_heap(uintptr_t pc) {
    for (int i = 0; i < nheaps; i++) {
        if (pc >= vs_bound(heaps[i], heap_memory_off, vs_low_off) && pc < vs_bound(heaps[i], heap_memory_off, vs_high_off)) {
            return 1;
        }
    }
    return 0;
}

static int name_is(const char *name, const char *prefix) {
    return strncmp(name, prefix, strlen(prefix)) == 0;
}

int vms_find_blob(uintptr_t pc, vm_blob *out) {
    if (!usable) return 0;
    for (int i = 0; i < nheaps; i++) {
        uintptr_t heap = heaps[i];
        uintptr_t lo = vs_bound(heap, heap_memory_off, vs_low_off), hi = vs_bound(heap, heap_memory_off, vs_high_off);
        if (pc < lo || pc >= hi) continue;
        /* The segment map: one byte per segment, 0xff = free, else the distance (in segments,
         * at most 0xfe per step) back towards the block's first segment, which has 0. */
        const uint8_t *segmap = (const uint8_t *)vs_bound(heap, heap_segmap_off, vs_low_off);
        uintptr_t seg_hi = vs_bound(heap, heap_segmap_off, vs_high_off);
        uintptr_t idx = (pc - lo) >> segment_shift;
        if (segmap == NULL || (uintptr_t)segmap + idx >= seg_hi || segmap[idx] == 0xff) return 0;
        for (int steps = 0; segmap[idx] > 0; steps++) {
            if (segmap[idx] > idx || steps > 1 << 20) return 0;
            idx -= segmap[idx];
        }
        uintptr_t block = lo + (idx << segment_shift);
        if (*(const uint8_t *)(block + (uintptr_t)block_used_off) == 0) return 0;
        /* The blob follows the block header (a size and a used flag), word aligned. */
        uintptr_t blob = (block + (uintptr_t)block_used_off + 1 + sizeof(void *) - 1) & ~(uintptr_t)(sizeof(void *) - 1);
        if (blob >= pc || blob + 64 > hi) return 0;
        const char *name = *(const char *const *)(blob + (uintptr_t)blob_name.offset);
        if ((uintptr_t)name < jvm_lo || (uintptr_t)name >= jvm_hi) return 0;
        int64_t size = read_int(blob, &blob_size);
        if (size <= 0 || blob + (uintptr_t)size > hi || pc >= blob + (uintptr_t)size) return 0;
        out->start = blob;
        out->name = name;
        if (blob_code_offset.found) {
            out->code_begin = blob + (uintptr_t)read_int(blob, &blob_code_offset);
            out->code_end = blob + (uintptr_t)size;
        } else {
            out->code_begin = *(const uintptr_t *)(blob + (uintptr_t)blob_code_begin.offset);
            out->code_end = blob_code_end.found ? *(const uintptr_t *)(blob + (uintptr_t)blob_code_end.offset) : blob + (uintptr_t)size;
        }
        out->frame_size = (int32_t)read_int(blob, &blob_frame_size);
        out->frame_complete = (int32_t)read_int(blob, &blob_frame_complete);
        out->method = 0;
        out->level = 0;
        out->entry = out->code_begin;
        if (strcmp(name, "nmethod") == 0 || strcmp(name, "native nmethod") == 0) {
            out->kind = BLOB_NMETHOD;
            out->method = *(const uintptr_t *)(blob + (uintptr_t)nm_method.offset);
            if (nm_level.found) out->level = (int)read_int(blob, &nm_level);
            if (nm_entry_point.found) {
                out->entry = *(const uintptr_t *)(blob + (uintptr_t)nm_entry_point.offset);
            } else if (nm_entry_offset.found) {
                out->entry = out->code_begin + (uint16_t)read_int(blob, &nm_entry_offset);
            }
        } else if (strcmp(name, "Interpreter") == 0) {
            out->kind = BLOB_INTERPRETER;
        } else if (name_is(name, "vtable chunks")) {
            out->kind = BLOB_VTABLE;
        } else {
            out->kind = BLOB_OTHER;
        }
        return 1;
    }
    return 0;
}

int vms_last_java_frame(JNIEnv *env, uintptr_t *sp, uintptr_t *fp, uintptr_t *pc) {
    if (env_offset < 0 || anchor_off < 0 || anchor_sp_off < 0 || anchor_pc_off < 0 || anchor_fp_off < 0) return 0;
    uintptr_t anchor = (uintptr_t)env - (uintptr_t)env_offset + (uintptr_t)anchor_off;
    *sp = *(volatile uintptr_t *)(anchor + (uintptr_t)anchor_sp_off);
    *fp = *(volatile uintptr_t *)(anchor + (uintptr_t)anchor_fp_off);
    *pc = *(volatile uintptr_t *)(anchor + (uintptr_t)anchor_pc_off);
    return *sp != 0;
}

int vms_thread_state(JNIEnv *env) {
    if (env_offset < 0 || state_off < 0) return -1;
    return *(volatile int *)((uintptr_t)env - (uintptr_t)env_offset + (uintptr_t)state_off);
}

void vms_set_last_java_frame(JNIEnv *env, uintptr_t sp, uintptr_t fp, uintptr_t pc) {
    if (env_offset < 0 || anchor_off < 0 || anchor_sp_off < 0 || anchor_fp_off < 0 || anchor_pc_off < 0) return;
    uintptr_t anchor = (uintptr_t)env - (uintptr_t)env_offset + (uintptr_t)anchor_off;
    *(volatile uintptr_t *)(anchor + (uintptr_t)anchor_sp_off) = sp;
    *(volatile uintptr_t *)(anchor + (uintptr_t)anchor_fp_off) = fp;
    *(volatile uintptr_t *)(anchor + (uintptr_t)anchor_pc_off) = pc;
}

uintptr_t vms_call_stub_return(void) {
    return call_stub_return_addr != 0 ? *(volatile uintptr_t *)call_stub_return_addr : 0;
}

static int in_range(uintptr_t p, size_t n, uintptr_t lo, uintptr_t hi) {
    return p >= lo && p + n <= hi && (p & 7) == 0;
}

int vms_entry_frame_anchor(uintptr_t fp, uintptr_t lo, uintptr_t hi, uintptr_t *sp, uintptr_t *afp, uintptr_t *pc) {
    if (!have_entry_wrapper || wrapper_anchor_off < 0 || anchor_sp_off < 0) return 0;
    uintptr_t slot = fp + (uintptr_t)entry_wrapper_off;
    if (!in_range(slot, sizeof(uintptr_t), lo, hi)) return 0;
    uintptr_t anchor = *(const uintptr_t *)slot + (uintptr_t)wrapper_anchor_off;
    /* The call wrapper is a local of JavaCalls::call_helper, on this stack. */
    if (!in_range(anchor + (uintptr_t)anchor_sp_off, 8, lo, hi) || !in_range(anchor + (uintptr_t)anchor_fp_off, 8, lo, hi) ||
        !in_range(anchor + (uintptr_t)anchor_pc_off, 8, lo, hi)) {
        return 0;
    }
    *sp = *(const uintptr_t *)(anchor + (uintptr_t)anchor_sp_off);
    *afp = *(const uintptr_t *)(anchor + (uintptr_t)anchor_fp_off);
    *pc = *(const uintptr_t *)(anchor + (uintptr_t)anchor_pc_off);
    return *sp != 0;
}

jmethodID vms_method_id(uintptr_t method) {
    uintptr_t cm, cp, holder, ids;
    uint16_t idnum;
    if (method == 0 || method_constmethod_off < 0 || constmethod_constants_off < 0 || constmethod_idnum_off < 0 ||
        pool_holder_off < 0 || jmethod_ids_off < 0) {
        return NULL;
    }
    if (safe_read(method + (uintptr_t)method_constmethod_off, &cm, sizeof cm) != 0 ||
        safe_read(cm + (uintptr_t)constmethod_constants_off, &cp, sizeof cp) != 0 ||
        safe_read(cm + (uintptr_t)constmethod_idnum_off, &idnum, sizeof idnum) != 0 ||
        safe_read(cp + (uintptr_t)pool_holder_off, &holder, sizeof holder) != 0 ||
        safe_read(holder + (uintptr_t)jmethod_ids_off, &ids, sizeof ids) != 0 || ids == 0) {
        return NULL;
    }
    uintptr_t count, id;
    if (safe_read(ids, &count, sizeof count) != 0 || idnum >= count ||
        safe_read(ids + sizeof(uintptr_t) * (1 + (uintptr_t)idnum), &id, sizeof id) != 0) {
        return NULL;
    }
    /* Where a jmethodID points at its Method*, check it (a stale Method* reads garbage). */
    uintptr_t back;
    if (id != 0 && jmethod_id_is_slot && (safe_read(id, &back, sizeof back) != 0 || back != method)) return NULL;
    return (jmethodID)id;
}

uintptr_t vms_method_of_fast(jmethodID id) {
    return id != NULL && jmethod_id_is_slot ? *(const volatile uintptr_t *)id : 0;
}

uintptr_t vms_method_of(jmethodID id) {
    uintptr_t m;
    return id != NULL && jmethod_id_is_slot && safe_read((uintptr_t)id, &m, sizeof m) == 0 ? m : 0;
}

/*
 * One record into one sample (see resolve.h). A record holds what the producer could read
 * safely: jmethodIDs and BCIs, PCs, a tid, an allocated type's signature. Here each becomes a
 * frame id, root first: thread, Java frames (named once per jmethodID through the cache),
 * the allocated type, native and stub frames, the thread state. A frame that cannot be
 * interned (a dictionary is full) loses the sample, counted in dropped.other.
 */
#define _GNU_SOURCE
#include "resolve.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jvmti_events.h"
#include "protocol.h"
#include "stubs.h"
#include "symbols.h"
#include "vm.h"
#include "vmstructs.h"

static char *(*demangle)(const char *, char *, size_t *, int *);

void resolve_init(void) {
    if (demangle == NULL) {
        demangle = (char *(*)(const char *, char *, size_t *, int *))dlsym(RTLD_DEFAULT, "__cxa_demangle");
    }
}

void resolver_free(resolver *rs) {
    kmap_clear(&rs->methods);
    kmap_clear(&rs->method_names);
    kmap_clear(&rs->natives);
    kmap_clear(&rs->thread_frames);
}

/* "Lcom/foo/Bar$Baz;" -> "com.foo.Bar$Baz", "[B" -> "byte[]"; hidden-class suffixes
 * ("/0x0123..." or ".0x0123...") are cut so names are stable across JVMs. */
static void class_name(const char *sig, char *out, size_t n) {
    int dims = 0;
    size_t o = 0;
    while (*sig == '[') {
        dims++;
        sig++;
    }
    const char *prim = NULL;
    switch (*sig) {
    case 'B': prim = "byte"; break;
    case 'C': prim = "char"; break;
    case 'D': prim = "double"; break;
    case 'F': prim = "float"; break;
    case 'I': prim = "int"; break;
    case 'J': prim = "long"; break;
    case 'S': prim = "short"; break;
    case 'Z': prim = "boolean"; break;
    case 'V': prim = "void"; break;
    default: break;
    }
    if (prim != NULL) {
        o = (size_t)snprintf(out, n, "%s", prim);
    } else {
        if (*sig == 'L') sig++;
        for (; *sig && *sig != ';' && o + 1 < n; sig++) {
            if ((sig[0] == '/' || sig[0] == '.') && sig[1] == '0' && sig[2] == 'x') break;
            out[o++] = *sig == '/' ? '.' : *sig;
        }
        out[o] = '\0';
    }
    for (int i = 0; i < dims && o + 3 < n; i++) {
        out[o++] = '[';
        out[o++] = ']';
        out[o] = '\0';
    }
}

static uint32_t method_name(resolver *rs, jmethodID m) {
    uint64_t v;
    if (kmap_get(&rs->method_names, (uint64_t)(uintptr_t)m, 0, &v)) return (uint32_t)v;
    jvmtiEnv *jvmti = g_agent.jvmti;
    char buf[1024];
    jclass cls = NULL;
    char *csig = NULL, *mname = NULL;
    /* A method of an unloaded class has an invalid id: JVMTI reports it, we name it. */
    if (m == NULL) {
        snprintf(buf, sizeof buf, "[unknown_method]");
    } else if ((*jvmti)->GetMethodDeclaringClass(jvmti, m, &cls) != JVMTI_ERROR_NONE || cls == NULL) {
        snprintf(buf, sizeof buf, "[unloaded_method]");
    } else if ((*jvmti)->GetClassSignature(jvmti, cls, &csig, NULL) != JVMTI_ERROR_NONE ||
               (*jvmti)->GetMethodName(jvmti, m, &mname, NULL, NULL) != JVMTI_ERROR_NONE) {
        snprintf(buf, sizeof buf, "[unloaded_method]");
    } else {
        char cname[768];
        class_name(csig, cname, sizeof cname);
        snprintf(buf, sizeof buf, "%s.%s", cname, mname);
    }
    if (csig != NULL) (*jvmti)->Deallocate(jvmti, (unsigned char *)csig);
    if (mname != NULL) (*jvmti)->Deallocate(jvmti, (unsigned char *)mname);
    if (cls != NULL && rs->jni != NULL) (*rs->jni)->DeleteLocalRef(rs->jni, cls);
    uint32_t id = intern_string(rs->d, buf, strlen(buf));
    if (id != DICT_NONE) kmap_put(&rs->method_names, (uint64_t)(uintptr_t)m, 0, id);
    return id;
}

static uint32_t line_of(jmethodID m, jint bci) {
    jvmtiEnv *jvmti = g_agent.jvmti;
    jint count = 0;
    jvmtiLineNumberEntry *table = NULL;
    uint32_t line = 0;
    if (m == NULL || bci < 0 || !g_agent.have_lines_cap ||
        (*jvmti)->GetLineNumberTable(jvmti, m, &count, &table) != JVMTI_ERROR_NONE) {
        return 0;
    }
    jlocation best = -1;
    for (jint i = 0; i < count; i++) {
        if (table[i].start_location <= bci && table[i].start_location > best) {
            best = table[i].start_location;
            line = (uint32_t)table[i].line_number;
        }
    }
    (*jvmti)->Deallocate(jvmti, (unsigned char *)table);
    return line;
}

static uint32_t java_frame(resolver *rs, jmethodID m, jint bci, uint32_t type) {
    uint64_t v;
    uint64_t k2 = (rs->o->lines ? (uint64_t)(uint32_t)bci + 1 : 0) | (uint64_t)type << 40;
    if (kmap_get(&rs->methods, (uint64_t)(uintptr_t)m, k2, &v)) return (uint32_t)v;
    uint32_t name = method_name(rs, m);
    /* "[unloaded_method]", "[unknown_method]": the agent's markers, pseudo frames like the
     * AGCT error names (a Java frame's name never starts with '['). */
    if (name != DICT_NONE && rs->d->sbytes[rs->d->strs[name].off] == '[') {
        uint32_t f = intern_frame(rs->d, name, KIND_PSEUDO, 0, FTYPE_NONE);
        if (f != DICT_NONE) kmap_put(&rs->methods, (uint64_t)(uintptr_t)m, k2, f);
        return f;
    }
    uint32_t f = intern_frame(rs->d, name, KIND_JAVA, rs->o->lines ? line_of(m, bci) : 0, type);
    if (f != DICT_NONE) kmap_put(&rs->methods, (uint64_t)(uintptr_t)m, k2, f);
    return f;
}

/* The interrupted PC by symbol (dladdr runs here, in the collector, never in the handler).
 * JIT-compiled and interpreted code is in no shared object: no frame. */
static uint32_t native_frame(resolver *rs, uintptr_t pc) {
    Dl_info info, self;
    uint64_t v;
    if (pc == 0 || dladdr((void *)pc, &info) == 0 || info.dli_fname == NULL) return DICT_NONE;
    const char *sname = info.dli_sname;
    uintptr_t key = sname != NULL ? (uintptr_t)info.dli_saddr : (uintptr_t)info.dli_fbase;
    /* Not exported: the function in the object's .symtab, its name read once per session. */
    int in_symtab = sname == NULL && symbols_function(info.dli_fname, (uintptr_t)info.dli_fbase, pc, &key);
    if (kmap_get(&rs->natives, key, 0, &v)) return (uint32_t)v;
    char sym[1024];
    if (in_symtab && symbols_name(info.dli_fname, (uintptr_t)info.dli_fbase, key, sym, sizeof sym)) {
        sname = sym;
    }
    char buf[1024];
    if (dladdr((void *)native_frame, &self) != 0 && self.dli_fbase == info.dli_fbase) {
        /* This agent's own code (a JVMTI callback such as ClassPrepare running on the
         * sampled thread): one honest name, not a hash-named library. */
        snprintf(buf, sizeof buf, "[cprof]");
        uint32_t f = named_frame(rs->d, buf, KIND_PSEUDO);
        if (f != DICT_NONE) kmap_put(&rs->natives, key, 0, f);
        return f;
    }
    if (sname != NULL) {
        char *d = NULL;
        int status = -1;
        if (demangle_simple(sname, buf, sizeof buf)) {
            /* scope::function, whether or not the JVM has a __cxa_demangle */
        } else if (demangle != NULL && sname[0] == '_' && sname[1] == 'Z' && (d = demangle(sname, NULL, NULL, &status)) != NULL && status == 0) {
            snprintf(buf, sizeof buf, "%s", d);
        } else {
            snprintf(buf, sizeof buf, "%s", sname);
        }
        free(d);
    } else {
        const char *base = strrchr(info.dli_fname, '/');
        snprintf(buf, sizeof buf, "[%s]", base != NULL ? base + 1 : info.dli_fname);
    }
    uint32_t f = named_frame(rs->d, buf, KIND_NATIVE);
    if (f != DICT_NONE) kmap_put(&rs->natives, key, 0, f);
    return f;
}

/* A PC in the JVM's code heap above the Java frames: a stub, by its JVMTI name or else its
 * code blob's. DICT_NONE when it is neither (compiled code is named by AsyncGetCallTrace). */
static uint32_t stub_frame(resolver *rs, uintptr_t pc) {
    char name[128];
    uintptr_t start;
    uint64_t v;
    if (!stubs_find(pc, &start, name, sizeof name)) {
        vm_blob b;
        if (!vms_find_blob(pc, &b) || b.kind == BLOB_NMETHOD) return DICT_NONE;
        start = b.start;
        snprintf(name, sizeof name, "%s", b.name);
    }
    if (kmap_get(&rs->natives, start, 0, &v)) return (uint32_t)v;
    uint32_t f = intern_frame(rs->d, intern_string(rs->d, name, strlen(name)), KIND_NATIVE, 0, FTYPE_STUB);
    if (f != DICT_NONE) kmap_put(&rs->natives, start, 0, f);
    return f;
}

static uint32_t thread_frame(resolver *rs, int tid) {
    uint64_t v;
    if (kmap_get(&rs->thread_frames, (uint64_t)tid, 0, &v)) return (uint32_t)v;
    char name[128], buf[160];
    if (thread_name_of(tid, name, sizeof name) != 0) {
        snprintf(name, sizeof name, "tid=%d", tid);
    }
    snprintf(buf, sizeof buf, "[%s]", name);
    uint32_t f = named_frame(rs->d, buf, KIND_PSEUDO);
    if (f != DICT_NONE) kmap_put(&rs->thread_frames, (uint64_t)tid, 0, f);
    return f;
}

static const char *agct_error_name(int code) {
    switch (code) {
    case 0: return "[no_Java_frame]";
    case -1: return "[no_class_load]";
    case -2: return "[gc]";
    case -3: return "[unknown_not_Java]";
    case -4: return "[not_walkable_not_Java]";
    case -5: return "[unknown_Java]";
    case -6: return "[not_walkable_Java]";
    case -7: return "[unknown_state]";
    case -8: return "[thread_exit]";
    case -9: return "[deopt]";
    case -10: return "[safepoint]";
    default: return "[unknown_error]";
    }
}

static const char *state_name(uint8_t state) {
    switch (state) {
    case STATE_RUNNING: return "[running]";
    case STATE_SLEEPING: return "[sleeping]";
    case STATE_WAITING: return "[waiting]";
    case STATE_OTHER: return "[other_state]";
    default: return NULL;
    }
}

/* One record -> one stack (root first) -> one aggregated sample. */
void resolve_record(const cprof_record *r, void *arg) {
    resolver *rs = arg;
    uint32_t ids[MAX_FRAMES + MAX_NATIVE + 8];
    uint32_t n = 0;
    int bad = 0;
    if (r->event == 0) return; /* a producer's "nothing to record" */
#define PUSH(f) do { uint32_t f_ = (f); if (f_ == DICT_NONE) bad = 1; else ids[n++] = f_; } while (0)
    if (rs->o->threads || r->non_java) {
        PUSH(thread_frame(rs, r->tid));
    }
    if (r->non_java) {
        if (r->num_native == 0) PUSH(named_frame(rs->d, "[jvm_internal]", KIND_PSEUDO));
    } else if (r->num_frames <= 0) {
        /* No Java frame. A JVM thread that runs none (compiler, service threads) is shown by
         * its native stack alone; otherwise the walk failed: kept, as a pseudo frame naming
         * why, counted so the client can tell how much of the profile has no Java stack, but
         * these samples are NOT lost. */
        if (r->num_frames < 0 || r->num_native == 0) {
            if (r->event == EV_CPU || r->event == EV_WALL) rs->unwalkable++;
            PUSH(named_frame(rs->d, agct_error_name(r->num_frames), KIND_PSEUDO));
        }
    } else {
        int nf = r->num_frames > MAX_FRAMES ? MAX_FRAMES : r->num_frames;
        if (nf == MAX_FRAMES) PUSH(named_frame(rs->d, "[truncated]", KIND_PSEUDO));
        for (int i = nf - 1; i >= 0; i--) {
            PUSH(java_frame(rs, r->frames[i].method_id, r->frames[i].lineno, r->ftype[i]));
        }
    }
    if (r->top_method != 0) {
        /* A compiled method interrupted in its prologue or epilogue, unwound by the walker. */
        jmethodID m = vms_method_id(r->top_method);
        if (m != NULL) PUSH(java_frame(rs, m, -1, r->top_type));
    }
    if (r->type_name[0] != '\0' && r->event == EV_JDBC) {
        /* jdbc: the label's lines (the statement, then a failed call's exception) as pseudo frames */
        for (const char *p = r->type_name; *p != '\0';) {
            char line[TYPE_NAME_LEN];
            size_t len = strcspn(p, "\n");
            memcpy(line, p, len);
            line[len] = '\0';
            PUSH(named_frame(rs->d, line, KIND_PSEUDO));
            p += len + (p[len] == '\n');
        }
    } else if (r->type_name[0] != '\0') {
        char cname[256];
        class_name(r->type_name, cname, sizeof cname);
        PUSH(named_frame(rs->d, cname, KIND_JAVA));
    }
    for (int i = r->num_native - 1; i >= 0; i--) {
        /* Native and stub frames: a PC that names nothing (JIT code, an unknown object) is
         * left out rather than shown as a made-up frame. */
        uintptr_t pc = r->native[i];
        uint32_t f = vms_in_code_heap(pc) ? stub_frame(rs, pc) : native_frame(rs, pc);
        if (f != DICT_NONE) ids[n++] = f;
    }
    if (r->state != STATE_NONE) {
        PUSH(named_frame(rs->d, state_name(r->state), KIND_PSEUDO)); /* leaf: thread state */
    }
#undef PUSH
    uint32_t stack = bad ? DICT_NONE : intern_stack(rs->d, ids, n);
    if (stack == DICT_NONE) {
        rs->other++; /* a dictionary is full */
        return;
    }
    if (add_sample(rs->d, stack, r->event, r->weight) != 0) rs->other++;
}

/*
 * Function names of shared objects from their .symtab. dladdr sees only .dynsym, and libjvm
 * exports about 200 of its 57,000 functions: without this, every PC in the JVM's own C++ code
 * (GC, JIT compiler, runtime) is "[libjvm.so]". Used by the collector only, never in a signal
 * handler. Each object is read once per agent lifetime into a sorted array of its functions
 * (~16 bytes each); the file is unmapped again and a name is read from it when first needed
 * (the collector caches names per session), so the target's RSS keeps only the array.
 */
#define _GNU_SOURCE
#include "symbols.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_OBJECTS 64                 /* objects with a .symtab we keep; later ones: dladdr only */
#define MAX_FILE_BYTES (512u << 20)    /* a larger object is not read */

typedef struct {
    uintptr_t start;  /* run-time address */
    uint32_t size;
    uint32_t name;    /* offset in the mapped string table */
} fn_symbol;

typedef struct {
    uintptr_t base;   /* dli_fbase of the object */
    char *path;
    off_t strtab_off; /* the string table in the file */
    size_t strtab_len;
    fn_symbol *fns;
    size_t n;
} object_symbols;

static object_symbols objects[MAX_OBJECTS];
static size_t n_objects;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static int by_start(const void *a, const void *b) {
    uintptr_t x = ((const fn_symbol *)a)->start, y = ((const fn_symbol *)b)->start;
    return x < y ? -1 : x > y;
}

/* Reads the functions of .symtab; 0 if the object has none (stripped) or is not a usable ELF. */
static int load(object_symbols *o, const char *path, uintptr_t base) {
    memset(o, 0, sizeof *o);
    o->base = base;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)sizeof(Elf64_Ehdr) || (uint64_t)st.st_size > MAX_FILE_BYTES) {
        close(fd);
        return 0;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return 0;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff == 0 || eh->e_shoff > len ||
        eh->e_shnum > (len - eh->e_shoff) / sizeof(Elf64_Shdr) ||
        eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > len ||
        eh->e_phnum > (len - eh->e_phoff) / sizeof(Elf64_Phdr)) {
        munmap(m, len);
        return 0;
    }
    /* Symbol values are link-time addresses; the object was mapped from its first PT_LOAD. */
    uintptr_t first_vaddr = UINTPTR_MAX;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(m + eh->e_phoff);
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < first_vaddr) first_vaddr = ph[i].p_vaddr & ~(uintptr_t)0xfff;
    }
    const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
    const Elf64_Shdr *symtab = NULL;
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type == SHT_SYMTAB) symtab = &sh[i];
    }
    if (first_vaddr == UINTPTR_MAX || symtab == NULL || symtab->sh_link >= eh->e_shnum ||
        symtab->sh_entsize != sizeof(Elf64_Sym) || symtab->sh_offset > len || symtab->sh_size > len - symtab->sh_offset) {
        munmap(m, len);
        return 0;
    }
    const Elf64_Shdr *strs = &sh[symtab->sh_link];
    if (strs->sh_offset > len || strs->sh_size > len - strs->sh_offset || strs->sh_size == 0) {
        munmap(m, len);
        return 0;
    }
    const Elf64_Sym *syms = (const Elf64_Sym *)(m + symtab->sh_offset);
    size_t count = symtab->sh_size / sizeof(Elf64_Sym), n = 0;
    fn_symbol *fns = malloc((count ? count : 1) * sizeof *fns);
    if (fns == NULL) {
        munmap(m, len);
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        const Elf64_Sym *s = &syms[i];
        if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_value == 0 || s->st_shndx == SHN_UNDEF ||
            s->st_name >= strs->sh_size || s->st_value < first_vaddr) {
            continue;
        }
        fns[n].start = base + (uintptr_t)(s->st_value - first_vaddr);
        fns[n].size = s->st_size > UINT32_MAX ? UINT32_MAX : (uint32_t)s->st_size;
        fns[n].name = (uint32_t)s->st_name;
        n++;
    }
    if (n == 0) {
        free(fns);
        munmap(m, len);
        return 0;
    }
    fn_symbol *fit = realloc(fns, n * sizeof *fns); /* give back the part for other symbols */
    if (fit != NULL) fns = fit;
    qsort(fns, n, sizeof *fns, by_start);
    o->path = strdup(path);
    if (o->path == NULL) {
        free(fns);
        munmap(m, len);
        return 0;
    }
    o->strtab_off = (off_t)strs->sh_offset;
    o->strtab_len = strs->sh_size;
    o->fns = fns;
    o->n = n;
    munmap(m, len);
    return 1;
}

/* The NUL-terminated name at offset name of the object's string table, read from its file. */
static int read_name(const object_symbols *o, uint32_t name, char *out, size_t out_n) {
    if (name >= o->strtab_len || out_n < 2) return 0;
    size_t want = o->strtab_len - name < out_n - 1 ? o->strtab_len - name : out_n - 1;
    int fd = open(o->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t got = pread(fd, out, want, o->strtab_off + (off_t)name);
    close(fd);
    if (got <= 0) return 0;
    size_t len = strnlen(out, (size_t)got);
    if (len == 0 || len == (size_t)got) return 0; /* empty, or longer than out: not used */
    return 1;
}

static object_symbols *object_for(const char *path, uintptr_t base) {
    for (size_t i = 0; i < n_objects; i++) {
        if (objects[i].base == base) return objects[i].n ? &objects[i] : NULL;
    }
    if (n_objects == MAX_OBJECTS) return NULL;
    object_symbols *o = &objects[n_objects++];
    load(o, path, base); /* a failed load stays in the table (n = 0): tried once */
    return o->n ? o : NULL;
}

void symbols_preload(const void *addr) {
    Dl_info info;
    if (addr == NULL || dladdr(addr, &info) == 0 || info.dli_fname == NULL) return;
    pthread_mutex_lock(&lock);
    object_for(info.dli_fname, (uintptr_t)info.dli_fbase);
    pthread_mutex_unlock(&lock);
}

/* The function containing pc, or NULL. */
static const fn_symbol *function_at(const object_symbols *o, uintptr_t pc) {
    if (pc < o->fns[0].start) return NULL;
    size_t lo = 0, hi = o->n; /* the last function starting at or before pc */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (o->fns[mid].start <= pc) lo = mid;
        else hi = mid;
    }
    const fn_symbol *f = &o->fns[lo];
    return pc < f->start + (f->size ? f->size : 1) ? f : NULL;
}

int symbols_function(const char *path, uintptr_t base, uintptr_t pc, uintptr_t *start) {
    pthread_mutex_lock(&lock);
    object_symbols *o = object_for(path, base);
    const fn_symbol *f = o != NULL ? function_at(o, pc) : NULL;
    if (f != NULL) *start = f->start;
    pthread_mutex_unlock(&lock);
    return f != NULL;
}

int symbols_name(const char *path, uintptr_t base, uintptr_t start, char *out, size_t out_n) {
    pthread_mutex_lock(&lock);
    object_symbols *o = object_for(path, base);
    const fn_symbol *f = o != NULL ? function_at(o, start) : NULL;
    int found = f != NULL && f->start == start && read_name(o, f->name, out, out_n);
    pthread_mutex_unlock(&lock);
    return found;
}

/* Skips one <source-name> (<length><chars>) at *p; 0 if malformed. */
static int skip_source_name(const char **p, const char *end) {
    size_t len = 0;
    if (**p < '0' || **p > '9') return 0;
    while (*p < end && **p >= '0' && **p <= '9') len = len * 10 + (size_t)(*(*p)++ - '0');
    if (len == 0 || len > (size_t)(end - *p)) return 0;
    *p += len;
    return 1;
}

/* Skips template arguments I...E (or a nested name N...E), counting the constructs that end with E. */
static int skip_template_args(const char **p, const char *end) {
    int depth = 0;
    do {
        if (*p >= end) return 0;
        char c = **p;
        if (c >= '0' && c <= '9') {
            if (!skip_source_name(p, end)) return 0;
            continue;
        }
        if (c == 'L' && *p + 1 < end && (*p)[1] != '_') {
            /* a literal L<type><value>E: its value is digits, not a <source-name> */
            (*p)++;
            if (**p == 'N') {
                if (!skip_template_args(p, end)) return 0; /* a nested name N...E */
            } else {
                (*p)++; /* a builtin type: one letter */
            }
            if (*p < end && **p == 'n') (*p)++;
            while (*p < end && **p >= '0' && **p <= '9') (*p)++;
            if (*p >= end || **p != 'E') return 0;
            (*p)++;
            continue;
        }
        if (c == 'I' || c == 'N' || c == 'L' || c == 'X' || c == 'J') depth++;
        else if (c == 'E') depth--;
        (*p)++;
    } while (depth > 0);
    return 1;
}

/*
 * Itanium C++ names reduced to scope::function, without parameters or template arguments
 * (as async-profiler shows them): "_ZN12ConstantPool26name_and_type_ref_index_atEiN9Bytecodes4CodeE"
 * → "ConstantPool::name_and_type_ref_index_at". Our own, because a JVM without libstdc++
 * (Temurin links it statically) has no __cxa_demangle. 0 for names it does not cover.
 */
int demangle_simple(const char *mangled, char *out, size_t out_n) {
    if (out_n == 0 || strncmp(mangled, "_Z", 2) != 0) return 0;
    const char *p = mangled + 2, *end = mangled + strlen(mangled);
    size_t o = 0;
    const char *last = NULL;
    size_t last_len = 0;
    if (p < end && *p == 'L') p++;
    int nested = p < end && *p == 'N';
    if (nested) {
        p++;
        while (p < end && (*p == 'r' || *p == 'V' || *p == 'K' || *p == 'R' || *p == 'O')) p++;
        if (p + 1 < end && p[0] == 'S' && p[1] == 't') { /* std:: */
            o += (size_t)snprintf(out + o, out_n - o, "std");
            p += 2;
        }
    }
    for (;;) {
        if (p >= end) return 0;
        const char *name = NULL;
        size_t len = 0;
        if (*p >= '0' && *p <= '9') {
            const char *start = p;
            if (!skip_source_name(&p, end)) return 0;
            while (*start >= '0' && *start <= '9') start++;
            name = start;
            len = (size_t)(p - start);
        } else if (nested && (*p == 'C' || *p == 'D') && p + 1 < end && p[1] >= '0' && p[1] <= '5' && last != NULL) {
            int dtor = *p == 'D';
            p += 2;
            if (o >= out_n) return 0;
            o += (size_t)snprintf(out + o, out_n - o, "%s%s%.*s", o ? "::" : "", dtor ? "~" : "", (int)last_len, last);
            if (p < end && *p == 'E') return o < out_n;
            continue;
        } else if (*p == 'I') {
            if (!skip_template_args(&p, end)) return 0;
            if (!nested) return o > 0 && o < out_n;
            continue;
        } else if (*p == 'E' && nested) {
            return o > 0 && o < out_n;
        } else {
            return nested ? 0 : o > 0 && o < out_n; /* an operator or a substitution: not covered */
        }
        if (o >= out_n) return 0;
        o += (size_t)snprintf(out + o, out_n - o, "%s%.*s", o ? "::" : "", (int)len, name);
        last = name;
        last_len = len;
        if (!nested) return o < out_n;
    }
}

/*
 * Hand-written protobuf for cprof.proto (wire/src/main/proto/cprof.proto): an encoder for the
 * messages the agent sends (InstanceInfo, Batch parts, Status, Error) and a small, bounds-
 * checked decoder for what it receives (Hello, StartRequest, Stop, Status).
 */
#define _GNU_SOURCE
#include "encode.h"

#include <stdlib.h>
#include <string.h>

#include "protocol.h"

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

void pb_init(pb_buf *b, size_t cap) {
    b->p = malloc(cap);
    b->len = 0;
    b->cap = b->p ? cap : 0;
    b->oom = b->p == NULL;
}

void pb_free(pb_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

void pb_reset(pb_buf *b) {
    b->len = 0;
    b->oom = b->p == NULL;
}

static int pb_reserve(pb_buf *b, size_t extra) {
    if (b->oom) {
        return 0;
    }
    if (b->len + extra <= b->cap) {
        return 1;
    }
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra) {
        cap *= 2;
    }
    uint8_t *p = realloc(b->p, cap);
    if (p == NULL) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

size_t varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

void pb_varint(pb_buf *b, uint64_t v) {
    if (!pb_reserve(b, 10)) {
        return;
    }
    while (v >= 0x80) {
        b->p[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->p[b->len++] = (uint8_t)v;
}

void pb_tag(pb_buf *b, unsigned field, unsigned wire) {
    pb_varint(b, ((uint64_t)field << 3) | wire);
}

void pb_uint(pb_buf *b, unsigned field, uint64_t v) {
    if (v != 0) {
        pb_tag(b, field, WT_VARINT);
        pb_varint(b, v);
    }
}

void pb_string(pb_buf *b, unsigned field, const char *s, size_t n) {
    pb_tag(b, field, WT_LEN);
    pb_varint(b, n);
    if (pb_reserve(b, n)) {
        memcpy(b->p + b->len, s, n);
        b->len += n;
    }
}

static void pb_opt_string(pb_buf *b, unsigned field, const char *s) {
    if (s != NULL && s[0] != '\0') {
        pb_string(b, field, s, strlen(s));
    }
}

/* Nested message: write the tag, reserve one length byte, and fix it up in pb_end (moving
 * the body when the length needs more than one byte). */
size_t pb_begin(pb_buf *b, unsigned field) {
    pb_tag(b, field, WT_LEN);
    if (pb_reserve(b, 1)) {
        b->p[b->len++] = 0;
    }
    return b->len;
}

void pb_end(pb_buf *b, size_t mark) {
    if (b->oom) {
        return;
    }
    size_t body = b->len - mark;
    size_t vs = varint_size(body);
    if (vs > 1) {
        if (!pb_reserve(b, vs - 1)) {
            return;
        }
        memmove(b->p + mark + vs - 1, b->p + mark, body);
        b->len += vs - 1;
    }
    uint8_t *q = b->p + mark - 1;
    uint64_t v = body;
    while (v >= 0x80) {
        *q++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *q = (uint8_t)v;
}

/* Envelope fields */
enum { ENV_HELLO = 1, ENV_START = 5, ENV_BATCH = 6, ENV_INSTANCE = 7, ENV_STOP = 8, ENV_ERROR = 9, ENV_STATUS = 12 };

void encode_instance(pb_buf *b, const cprof_instance *in) {
    size_t m = pb_begin(b, ENV_INSTANCE);
    pb_opt_string(b, 2, in->host);
    pb_uint(b, 3, in->pid);
    pb_opt_string(b, 4, in->service);
    pb_opt_string(b, 5, in->jdk_version);
    pb_uint(b, 6, in->start_time_ms);
    pb_opt_string(b, 7, in->main_class);
    pb_uint(b, 9, KIND_JAVA); /* runtime */
    pb_end(b, m);
}

void encode_status(pb_buf *b, int profiling, const char *session, const cprof_stats *st) {
    size_t m = pb_begin(b, ENV_STATUS);
    pb_uint(b, 1, profiling ? 1 : 0);
    pb_opt_string(b, 2, session);
    pb_uint(b, 3, st->samples);
    pb_uint(b, 4, st->dropped);
    pb_uint(b, 5, st->buffer_bytes);
    pb_uint(b, 6, st->max_handler_ns);
    pb_uint(b, 7, st->mean_handler_ns);
    pb_end(b, m);
}

void encode_error(pb_buf *b, int code, const char *msg) {
    size_t m = pb_begin(b, ENV_ERROR);
    pb_uint(b, 1, (uint64_t)code);
    pb_opt_string(b, 2, msg);
    pb_end(b, m);
}

/* ---- samples: SampleGroup columns (see cprof.proto) ---- */

static int sample_order(const void *a, const void *b) {
    const cprof_sample *x = a, *y = b;
    if (x->event != y->event) return x->event < y->event ? -1 : 1;
    if (x->stack != y->stack) return x->stack < y->stack ? -1 : 1;
    return 0;
}

/* The common unit if every weight is count * unit (no overflow): 1 and *unit, else 0. */
static int unit_weight(const cprof_sample *s, size_t n, uint64_t *unit) {
    if (n == 0 || s[0].count == 0 || s[0].weight % s[0].count != 0) return 0;
    uint64_t u = s[0].weight / s[0].count;
    for (size_t i = 1; i < n; i++) {
        if (s[i].count == 0 || (u != 0 && s[i].count > UINT64_MAX / u) || s[i].count * u != s[i].weight) return 0;
    }
    *unit = u;
    return 1;
}

/* One SampleGroup of n entries of the same event, stacks strictly ascending. */
static void encode_group(pb_buf *b, unsigned field, const cprof_sample *s, size_t n) {
    uint64_t unit = 0;
    int uniform = unit_weight(s, n, &unit);
    size_t g = pb_begin(b, field);
    pb_uint(b, 1, s[0].event);
    size_t col = pb_begin(b, 2); /* stack_deltas, packed */
    for (size_t i = 0; i < n; i++) pb_varint(b, s[i].stack - (i > 0 ? s[i - 1].stack : 0));
    pb_end(b, col);
    col = pb_begin(b, 3); /* counts, packed */
    for (size_t i = 0; i < n; i++) pb_varint(b, s[i].count);
    pb_end(b, col);
    if (uniform) {
        pb_uint(b, 5, unit);
    } else {
        col = pb_begin(b, 4); /* weights, packed */
        for (size_t i = 0; i < n; i++) pb_varint(b, s[i].weight);
        pb_end(b, col);
    }
    pb_end(b, g);
}

void encode_sample_groups(pb_buf *b, unsigned field, cprof_sample *s, size_t n) {
    if (n == 0) return;
    qsort(s, n, sizeof *s, sample_order);
    size_t from = 0;
    for (size_t i = 1; i <= n; i++) {
        if (i == n || s[i].event != s[from].event) {
            encode_group(b, field, s + from, i - from);
            from = i;
        }
    }
}

/* ---- decoder ---- */

typedef struct { const uint8_t *p, *end; } rd;

static int rd_varint(rd *r, uint64_t *out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) {
            return -1;
        }
        uint8_t c = *r->p++;
        v |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* Reads a field header; for length-delimited fields sets *sub to the body. */
static int rd_field(rd *r, unsigned *field, unsigned *wire, uint64_t *val, rd *sub) {
    uint64_t key;
    if (rd_varint(r, &key) != 0) {
        return -1;
    }
    *field = (unsigned)(key >> 3);
    *wire = (unsigned)(key & 7);
    if (*field == 0) {
        return -1;
    }
    switch (*wire) {
    case WT_VARINT:
        return rd_varint(r, val);
    case WT_I64:
        if (r->end - r->p < 8) return -1;
        r->p += 8;
        return 0;
    case WT_I32:
        if (r->end - r->p < 4) return -1;
        r->p += 4;
        return 0;
    case WT_LEN: {
        uint64_t n;
        if (rd_varint(r, &n) != 0 || n > (uint64_t)(r->end - r->p)) {
            return -1;
        }
        sub->p = r->p;
        sub->end = r->p + n;
        r->p += n;
        return 0;
    }
    default:
        return -1; /* groups are not used by proto3 */
    }
}

static int add_event(cprof_options *o, uint64_t ev) {
    if (ev >= EV_CPU && ev <= EV_LAST) {
        o->events |= EV_BIT(ev);
    }
    return 0;
}

static int is_true(const uint8_t *p, size_t n) {
    return (n == 4 && memcmp(p, "true", 4) == 0) || (n == 1 && p[0] == '1');
}

/* One StartRequest.options entry; unknown keys are ignored. */
static int decode_option(rd r, cprof_options *o) {
    const uint8_t *key = NULL, *val = NULL;
    size_t kn = 0, vn = 0;
    while (r.p < r.end) {
        unsigned f, w;
        uint64_t v = 0;
        rd sub = {0};
        if (rd_field(&r, &f, &w, &v, &sub) != 0) return -1;
        if (w != WT_LEN) continue;
        if (f == 1) {
            key = sub.p;
            kn = (size_t)(sub.end - sub.p);
        } else if (f == 2) {
            val = sub.p;
            vn = (size_t)(sub.end - sub.p);
        }
    }
    if (key != NULL && kn == 10 && memcmp(key, "wall_state", 10) == 0) {
        o->wall_state = val != NULL && is_true(val, vn);
    } else if (key != NULL && kn == 12 && memcmp(key, "ring_records", 12) == 0 && val != NULL) {
        uint32_t n = 0;
        for (size_t i = 0; i < vn && i < 9 && val[i] >= '0' && val[i] <= '9'; i++) n = n * 10 + (uint32_t)(val[i] - '0');
        o->ring_records = n; /* bounded and rounded by the session */
    } else if (key != NULL && kn == 17 && memcmp(key, "jdbc_threshold_ns", 17) == 0 && val != NULL) {
        uint64_t n = 0;
        for (size_t i = 0; i < vn && i < 18 && val[i] >= '0' && val[i] <= '9'; i++) n = n * 10 + (uint64_t)(val[i] - '0');
        o->jdbc_threshold_ns = n; /* 0 = the default */
    }
    return 0;
}

static int decode_start(rd r, cprof_options *o) {
    while (r.p < r.end) {
        unsigned f, w;
        uint64_t v = 0;
        rd sub = {0};
        if (rd_field(&r, &f, &w, &v, &sub) != 0) {
            return -1;
        }
        switch (f) {
        case 1:
            if (w == WT_LEN) {
                size_t n = (size_t)(sub.end - sub.p);
                if (n >= sizeof o->session_id) n = sizeof o->session_id - 1;
                memcpy(o->session_id, sub.p, n);
                o->session_id[n] = '\0';
            }
            break;
        case 2: /* repeated EventType: packed or not */
            if (w == WT_VARINT) {
                add_event(o, v);
            } else if (w == WT_LEN) {
                while (sub.p < sub.end) {
                    if (rd_varint(&sub, &v) != 0) return -1;
                    add_event(o, v);
                }
            }
            break;
        case 3: if (w == WT_VARINT && v) o->interval_ns = v; break;
        case 4: if (w == WT_VARINT && v) o->alloc_interval = v; break;
        case 5: if (w == WT_VARINT && v) o->lock_threshold_ns = v; break;
        case 6: if (w == WT_VARINT) o->duration_ms = v; break;
        case 7: if (w == WT_VARINT && v) o->flush_ms = v; break;
        case 8: if (w == WT_VARINT) o->threads = v != 0; break;
        case 9: if (w == WT_VARINT) o->lines = v != 0; break;
        case 10: if (w == WT_VARINT && v) o->wall_threads = (uint32_t)v; break;
        case 12: /* map<string, string> options: entries {1: key, 2: value} */
            if (w == WT_LEN && decode_option(sub, o) != 0) return -1;
            break;
        default: break; /* python, future fields */
        }
    }
    return 0;
}

int decode_envelope(const uint8_t *p, size_t n, cprof_request *req) {
    rd r = {p, p + n};
    memset(req, 0, sizeof *req);
    req->kind = REQ_OTHER;
    while (r.p < r.end) {
        unsigned f, w;
        uint64_t v = 0;
        rd sub = {0};
        if (rd_field(&r, &f, &w, &v, &sub) != 0) {
            return -1;
        }
        if (w != WT_LEN) {
            continue;
        }
        switch (f) {
        case ENV_HELLO:
            req->kind = REQ_HELLO;
            while (sub.p < sub.end) {
                unsigned hf, hw;
                uint64_t hv = 0;
                rd hs = {0};
                if (rd_field(&sub, &hf, &hw, &hv, &hs) != 0) return -1;
                if (hf == 1 && hw == WT_VARINT) req->protocol_version = (uint32_t)hv;
                if (hf == 5 && hw == WT_VARINT) req->pid = (uint32_t)hv;
                if ((hf == 2 || hf == 3) && hw == WT_LEN) {
                    char *dst = hf == 2 ? req->client : req->user;
                    size_t cap = hf == 2 ? sizeof req->client : sizeof req->user;
                    size_t len = (size_t)(hs.end - hs.p);
                    if (len >= cap) len = cap - 1;
                    memcpy(dst, hs.p, len);
                    dst[len] = '\0';
                }
            }
            break;
        case ENV_START:
            req->kind = REQ_START;
            options_defaults(&req->start);
            if (decode_start(sub, &req->start) != 0) return -1;
            break;
        case ENV_STOP:
            req->kind = REQ_STOP;
            break;
        case ENV_STATUS:
            req->kind = REQ_STATUS;
            break;
        default:
            req->kind = REQ_OTHER;
            break;
        }
    }
    return 0;
}

/* encode.c: hand-written protobuf, the messages the agent sends and the decoder of those it receives. */
#ifndef CPROF_ENCODE_H
#define CPROF_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "options.h"

typedef struct { uint8_t *p; size_t len, cap; int oom; } pb_buf;
void pb_init(pb_buf *b, size_t cap);
void pb_free(pb_buf *b);
void pb_reset(pb_buf *b);
void pb_varint(pb_buf *b, uint64_t v);
void pb_tag(pb_buf *b, unsigned field, unsigned wire);
void pb_uint(pb_buf *b, unsigned field, uint64_t v);           /* omitted when 0 */
void pb_string(pb_buf *b, unsigned field, const char *s, size_t n); /* always written */
size_t pb_begin(pb_buf *b, unsigned field);                     /* nested message */
void pb_end(pb_buf *b, size_t mark);
size_t varint_size(uint64_t v);

typedef struct {
    uint32_t pid;
    char host[256], service[256], jdk_version[128], main_class[512];
    uint64_t start_time_ms;
} cprof_instance;

enum { REQ_OTHER = 0, REQ_HELLO, REQ_START, REQ_STOP, REQ_STATUS };
typedef struct {
    int kind;
    uint32_t protocol_version;
    char user[64], client[64];  /* Hello: who asks, for naming the session that holds the JVM */
    uint32_t pid;
    cprof_options start;
} cprof_request;

typedef struct {
    uint64_t samples, dropped, buffer_bytes, max_handler_ns, mean_handler_ns;
} cprof_stats;

int decode_envelope(const uint8_t *p, size_t n, cprof_request *req); /* 0 ok, -1 malformed */
void encode_instance(pb_buf *b, const cprof_instance *in);
void encode_status(pb_buf *b, int profiling, const char *session, const cprof_stats *st);
void encode_error(pb_buf *b, int code, const char *msg);

/* One aggregated sample entry of a batch. */
typedef struct { uint32_t stack; uint32_t event; uint64_t count, weight; } cprof_sample;
/* Sorts s by (event, stack) and writes Batch.sample_groups (field `field`): one columnar
 * SampleGroup per event, weights left out when all are count * unit_weight. */
void encode_sample_groups(pb_buf *b, unsigned field, cprof_sample *s, size_t n);

#endif

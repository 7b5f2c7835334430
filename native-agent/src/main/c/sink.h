/* sink.c: where a session's frames go (the client's socket or a file), one frame at a time. */
#ifndef CPROF_SINK_H
#define CPROF_SINK_H

#include <pthread.h>
#include <stdatomic.h>

#include "encode.h"

typedef struct {
    int fd;
    int is_socket;
    atomic_int broken;          /* a write failed: the session ends */
    pthread_mutex_t lock;
} cprof_sink;

int sink_write(cprof_sink *s, const pb_buf *envelope); /* varint length + bytes; 0 ok */

#endif

/*
 * A session's output: a socket (the client) or a file (load option file=PATH). Frames are a
 * varint length then one Envelope; the first failed write marks the sink broken, which ends
 * the session.
 */
#define _GNU_SOURCE
#include "sink.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

/* A client that stops reading must not hold the collector (or the control thread) for
 * long: a frame fails when no byte went out for 2 s, or when it took 10 s in all (a client
 * taking a few bytes now and then would otherwise renew a per-call SO_SNDTIMEO forever).
 * EPIPE/ECONNRESET (peer gone) fail at once; the caller marks the sink broken. */
#define SEND_STALL_NS 2000000000ull
#define SEND_TOTAL_NS 10000000000ull

static int write_all(int fd, const uint8_t *p, size_t n, int is_socket) {
    uint64_t start = is_socket ? now_mono_ns() : 0, last_progress = start;
    while (n > 0) {
        ssize_t w = is_socket ? send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT) : write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            if (!is_socket || (errno != EAGAIN && errno != EWOULDBLOCK)) return -1;
            uint64_t now = now_mono_ns();
            if (now - last_progress >= SEND_STALL_NS || now - start >= SEND_TOTAL_NS) return -1;
            uint64_t left = SEND_STALL_NS - (now - last_progress);
            if (SEND_TOTAL_NS - (now - start) < left) left = SEND_TOTAL_NS - (now - start);
            struct pollfd pfd = {fd, POLLOUT, 0};
            if (poll(&pfd, 1, (int)(left / 1000000ull) + 1) < 0 && errno != EINTR) return -1;
            if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) return -1;
            continue;
        }
        p += w;
        n -= (size_t)w;
        if (is_socket) last_progress = now_mono_ns();
    }
    return 0;
}

int sink_write(cprof_sink *s, const pb_buf *env) {
    uint8_t prefix[10];
    size_t n = 0;
    uint64_t v = env->len;
    if (env->oom) return -1;
    while (v >= 0x80) {
        prefix[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    prefix[n++] = (uint8_t)v;
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    if (!atomic_load(&s->broken)) {
        rc = write_all(s->fd, prefix, n, s->is_socket) == 0 && write_all(s->fd, env->p, env->len, s->is_socket) == 0 ? 0 : -1;
        if (rc != 0) atomic_store(&s->broken, 1);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

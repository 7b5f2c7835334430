/*
 * The clients of the control socket and the control thread's loop: accepts connections (peer
 * uid checked), reads their frames (a varint length, then one Envelope), and answers Hello,
 * StartRequest, Stop and Status; ends a session when its client goes away or its duration is
 * over.
 */
#define _GNU_SOURCE
#include "control_clients.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "encode.h"
#include "hooks.h"
#include "instance.h"
#include "protocol.h"
#include "sink.h"
#include "util.h"

enum { ERR_BAD_REQUEST = 1, ERR_INTERNAL = 5, ERR_WARNING = 6, ERR_BUSY = 7 };

static void send_code(cprof_sink *s, int code, const char *msg) {
    pb_buf b;
    pb_init(&b, 256);
    encode_error(&b, code, msg);
    sink_write(s, &b);
    pb_free(&b);
}

static void send_error(cprof_sink *s, const char *msg) {
    send_code(s, ERR_BAD_REQUEST, msg);
}

static void send_status(cprof_sink *s, int profiling) {
    cprof_stats st;
    char sid[128] = "";
    memset(&st, 0, sizeof st);
    if (profiling) session_status(&st, sid, sizeof sid);
    pb_buf b;
    pb_init(&b, 256);
    encode_status(&b, profiling, sid, &st);
    sink_write(s, &b);
    pb_free(&b);
}

static int read_full(int fd, uint8_t *p, size_t n) {
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r == 0) return -1;
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* 0 = frame read; -1 = connection closed or failed; -2 = malformed. */
static int read_frame(int fd, uint8_t **out, size_t *len) {
    uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
        uint8_t c;
        if (shift >= 35) return -2;
        if (read_full(fd, &c, 1) != 0) return -1;
        v |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0) break;
    }
    if (v > CPROF_MAX_FRAME_BYTES) return -2;
    uint8_t *p = malloc(v ? v : 1);
    if (p == NULL) return -1;
    if (read_full(fd, p, v) != 0) {
        free(p);
        return -1;
    }
    *out = p;
    *len = v;
    return 0;
}

static int peer_allowed(int fd) {
    struct ucred cred;
    socklen_t n = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) != 0) return 0;
    return cred.uid == geteuid() || cred.uid == 0;
}

/*
 * Several clients may be connected at once, but only one session runs: the connection that
 * started it holds the JVM until it stops, and a StartRequest on any other connection is
 * refused at once with an Error naming the holder. Two sessions on one JVM must never share
 * its samples silently (the second used to wait in the listen backlog and got the first one's
 * tail), and a client kept waiting without a word is no better. Hello and Status are answered
 * on every connection (another copy of the agent probes with them).
 */
enum { MAX_CLIENTS = 8 };

typedef struct {
    int fd;                     /* -1: a free slot */
    int hello, profiling;
    uid_t uid;                  /* SO_PEERCRED of the client */
    pid_t pid;
    char user[64];              /* Hello.user */
    cprof_sink sink;
} client;

static client clients[MAX_CLIENTS];
static int holder = -1;         /* the client whose session runs, or -1 */
static char holder_desc[384];   /* who holds the JVM, for the refusal */

/* Copies src for a message: printable ASCII only, so a client's name cannot carry terminal
 * escapes into another user's error line. */
static void printable(char *dst, size_t n, const char *src) {
    size_t i = 0;
    for (; src[i] != '\0' && i + 1 < n; i++) {
        unsigned char c = (unsigned char)src[i];
        dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
    }
    dst[i] = '\0';
}

static void describe_holder(const client *c, const char *session_id) {
    char user[64], sid[128], when[32] = "?";
    printable(user, sizeof user, c->user[0] != '\0' ? c->user : "?");
    printable(sid, sizeof sid, session_id);
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) != NULL) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(holder_desc, sizeof holder_desc,
             "already being profiled by another cprof session (%s%s%sstarted by user %s, uid %u / pid %d at %s UTC);"
             " wait for it to end",
             sid[0] != '\0' ? "session " : "", sid, sid[0] != '\0' ? ", " : "", user, (unsigned)c->uid, (int)c->pid, when);
}

static void client_open(client *c, int fd) {
    struct ucred cred;
    socklen_t n = sizeof cred;
    memset(c, 0, sizeof *c);
    c->fd = fd;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &n) == 0) {
        c->uid = cred.uid;
        c->pid = cred.pid;
    }
    c->sink.fd = fd;
    c->sink.is_socket = 1;
    pthread_mutex_init(&c->sink.lock, NULL);
    /* A client that stops reading must not stall the collector forever. */
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    struct timeval rtv = {2, 0}; /* once a frame has started, its rest must come */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &rtv, sizeof rtv);
}

/* Ends the client's session (final batch) if it holds one, and closes it. */
static void client_close(int i) {
    client *c = &clients[i];
    if (c->fd < 0) return;
    if (c->profiling) session_stop();
    if (holder == i) holder = -1;
    close(c->fd);
    pthread_mutex_destroy(&c->sink.lock);
    c->fd = -1;
}

/* The holder's client has gone (closed, or sent Stop and closed) though its frames are not read yet. */
static int hung_up(const client *c) {
    struct pollfd pfd = {c->fd, POLLRDHUP, 0};
    return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
}

/* Reads and handles one frame of client i; closes it when it is done. */
static void client_frame(int i) {
    client *c = &clients[i];
    uint8_t *buf = NULL;
    size_t len = 0;
    int rc = read_frame(c->fd, &buf, &len);
    if (rc == -1) {
        client_close(i); /* closed without Stop: its session stops */
        return;
    }
    cprof_request req;
    if (rc == -2 || decode_envelope(buf, len, &req) != 0) {
        free(buf);
        if (c->profiling) session_stop();
        c->profiling = 0;
        if (holder == i) holder = -1;
        send_error(&c->sink, "malformed frame");
        client_close(i);
        return;
    }
    free(buf);
    if (req.kind == REQ_HELLO) {
        if (req.protocol_version != CPROF_PROTOCOL_VERSION) {
            send_error(&c->sink, "unsupported protocol version");
            client_close(i);
            return;
        }
        c->hello = 1;
        snprintf(c->user, sizeof c->user, "%s", req.user);
    } else if (req.kind == REQ_START) {
        if (!c->hello) {
            send_error(&c->sink, "Hello expected before StartRequest");
            client_close(i);
            return;
        }
        if (c->profiling) {
            send_error(&c->sink, "already profiling on this connection");
            return;
        }
        if (holder >= 0 && hung_up(&clients[holder])) {
            client_close(holder); /* gone before its end was read: not a holder any more */
        }
        if (holder >= 0) {
            pb_buf b;
            pb_init(&b, 512);
            encode_error(&b, ERR_BUSY, holder_desc);
            sink_write(&c->sink, &b);
            pb_free(&b);
            cprof_log("refused a session of uid %u / pid %d: the JVM is %s", (unsigned)c->uid, (int)c->pid, holder_desc);
            client_close(i);
            return;
        }
        if (req.start.events == 0) req.start.events = EV_BIT(EV_CPU);
        if (instance_write(&c->sink) != 0) {
            client_close(i);
            return;
        }
        if (session_start(&req.start, &c->sink) != 0) {
            send_error(&c->sink, "cannot start profiling: another session is running");
            client_close(i);
            return;
        }
        c->profiling = 1;
        holder = i;
        describe_holder(c, req.start.session_id);
        const char *why = hooks_problem(); /* jdbc asked for and not available: the rest goes on */
        if (why != NULL) send_code(&c->sink, ERR_WARNING, why);
    } else if (req.kind == REQ_STOP) {
        client_close(i); /* the final batch is sent by session_stop */
    } else if (req.kind == REQ_STATUS) {
        send_status(&c->sink, holder >= 0 && !session_finished()); /* the JVM's session, whoever holds it */
    }
}

/* The control thread's loop, until *shutting_down: polls the clients (the holder first) and
 * the listening socket while a client slot is free. */
void control_serve(int listen_fd, atomic_int *shutting_down) {
    for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
    while (!atomic_load(shutting_down)) {
        if (holder >= 0 && (session_finished() || atomic_load(&clients[holder].sink.broken))) {
            client_close(holder); /* duration over, or the client went away */
        }
        struct pollfd pfd[MAX_CLIENTS + 1];
        int who[MAX_CLIENTS + 1];
        nfds_t n = 0;
        int free_slot = -1;
        /* The holder first: its Stop or close is handled before another client's Start. */
        if (holder >= 0) {
            pfd[n] = (struct pollfd){clients[holder].fd, POLLIN, 0};
            who[n++] = holder;
        }
        for (int i = 0; i < MAX_CLIENTS; i++) {
            if (clients[i].fd < 0) {
                if (free_slot < 0) free_slot = i;
            } else if (i != holder) {
                pfd[n] = (struct pollfd){clients[i].fd, POLLIN, 0};
                who[n++] = i;
            }
        }
        if (free_slot >= 0) { /* when full, new clients wait in the backlog */
            pfd[n] = (struct pollfd){listen_fd, POLLIN, 0};
            who[n++] = -1;
        }
        int pr = poll(pfd, n, 100);
        if (pr < 0 && errno != EINTR) {
            struct timespec ts = {0, 100000000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (pr <= 0) continue;
        for (nfds_t k = 0; k < n && !atomic_load(shutting_down); k++) {
            if (pfd[k].revents == 0) continue;
            if (who[k] >= 0) {
                if (clients[who[k]].fd == pfd[k].fd) client_frame(who[k]);
                continue;
            }
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
                if (atomic_load(shutting_down)) break;
                struct timespec ts = {0, 100000000};
                nanosleep(&ts, NULL); /* e.g. EMFILE: do not spin */
                continue;
            }
            if (!peer_allowed(fd)) {
                close(fd);
                continue;
            }
            client_open(&clients[free_slot], fd);
        }
    }
    for (int i = 0; i < MAX_CLIENTS; i++) client_close(i);
}

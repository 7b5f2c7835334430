/*
 * The control socket: <java.io.tmpdir>/cprof-<pid>.sock, mode 0600, peer uid checked; one
 * session at a time (a second client's StartRequest is refused, naming the session that holds
 * the JVM). Frames are a varint length then one Envelope. A client sends Hello and
 * StartRequest, gets InstanceInfo then a Batch every flush interval; Stop, a dropped
 * connection or the end of the duration stops profiling within a second, and the agent
 * goes back to waiting for the next client.
 */
#define _GNU_SOURCE
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "encode.h"
#include "protocol.h"
#include "sampler.h"
#include "util.h"
#include "vm.h"

enum { ERR_BAD_REQUEST = 1, ERR_INTERNAL = 5, ERR_BUSY = 7 };

static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static pthread_t control_thread;
static atomic_int shutting_down;
static JNIEnv *control_jni;
static char service[256];   /* load option service=NAME, else the property or environment */

static int property(const char *name, char *out, size_t n) {
    char *v = NULL;
    jvmtiEnv *jvmti = g_agent.jvmti;
    if ((*jvmti)->GetSystemProperty(jvmti, name, &v) != JVMTI_ERROR_NONE || v == NULL) return -1;
    snprintf(out, n, "%s", v);
    (*jvmti)->Deallocate(jvmti, (unsigned char *)v);
    return 0;
}

/* JVM start from /proc: process start ticks after boot + boot time. */
static uint64_t process_start_ms(void) {
    char buf[1024];
    unsigned long long btime = 0, start_ticks = 0;
    FILE *f = fopen("/proc/stat", "r");
    if (f != NULL) {
        while (fgets(buf, sizeof buf, f) != NULL) {
            if (sscanf(buf, "btime %llu", &btime) == 1) break;
        }
        fclose(f);
    }
    f = fopen("/proc/self/stat", "r");
    if (f != NULL) {
        if (fgets(buf, sizeof buf, f) != NULL) {
            char *p = strrchr(buf, ')'); /* comm may contain spaces */
            if (p != NULL && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &start_ticks) != 1) {
                start_ticks = 0;
            }
        }
        fclose(f);
    }
    long hz = sysconf(_SC_CLK_TCK);
    if (btime == 0 || hz <= 0) return 0;
    return btime * 1000ull + start_ticks * 1000ull / (unsigned long long)hz;
}

void control_set_service(const char *name) {
    snprintf(service, sizeof service, "%s", name);
}

static void control_instance(cprof_instance *in) {
    memset(in, 0, sizeof *in);
    in->pid = (uint32_t)getpid();
    gethostname(in->host, sizeof in->host - 1);
    if (service[0] != '\0') {
        snprintf(in->service, sizeof in->service, "%s", service);
    } else if (property("cprof.service", in->service, sizeof in->service) != 0) {
        const char *env = getenv("CPROF_SERVICE");
        snprintf(in->service, sizeof in->service, "%s", env != NULL ? env : "");
    }
    if (property("java.version", in->jdk_version, sizeof in->jdk_version) != 0) {
        property("java.vm.version", in->jdk_version, sizeof in->jdk_version);
    }
    if (property("sun.java.command", in->main_class, sizeof in->main_class) == 0) {
        in->main_class[strcspn(in->main_class, " ")] = '\0'; /* first word: class or jar */
    }
    in->start_time_ms = process_start_ms();
}

int control_write_instance(cprof_sink *s) {
    cprof_instance in;
    pb_buf b;
    control_instance(&in);
    pb_init(&b, 1024);
    encode_instance(&b, &in);
    int rc = sink_write(s, &b);
    pb_free(&b);
    return rc;
}

static void send_error(cprof_sink *s, const char *msg) {
    pb_buf b;
    pb_init(&b, 256);
    encode_error(&b, ERR_BAD_REQUEST, msg);
    sink_write(s, &b);
    pb_free(&b);
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
        if (control_write_instance(&c->sink) != 0) {
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
    } else if (req.kind == REQ_STOP) {
        client_close(i); /* the final batch is sent by session_stop */
    } else if (req.kind == REQ_STATUS) {
        send_status(&c->sink, holder >= 0 && !session_finished()); /* the JVM's session, whoever holds it */
    }
}

static void *control_main(void *arg) {
    (void)arg;
    sampler_block_signals();
    cprof_register_own_tid(cprof_gettid());
    control_jni = vm_attach_agent_thread("cprof-control");
    for (int i = 0; i < MAX_CLIENTS; i++) clients[i].fd = -1;
    while (!atomic_load(&shutting_down)) {
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
        for (nfds_t k = 0; k < n && !atomic_load(&shutting_down); k++) {
            if (pfd[k].revents == 0) continue;
            if (who[k] >= 0) {
                if (clients[who[k]].fd == pfd[k].fd) client_frame(who[k]);
                continue;
            }
            int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd < 0) {
                if (errno == EINTR || errno == ECONNABORTED || errno == EAGAIN) continue;
                if (atomic_load(&shutting_down)) break;
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
    return NULL;
}

_Static_assert(CPROF_PROTOCOL_VERSION < 128, "the probe writes the version as one varint byte");
enum { PROBE_SERVING, PROBE_BUSY, PROBE_INCOMPATIBLE };

/* Asks the agent listening on fd (connected) for a Status with our protocol version. A
 * Status back: a compatible copy serves this JVM. An Error or a close (e.g. an older build:
 * "unsupported protocol version"): idle but useless to our clients. No answer within 1.5 s:
 * busy with a client, or hung. */
static int probe_server(int fd) {
    static const uint8_t req[] = {
        4, 0x0a, 2, 0x08, CPROF_PROTOCOL_VERSION, /* Envelope{hello{protocol_version}} */
        2, 0x62, 0x00                             /* Envelope{status{}} */
    };
    if (send(fd, req, sizeof req, MSG_NOSIGNAL) != (ssize_t)sizeof req) return PROBE_INCOMPATIBLE;
    uint64_t deadline = now_mono_ns() + 1500000000ull;
    uint8_t buf[16];
    size_t got = 0;
    for (;;) {
        uint64_t now = now_mono_ns();
        if (now >= deadline) return PROBE_BUSY;
        struct pollfd pfd = {fd, POLLIN, 0};
        int pr = poll(&pfd, 1, (int)((deadline - now) / 1000000ull) + 1);
        if (pr < 0 && errno == EINTR) continue;
        if (pr <= 0) return pr == 0 ? PROBE_BUSY : PROBE_INCOMPATIBLE;
        ssize_t r = recv(fd, buf + got, sizeof buf - got, MSG_DONTWAIT);
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (r <= 0) return PROBE_INCOMPATIBLE; /* closed without a Status */
        got += (size_t)r;
        /* varint length, then the Envelope's first tag: field 12 = Status, 9 = Error */
        size_t i = 0;
        while (i < got && (buf[i] & 0x80)) i++;
        if (i + 1 < got) return (buf[i + 1] >> 3) == 12 ? PROBE_SERVING : PROBE_INCOMPATIBLE;
        if (got == sizeof buf) return PROBE_INCOMPATIBLE;
    }
}

int control_start(void) {
    char tmpdir[512];
    if (property("java.io.tmpdir", tmpdir, sizeof tmpdir) != 0 || tmpdir[0] == '\0') {
        snprintf(tmpdir, sizeof tmpdir, "/tmp");
    }
    size_t tl = strlen(tmpdir);
    while (tl > 1 && tmpdir[tl - 1] == '/') tmpdir[--tl] = '\0';
    struct sockaddr_un addr;
    memset(&addr, 0, sizeof addr);
    addr.sun_family = AF_UNIX;
    int n = snprintf(addr.sun_path, sizeof addr.sun_path, "%s/cprof-%d.sock", tmpdir, (int)getpid());
    if (n < 0 || (size_t)n >= sizeof addr.sun_path) {
        cprof_log("socket path too long under %s", tmpdir);
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    /* Another copy of the agent (a different library path: another build of the CLI) already
     * serves this JVM? A connect() that succeeds proves only that a socket listens (the
     * backlog accepts even when nobody will), so ask it. */
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0) {
        int verdict = probe_server(fd);
        close(fd);
        if (verdict == PROBE_SERVING) {
            cprof_log("%s is already served by another copy of the agent", addr.sun_path);
            return -1;
        }
        if (verdict == PROBE_BUSY) {
            /* Serving a client (one at a time), or hung: leave it; the next attach asks again. */
            cprof_log("%s is in use and did not answer; not taking it over (attach again later)", addr.sun_path);
            return -1;
        }
        cprof_log("%s is held by an incompatible copy of the agent; taking it over", addr.sun_path);
    } else {
        close(fd);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    /* Linux creates the socket file with the socket inode's mode minus the umask: setting
     * 0600 here makes the file private from its creation, without touching the process-wide
     * umask under the JVM's other threads. chmod after bind as well, to be sure. */
    fchmod(fd, 0600);
    unlink(addr.sun_path); /* a stale socket of an earlier process with this pid */
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || chmod(addr.sun_path, 0600) != 0 ||
        listen(fd, 4) != 0) {
        cprof_log("cannot listen on %s: %s", addr.sun_path, strerror(errno));
        close(fd);
        return -1;
    }
    snprintf(sock_path, sizeof sock_path, "%s", addr.sun_path);
    listen_fd = fd;
    if (pthread_create(&control_thread, NULL, control_main, NULL) != 0) {
        close(fd);
        unlink(sock_path);
        listen_fd = -1;
        return -1;
    }
    pthread_detach(control_thread);
    return 0;
}

void control_shutdown(void) {
    atomic_store(&shutting_down, 1);
    if (listen_fd >= 0) {
        shutdown(listen_fd, SHUT_RDWR); /* wakes accept() */
        unlink(sock_path);
    }
}

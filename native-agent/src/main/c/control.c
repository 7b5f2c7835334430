/*
 * The control socket: <java.io.tmpdir>/cprof-<pid>.sock, mode 0600, peer uid checked; one
 * session at a time (a second client's StartRequest is refused, naming the session that holds
 * the JVM). Frames are a varint length then one Envelope. A client sends Hello and
 * StartRequest, gets InstanceInfo then a Batch every flush interval; Stop, a dropped
 * connection or the end of the duration stops profiling within a second, and the agent
 * goes back to waiting for the next client.
 *
 * This file: the socket (taken over from another copy of the agent only when that copy is of
 * no use) and the control thread. Its clients are control_clients.c's.
 */
#define _GNU_SOURCE
#include "control.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control_clients.h"
#include "protocol.h"
#include "sampler.h"
#include "util.h"
#include "vm.h"

static int listen_fd = -1;
static char sock_path[sizeof(((struct sockaddr_un *)0)->sun_path)];
static pthread_t control_thread;
static atomic_int shutting_down;
static JNIEnv *control_jni;

static void *control_main(void *arg) {
    (void)arg;
    sampler_block_signals();
    cprof_register_own_tid(cprof_gettid());
    control_jni = vm_attach_agent_thread("cprof-control");
    control_serve(listen_fd, &shutting_down);
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
    if (vm_system_property("java.io.tmpdir", tmpdir, sizeof tmpdir) != 0 || tmpdir[0] == '\0') {
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

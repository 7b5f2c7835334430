/*
 * The sampling signals are shared with whoever else is in the process: another profiler
 * (async-profiler in itimer mode, or with signal=PROF) installs its own SIGPROF handler, and
 * from then on the kernel hands it every SIGPROF, cprof's per-thread timers' included. So
 * cprof installs its handler at each session start (and again when the sampler finds it
 * replaced mid-session), remembers the handler it replaced, passes that one every signal that
 * is not cprof's (cprof's carry its own si_value), and puts it back after the session.
 */
#define _GNU_SOURCE
#include "sigchain.h"

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MAX_SIGNO 65
#define FORWARD_SLOTS 64

typedef struct {
    /* The replaced handler, read by signal handlers: written into the slot they do not read,
     * then published by flipping `cur` (takes are at most every 500 ms). */
    struct sigaction prev[2];
    atomic_int cur;
    int taken;                  /* ours is installed, as far as we know */
    uintptr_t logged;           /* the foreign handler last named in the log */
} chain;

static chain chains[MAX_SIGNO];
static pthread_mutex_t chain_lock = PTHREAD_MUTEX_INITIALIZER;
/* Threads inside a forwarded handler: a handler that chains back to ours (it replaced ours
 * and kept it as its own "previous") would otherwise loop until the stack overflows. */
static atomic_int forwarding[FORWARD_SLOTS];

static const char *signal_name(int signo) {
    switch (signo) {
    case SIGPROF: return "SIGPROF";
    case SIGVTALRM: return "SIGVTALRM";
    default: return "signal";
    }
}

static uintptr_t handler_of(const struct sigaction *sa) {
    return (sa->sa_flags & SA_SIGINFO) ? (uintptr_t)sa->sa_sigaction : (uintptr_t)sa->sa_handler;
}

static int is_default(const struct sigaction *sa) {
    return !(sa->sa_flags & SA_SIGINFO) && (sa->sa_handler == SIG_DFL || sa->sa_handler == SIG_IGN);
}

static void describe(uintptr_t fn, char *out, size_t n) {
    Dl_info info;
    if (dladdr((void *)fn, &info) != 0 && info.dli_fname != NULL) {
        const char *file = strrchr(info.dli_fname, '/');
        snprintf(out, n, "%s in %s", info.dli_sname != NULL ? info.dli_sname : "a function", file != NULL ? file + 1 : info.dli_fname);
    } else {
        snprintf(out, n, "%#lx", (unsigned long)fn);
    }
}

int sigchain_take(int signo, sigchain_fn fn, const sigset_t *mask, const char *when) {
    if (signo <= 0 || signo >= MAX_SIGNO) return -1;
    chain *c = &chains[signo];
    struct sigaction now;
    pthread_mutex_lock(&chain_lock);
    if (sigaction(signo, NULL, &now) != 0) {
        pthread_mutex_unlock(&chain_lock);
        return -1;
    }
    if ((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == fn) {
        c->taken = 1;
        pthread_mutex_unlock(&chain_lock);
        return 0;
    }
    uintptr_t theirs = handler_of(&now);
    if (!is_default(&now) && theirs != c->logged) {
        char who[512];
        describe(theirs, who, sizeof who);
        cprof_log("%s: %s (%s) %s; cprof installs its own handler again and passes that one every %s that is not cprof's",
                  signal_name(signo), c->taken ? "another handler replaced cprof's" : "another handler is installed", who, when,
                  signal_name(signo));
        c->logged = theirs;
    }
    int next = 1 - atomic_load(&c->cur);
    c->prev[next] = now;
    atomic_store_explicit(&c->cur, next, memory_order_release);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sa.sa_mask = *mask;
    int rc = sigaction(signo, &sa, NULL);
    if (rc == 0) c->taken = 1;
    pthread_mutex_unlock(&chain_lock);
    return rc;
}

static int forward_enter(int tid) {
    for (int i = 0; i < FORWARD_SLOTS; i++) {
        if (atomic_load_explicit(&forwarding[i], memory_order_relaxed) == tid) return -1; /* came back: a loop */
    }
    for (int i = 0; i < FORWARD_SLOTS; i++) {
        int free_slot = 0;
        if (atomic_compare_exchange_strong(&forwarding[i], &free_slot, tid)) return i;
    }
    return -1;
}

void sigchain_forward(int signo, siginfo_t *si, void *ucontext) {
    if (signo <= 0 || signo >= MAX_SIGNO) return;
    chain *c = &chains[signo];
    const struct sigaction *p = &c->prev[atomic_load_explicit(&c->cur, memory_order_acquire)];
    if (is_default(p) || handler_of(p) == 0) return;
    int tid = (int)syscall(SYS_gettid);
    int slot = forward_enter(tid);
    if (slot < 0) return;
    /* Its own mask on top of ours (SIGPROF and SIGVTALRM are blocked already). */
    sigset_t old;
    int masked = !sigisemptyset(&p->sa_mask) && pthread_sigmask(SIG_BLOCK, &p->sa_mask, &old) == 0;
    if (p->sa_flags & SA_SIGINFO) {
        p->sa_sigaction(signo, si, ucontext);
    } else {
        p->sa_handler(signo);
    }
    if (masked) pthread_sigmask(SIG_SETMASK, &old, NULL);
    atomic_store(&forwarding[slot], 0);
}

/* The pending-signal mask line `key` ("SigPnd:", "ShdPnd:") of a /proc status file has signo. */
static int pending_in(const char *path, const char *key, int signo) {
    char buf[4096];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0) return 0;
    buf[n] = '\0';
    char *line = strstr(buf, key);
    if (line == NULL) return 0;
    unsigned long long mask = strtoull(line + strlen(key), NULL, 16);
    return (mask >> (signo - 1)) & 1;
}

/* Whether signo is pending for the process or for any of its threads. */
static int pending_anywhere(int signo) {
    if (pending_in("/proc/self/status", "ShdPnd:", signo)) return 1;
    DIR *d = opendir("/proc/self/task");
    if (d == NULL) return 0;
    int found = 0;
    struct dirent *e;
    char path[300];
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/status", e->d_name);
        found = pending_in(path, "SigPnd:", signo);
    }
    closedir(d);
    return found;
}

int sigchain_give_back(int signo, sigchain_fn fn) {
    if (signo <= 0 || signo >= MAX_SIGNO) return 0;
    chain *c = &chains[signo];
    struct sigaction now;
    int rc = 0;
    pthread_mutex_lock(&chain_lock);
    if (!c->taken || sigaction(signo, NULL, &now) != 0) {
        pthread_mutex_unlock(&chain_lock);
        return 0;
    }
    if (!(now.sa_flags & SA_SIGINFO) || now.sa_sigaction != fn) {
        c->taken = 0; /* replaced during the session: that handler stays */
        pthread_mutex_unlock(&chain_lock);
        return 0;
    }
    const struct sigaction *p = &c->prev[atomic_load(&c->cur)];
    /* A deleted timer's signal may still be queued (kernels before 6.13 deliver it): under
     * SIG_DFL it would end the process, so wait until none is left, briefly. */
    if (!(p->sa_flags & SA_SIGINFO) && p->sa_handler == SIG_DFL) {
        for (int i = 0; i < 20 && pending_anywhere(signo); i++) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
        if (pending_anywhere(signo)) rc = -1;
    }
    if (rc == 0 && sigaction(signo, p, NULL) == 0) c->taken = 0;
    c->logged = 0; /* the next session names a foreign handler again */
    pthread_mutex_unlock(&chain_lock);
    return rc;
}

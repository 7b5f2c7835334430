/* sigchain.c: the sampling signals' handlers, installed per session over whatever handler was
 * there, which keeps every signal that is not cprof's. */
#ifndef CPROF_SIGCHAIN_H
#define CPROF_SIGCHAIN_H

#include <signal.h>

typedef void (*sigchain_fn)(int, siginfo_t *, void *);

/* Installs fn for signo (SA_SIGINFO | SA_RESTART, blocking `mask`) unless it is installed
 * already, and remembers the handler it replaces. One log line when that handler is another
 * program's (`when`: "at session start", "during the session"). 0 on success. */
int sigchain_take(int signo, sigchain_fn fn, const sigset_t *mask, const char *when);
/* From fn, for a signal that is not cprof's: runs the handler fn replaced (nothing for
 * SIG_DFL or SIG_IGN: a stray SIGPROF must not end the process). Async-signal-safe. */
void sigchain_forward(int signo, siginfo_t *si, void *ucontext);
/* After the session (its timers deleted, its senders stopped): puts the replaced handler back
 * if fn is still the one installed. Keeps fn, returning -1, when the replaced one is SIG_DFL
 * and a signal of the session is still pending somewhere (it would end the process). */
int sigchain_give_back(int signo, sigchain_fn fn);

#endif

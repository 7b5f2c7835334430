/* control_clients.c: the control socket's clients (up to 8, one of them holding the JVM's
 * session) and the loop of the control thread that serves them. */
#ifndef CPROF_CONTROL_CLIENTS_H
#define CPROF_CONTROL_CLIENTS_H

#include <stdatomic.h>

/* Serves clients accepted on listen_fd until *shutting_down; then closes them all (a session
 * still running gets its final batch). */
void control_serve(int listen_fd, atomic_int *shutting_down);

#endif

/* control.c: the control socket and its thread (its clients: control_clients.c). */
#ifndef CPROF_CONTROL_H
#define CPROF_CONTROL_H

int control_start(void);        /* listens on <java.io.tmpdir>/cprof-<pid>.sock; 0 ok */
void control_shutdown(void);

#endif

/* control.c: the control socket, its thread, and the InstanceInfo a client gets first. */
#ifndef CPROF_CONTROL_H
#define CPROF_CONTROL_H

#include "sink.h"

int control_start(void);        /* listens on <java.io.tmpdir>/cprof-<pid>.sock; 0 ok */
void control_shutdown(void);
void control_set_service(const char *service); /* load option service=NAME */
int control_write_instance(cprof_sink *s);     /* Envelope{instance} to s; 0 ok */

#endif

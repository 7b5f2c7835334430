/* instance.c: the InstanceInfo that names this JVM to a client. */
#ifndef CPROF_INSTANCE_H
#define CPROF_INSTANCE_H

#include "sink.h"

void instance_set_service(const char *service); /* load option service=NAME */
int instance_write(cprof_sink *s);              /* Envelope{instance} to s; 0 ok */

#endif

/*
 * The InstanceInfo a client gets before the first Batch: which JVM this is (pid, host,
 * service, JDK version, main class, start time). The service comes from the load option
 * service=NAME, else the system property cprof.service, else $CPROF_SERVICE.
 */
#define _GNU_SOURCE
#include "instance.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "encode.h"
#include "vm.h"

static char service[256];   /* load option service=NAME, else the property or environment */

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

void instance_set_service(const char *name) {
    snprintf(service, sizeof service, "%s", name);
}

static void instance_info(cprof_instance *in) {
    memset(in, 0, sizeof *in);
    in->pid = (uint32_t)getpid();
    gethostname(in->host, sizeof in->host - 1);
    if (service[0] != '\0') {
        snprintf(in->service, sizeof in->service, "%s", service);
    } else if (vm_system_property("cprof.service", in->service, sizeof in->service) != 0) {
        const char *env = getenv("CPROF_SERVICE");
        snprintf(in->service, sizeof in->service, "%s", env != NULL ? env : "");
    }
    if (vm_system_property("java.version", in->jdk_version, sizeof in->jdk_version) != 0) {
        vm_system_property("java.vm.version", in->jdk_version, sizeof in->jdk_version);
    }
    if (vm_system_property("sun.java.command", in->main_class, sizeof in->main_class) == 0) {
        in->main_class[strcspn(in->main_class, " ")] = '\0'; /* first word: class or jar */
    }
    in->start_time_ms = process_start_ms();
}

int instance_write(cprof_sink *s) {
    cprof_instance in;
    pb_buf b;
    instance_info(&in);
    pb_init(&b, 1024);
    encode_instance(&b, &in);
    int rc = sink_write(s, &b);
    pb_free(&b);
    return rc;
}

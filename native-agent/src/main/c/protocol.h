/* Numbers of the wire protocol (wire/src/main/proto/cprof.proto) that the agent's files share. */
#ifndef CPROF_PROTOCOL_H
#define CPROF_PROTOCOL_H

#define CPROF_VERSION "0.1.0"
/* 3: the jdbc event (EventType JDBC, StartRequest.options["jdbc_threshold_ns"]). */
#define CPROF_PROTOCOL_VERSION 3
#define CPROF_MAX_FRAME_BYTES (16u << 20)

/* EventType numbers of cprof.proto. */
enum { EV_CPU = 1, EV_WALL = 2, EV_ALLOC = 3, EV_LOCK = 4, EV_JDBC = 5 };
#define EV_LAST EV_JDBC
#define EV_BIT(e) (1u << (e))

/* FrameKind numbers of cprof.proto. */
enum { KIND_JAVA = 1, KIND_NATIVE = 2, KIND_KERNEL = 3, KIND_PYTHON = 4, KIND_PSEUDO = 5 };

/* FrameType numbers of cprof.proto. */
enum { FTYPE_NONE = 0, FTYPE_INTERPRETED = 1, FTYPE_C1 = 2, FTYPE_JIT = 3, FTYPE_INLINED = 4, FTYPE_STUB = 5 };

#endif

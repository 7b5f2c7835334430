/*
 * libFuzzer target for the agent's control-message decoder (decode_envelope in encode.c): the
 * one piece of the agent that parses bytes from outside the JVM. Built with AddressSanitizer and
 * UndefinedBehaviorSanitizer by `make fuzz`; run by AgentDecoderFuzzTest.
 * Besides not crashing, a decoded request must be usable as the agent uses it.
 */
#include "cprof.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    cprof_request req;
    if (decode_envelope(data, size, &req) != 0) {
        return 0;
    }
    if (req.kind == REQ_START) {
        /* the session id is a C string inside its buffer */
        if (memchr(req.start.session_id, '\0', sizeof req.start.session_id) == NULL) {
            __builtin_trap();
        }
    }
    return 0;
}

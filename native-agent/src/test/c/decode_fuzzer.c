/*
 * libFuzzer target for the agent's control-message decoder (decode_envelope in encode.c): the
 * one piece of the agent that parses bytes from outside the JVM. The same input, as a symbol
 * name, goes through the demangler (symbols.c), which parses names read from ELF files. Built with AddressSanitizer and
 * UndefinedBehaviorSanitizer by `make fuzz`; run by AgentDecoderFuzzTest.
 * Besides not crashing, a decoded request must be usable as the agent uses it.
 */
#include <stdlib.h>
#include <string.h>

#include "encode.h"
#include "symbols.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void demangle_input(const uint8_t *data, size_t size) {
    char *name = malloc(size + 3);
    if (name == NULL) return;
    memcpy(name, "_Z", 2);
    memcpy(name + 2, data, size);
    name[size + 2] = '\0';
    char out[64]; /* small, so that truncation paths run too */
    if (demangle_simple(name, out, sizeof out) && memchr(out, '\0', sizeof out) == NULL) {
        __builtin_trap();
    }
    free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    demangle_input(data, size);
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

package dev.cprof.wire;

import java.io.IOException;

/** The one error every malformed, oversized or truncated input on the wire turns into. */
public final class WireException extends IOException {
    private static final long serialVersionUID = 1L;

    public WireException(String message) {
        super(message);
    }

    public WireException(String message, Throwable cause) {
        super(message, cause);
    }
}

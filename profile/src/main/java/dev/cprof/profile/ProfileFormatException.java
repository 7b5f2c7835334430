package dev.cprof.profile;

import java.io.IOException;

/** Input that is not a valid profile of its format; the message says where and why. */
public final class ProfileFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public ProfileFormatException(String message) {
        super(message);
    }

    public ProfileFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

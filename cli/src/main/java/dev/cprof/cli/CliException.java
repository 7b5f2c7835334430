package dev.cprof.cli;

import dev.cprof.session.ExitCodes;
import dev.cprof.session.SessionException;

/**
 * A failure that the user can act on: its message is printed as one line ({@code cprof: message})
 * and the command exits with {@link #exitCode()}. No stack trace unless {@code --debug}. The
 * session engine raises its own {@link SessionException}, handled the same way.
 */
public class CliException extends SessionException {
    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        this(ExitCodes.FAILED, message, null);
    }

    public CliException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(exitCode, message, cause);
    }
}

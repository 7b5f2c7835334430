package dev.cprof.session;

/**
 * A failure the user can act on, raised by the session engine: one line of message and the exit
 * code the command ends with (see {@link ExitCodes}). The CLI prints it without a stack trace.
 */
public class SessionException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public SessionException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public SessionException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    public SessionException(String message) {
        this(ExitCodes.FAILED, message, null);
    }

    public int exitCode() {
        return exitCode;
    }
}

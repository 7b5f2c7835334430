package dev.cprof.cli;

/**
 * A failure that the user can act on: its message is printed as one line ({@code cprof: message})
 * and the command exits with {@link #exitCode()}. No stack trace unless {@code --debug}.
 */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    public CliException(String message) {
        this(ExitCodes.FAILED, message, null);
    }

    public CliException(int exitCode, String message) {
        this(exitCode, message, null);
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}

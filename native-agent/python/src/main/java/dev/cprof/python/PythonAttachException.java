package dev.cprof.python;

/**
 * A process cannot be sampled as CPython: not a CPython process, an unsupported version, or
 * unreadable. The message is one line meant for the user; the caller warns once and continues.
 */
public final class PythonAttachException extends Exception {
    private static final long serialVersionUID = 1L;

    public PythonAttachException(String message) {
        super(message);
    }

    public PythonAttachException(String message, Throwable cause) {
        super(message, cause);
    }
}

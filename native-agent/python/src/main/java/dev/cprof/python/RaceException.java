package dev.cprof.python;

/**
 * The target changed under us while we read it (stale pointer, cycle, absurd length). Never
 * leaves this package: the sample is dropped and counted.
 */
final class RaceException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    RaceException(String message) {
        super(message, null, false, false); // no stack trace: this is a counted, expected event
    }
}

package dev.cprof.profile;

/** A batch that does not fit its stream: lost batches, unknown ids. */
public final class MergeException extends Exception {
    private static final long serialVersionUID = 1L;

    public MergeException(String message) {
        super(message);
    }
}

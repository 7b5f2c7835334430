package dev.cprof.agent;

import java.io.IOException;

/** The agent refused a request or answered with an Error message. */
public final class AgentException extends IOException {
    private static final long serialVersionUID = 1L;

    private final boolean busy;

    public AgentException(String message) {
        this(message, false);
    }

    public AgentException(String message, boolean busy) {
        super(message);
        this.busy = busy;
    }

    /** The agent refused because another session profiles the JVM (its message names that session). */
    public boolean busy() {
        return busy;
    }
}

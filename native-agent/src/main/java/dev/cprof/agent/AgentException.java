package dev.cprof.agent;

import java.io.IOException;

/** The agent refused a request or answered with an Error message. */
public final class AgentException extends IOException {
    private static final long serialVersionUID = 1L;

    public AgentException(String message) {
        super(message);
    }
}

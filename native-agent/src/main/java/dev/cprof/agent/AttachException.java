package dev.cprof.agent;

import java.io.IOException;

/** Why an agent could not be loaded into a JVM; {@link #reason()} tells which case it is. */
public final class AttachException extends IOException {
    private static final long serialVersionUID = 1L;

    public enum Reason {
        NO_SUCH_PROCESS,
        NOT_A_JVM,
        ATTACH_DISABLED,
        PERMISSION_DENIED,
        /** The agent's socket name is held by another user than the JVM's. */
        SOCKET_SQUATTED,
        JVM_EXITED,
        AGENT_LOAD_FAILED,
        ATTACH_FAILED
    }

    private final Reason reason;
    private final long pid;

    public AttachException(Reason reason, long pid, String message) {
        super(message);
        this.reason = reason;
        this.pid = pid;
    }

    public Reason reason() {
        return reason;
    }

    public long pid() {
        return pid;
    }
}

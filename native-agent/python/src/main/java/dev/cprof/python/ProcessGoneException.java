package dev.cprof.python;

/** The target process exited (or became unreadable) while we were sampling it. */
public final class ProcessGoneException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int pid;

    public ProcessGoneException(int pid) {
        this(pid, "exited");
    }

    public ProcessGoneException(int pid, String reason) {
        super("python pid " + pid + ": " + reason);
        this.pid = pid;
    }

    public int pid() {
        return pid;
    }

    public String reason() {
        String m = getMessage();
        return m.substring(m.indexOf(": ") + 2);
    }
}

package dev.cprof.session;

/** Called about once a second while a session runs (a progress line), and once when it has ended. */
public interface SessionTick {
    SessionTick NONE = new SessionTick() {
        @Override
        public void tick(long attached, long instances, long samples, long bytes, long nanosLeft) {}

        @Override
        public void done() {}
    };

    void tick(long attached, long instances, long samples, long bytes, long nanosLeft);

    void done();
}

package dev.cprof.session;

import dev.cprof.profile.Profile;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.StartRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one profiling session over an {@link InstanceSource}: start, let the caller watch it until
 * the duration is over (or Ctrl-C), stop everything (the last batches still come in, for at most
 * {@link #STOP_WAIT_MS}), merge. The result says what was found, what failed and what ended early;
 * the caller writes. Every command that profiles (attach, top, demo) and the benchmarks run their
 * sessions here.
 */
public final class ProfilingSession {
    public static final long STOP_WAIT_MS = 3_000;

    /** What the caller does while the session runs; it returns when the session should stop. */
    @FunctionalInterface
    public interface Watch {
        void watch(SessionMerger merger, InstanceSource source, SessionClock clock) throws Exception;
    }

    /**
     * The outcome: the merged profile, its streams, the attaches that failed, and one line per
     * failure ({@code errors}: attaches and streams) and per instance that ended early
     * ({@code endedEarly}, only where the source counts that as partial).
     */
    public record Result(Profile profile, List<SessionMerger.Stream> streams, List<InstanceSource.Failed> failedAttaches,
                         List<String> errors, List<String> endedEarly, int found, double seconds, boolean interrupted) {

        public boolean anyAttached() {
            return !streams.isEmpty();
        }

        /** Every line to report: errors, then the instances that ended early. */
        public List<String> failures() {
            List<String> all = new ArrayList<>(errors);
            all.addAll(endedEarly);
            return all;
        }
    }

    private ProfilingSession() {}

    public static Result run(InstanceSource source, StartRequest request, long durationNanos, SessionClock clock, SessionTick tick)
            throws Exception {
        return run(source, request, durationNanos, clock, tick, new SessionMerger());
    }

    /** The same with a given merger (a long session's, which rotates; see {@link SessionMerger#rotateEvery}). */
    public static Result run(InstanceSource source, StartRequest request, long durationNanos, SessionClock clock, SessionTick tick,
            SessionMerger merger) throws Exception {
        long started = System.nanoTime();
        return run(source, request, clock, merger, (m, s, c) -> {
            c.await(durationNanos, () -> {
                tick.tick(m.streams().size(), s.found(), m.samples(), m.wireBytes(), durationNanos - (System.nanoTime() - started));
                if (s.finished()) {
                    c.end(); // every JVM is gone: nothing to wait for
                }
            });
            tick.done();
        });
    }

    /** Starts the session, runs {@code watch} until it returns, stops and merges. */
    public static Result run(InstanceSource source, StartRequest request, SessionClock clock, SessionMerger merger, Watch watch)
            throws Exception {
        long started = System.nanoTime();
        List<String> endedEarly = new ArrayList<>();
        try {
            source.start(request, merger);
            watch.watch(merger, source, clock);
            if (source.earlyEndIsPartial()) {
                for (SessionMerger.Stream s : merger.streams()) {
                    // Python workers come and go (PySpark): their end is reported as it happens, not partial
                    if (s.endReason() != null && s.error() == null && s.info().getRuntime() != FrameKind.PYTHON) {
                        endedEarly.add(s.label() + ": ended mid-session (" + s.endReason() + "); its samples until then are kept");
                    }
                }
            }
            source.stop(STOP_WAIT_MS);
        } finally {
            source.close();
        }
        Profile profile = merger.finish();
        double seconds = (System.nanoTime() - started) / 1e9;
        List<InstanceSource.Failed> failedAttaches = source.failed();
        List<String> errors = new ArrayList<>();
        for (InstanceSource.Failed f : failedAttaches) {
            errors.add(f.label() + ": " + f.error());
        }
        for (SessionMerger.Stream s : merger.streams()) {
            if (s.error() != null) {
                errors.add(s.label() + ": " + s.error());
            }
        }
        return new Result(profile, merger.streams(), failedAttaches, errors, endedEarly, source.found(), seconds, clock.interrupted());
    }
}

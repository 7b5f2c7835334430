package dev.cprof.cli;

import dev.cprof.profile.Profile;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.StartRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one profiling session over an {@link InstanceSource}: start, wait for the duration (or
 * Ctrl-C), stop everything (the last batches still come in, for at most {@link #STOP_WAIT_MS}),
 * merge. The result says what was found, what failed and what ended early; the caller writes.
 */
final class ProfilingSession {
    static final long STOP_WAIT_MS = 3_000;

    /** The outcome: the merged profile, its streams, and one line per failure. */
    record Result(Profile profile, List<SessionMerger.Stream> streams, List<InstanceSource.Failed> failedAttaches,
                  List<String> failures, int found, double seconds, boolean interrupted) {

        boolean anyAttached() {
            return !streams.isEmpty();
        }
    }

    private ProfilingSession() {}

    static Result run(InstanceSource source, StartRequest request, long durationNanos, SessionClock clock, Progress progress)
            throws Exception {
        return run(source, request, durationNanos, clock, progress, new SessionMerger());
    }

    /** The same with a given merger (a long session's, which rotates; see {@link SessionMerger#rotateEvery}). */
    static Result run(InstanceSource source, StartRequest request, long durationNanos, SessionClock clock, Progress progress,
            SessionMerger merger) throws Exception {
        long started = System.nanoTime();
        List<String> endedEarly = new ArrayList<>();
        try {
            source.start(request, merger);
            clock.await(durationNanos, () -> {
                progress.show(merger.streams().size(), source.found(), merger.samples(),
                        merger.wireBytes(), durationNanos - (System.nanoTime() - started));
                if (source.finished()) {
                    clock.end(); // every JVM is gone: nothing to wait for
                }
            });
            progress.clear();
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
        List<String> failures = new ArrayList<>();
        for (InstanceSource.Failed f : failedAttaches) {
            failures.add(f.label() + ": " + f.error());
        }
        for (SessionMerger.Stream s : merger.streams()) {
            if (s.error() != null) {
                failures.add(s.label() + ": " + s.error());
            }
        }
        failures.addAll(endedEarly);
        return new Result(profile, merger.streams(), failedAttaches, failures, source.found(), seconds, clock.interrupted());
    }
}

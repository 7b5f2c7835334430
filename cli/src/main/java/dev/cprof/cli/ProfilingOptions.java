package dev.cprof.cli;

import dev.cprof.profile.Events;
import dev.cprof.session.ExitCodes;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.StartRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import picocli.CommandLine.Option;

/** What to sample and for how long: the options of every command that profiles (like asprof's). */
public final class ProfilingOptions {
    @Option(names = {"-e", "--event"}, split = ",", paramLabel = "EVENT",
            description = "Events to sample, comma-separated: cpu, wall, alloc, lock, jdbc (default: cpu).")
    List<String> events = new ArrayList<>(List.of("cpu"));

    @Option(names = {"-i", "--interval"}, paramLabel = "TIME", defaultValue = "10ms", converter = DurationConverter.Interval.class,
            description = "Sampling interval of cpu and wall (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--alloc", paramLabel = "SIZE", defaultValue = "512k", converter = ByteSizeConverter.class,
            description = "Heap sampling interval of alloc, in bytes (default: ${DEFAULT-VALUE}).")
    long allocInterval;

    @Option(names = "--lock", paramLabel = "TIME", defaultValue = "10ms", converter = DurationConverter.Millis.class,
            description = "Lock waits longer than this are all recorded, shorter ones sampled in proportion to their length (default: ${DEFAULT-VALUE}).")
    Duration lockThreshold;

    @Option(names = "--jdbc", paramLabel = "TIME", defaultValue = "1ms", converter = DurationConverter.Millis.class,
            description = "JDBC calls longer than this are all recorded, shorter ones sampled in proportion to their length (default: ${DEFAULT-VALUE}).")
    Duration jdbcThreshold;

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", defaultValue = "30s", converter = DurationConverter.class,
            description = "How long to profile (default: ${DEFAULT-VALUE}); Ctrl-C ends early and still writes.")
    Duration duration;

    @Option(names = "--bucket", paramLabel = "TIME", defaultValue = "1s", converter = DurationConverter.class,
            description = "Width of the profile's time buckets (default: ${DEFAULT-VALUE}): the samples are kept per bucket,"
                    + " so any range of the session can be drawn or compared later (cprof convert --from/--to).")
    Duration bucket;

    /** A merger whose profile keeps time buckets of {@code --bucket}. */
    dev.cprof.session.SessionMerger newMerger() {
        if (bucket.isZero() || bucket.isNegative()) {
            throw new CliException(ExitCodes.USAGE, "--bucket: a positive duration, e.g. 1s or 5s");
        }
        dev.cprof.session.SessionMerger m = new dev.cprof.session.SessionMerger();
        m.bucket(bucket.toNanos());
        return m;
    }

    /**
     * The agent's batch period. Hidden, not a product option: tests shorten it so that batches
     * (and the faults they exercise) come sooner; the agent clamps it to 100 ms..60 s.
     */
    @Option(names = "--flush-interval", hidden = true, paramLabel = "TIME", defaultValue = "1000ms",
            converter = DurationConverter.Millis.class)
    Duration flushInterval;

    @Option(names = "--threads", description = "Root each stack at its thread's name.")
    boolean threads;

    @Option(names = "--lines", description = "Name Java frames with their line numbers.")
    boolean lines;

    @Option(names = "--include", paramLabel = "REGEX", description = "Keep only stacks with a frame matching REGEX.")
    String include;

    @Option(names = "--exclude", paramLabel = "REGEX", description = "Drop stacks with a frame matching REGEX.")
    String exclude;

    @Option(names = "--per-instance", description = "Root each stack at its instance (host:pid service).")
    boolean perInstance;

    @Option(names = "--python", description = "Also sample the Python processes under each JVM (PySpark workers,"
            + " CPython 3.11-3.13, read from outside), under a [python pid N] frame; workers that start"
            + " mid-session join.")
    boolean python;

    /** Validated event types, in the order given, without repeats. */
    Set<EventType> eventTypes() {
        Set<EventType> out = new LinkedHashSet<>();
        for (String e : events) {
            try {
                out.add(Events.parse(e));
            } catch (IllegalArgumentException ex) {
                throw new CliException(ExitCodes.USAGE, ex.getMessage());
            }
        }
        return out;
    }

    long durationNanos() {
        return duration.toNanos();
    }

    StartRequest startRequest(String sessionId) {
        StartRequest.Builder b = StartRequest.newBuilder()
                .setSessionId(sessionId)
                .setIntervalNs(interval.toNanos()) // at least 100 us: DurationConverter.Interval
                .setAllocIntervalBytes(allocInterval)
                .setLockThresholdNs(lockThreshold.toNanos())
                .setDurationMs(0) // the CLI ends the session itself, so Ctrl-C and -d behave the same
                .setFlushIntervalMs(flushInterval.toMillis())
                .setThreads(threads)
                .setLines(lines)
                .setPython(python)
                .putOptions("jdbc_threshold_ns", Long.toString(jdbcThreshold.toNanos()));
        for (EventType e : eventTypes()) {
            b.addEvents(e);
        }
        return b.build();
    }

    Pattern includePattern() {
        return pattern(include, "--include");
    }

    Pattern excludePattern() {
        return pattern(exclude, "--exclude");
    }

    private static Pattern pattern(String regex, String option) {
        if (regex == null) {
            return null;
        }
        try {
            return Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new CliException(ExitCodes.USAGE, option + ": invalid regular expression: " + e.getDescription());
        }
    }
}

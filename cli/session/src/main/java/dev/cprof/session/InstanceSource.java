package dev.cprof.session;

import dev.cprof.wire.proto.StartRequest;
import java.util.List;

/**
 * Where a session's instances come from and how they are attached: {@code --pid} (in process),
 * {@code --service} on this host (in process), {@code --service --zk} (through the hosts' peers).
 * Every source feeds the session's {@link SessionMerger}; instances it could not profile at all
 * are {@link Failed} rows.
 */
public interface InstanceSource extends AutoCloseable {

    /** An instance found but never profiled, and why. */
    record Failed(String label, long pid, String error) {}

    /** Starts finding and attaching; joiners keep being attached until {@link #stop}. */
    void start(StartRequest request, SessionMerger merger) throws Exception;

    /** Instances found so far (attached or not), for the progress line. */
    int found();

    /** Ends profiling everywhere and waits up to {@code waitMs} for the last batches. */
    void stop(long waitMs);

    /** Instances that could not be profiled at all. */
    List<Failed> failed();

    /**
     * When the session found no instance at all: the message of exit 4 (where it looked), or null
     * when an empty session is a plain failure (--pid: every pid was named, each has its error).
     */
    String nothingFound();

    /** True when an instance whose JVM ends mid-session makes the session partial (exit 3). */
    boolean earlyEndIsPartial();

    /**
     * True when nothing is left to profile and nothing can join (every --pid JVM ended or
     * failed): the session ends then instead of waiting out its duration.
     */
    default boolean finished() {
        return false;
    }

    /** What the session profiled, for the title and the metadata: "--pid [1, 2]", "--service checkout --instances 5%". */
    String describe();

    /**
     * With {@code --instances}: the instances chosen and admitted so far, of every one seen
     * ({@link InstanceSubset#summary}: "profiled 50 of 1,000 instances"); null when the source
     * profiles every instance it finds.
     */
    default InstanceSubset subset() {
        return null;
    }

    @Override
    default void close() {}
}

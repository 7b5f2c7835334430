package dev.cprof.python;

import dev.cprof.wire.proto.Batch;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.LockSupport;

/**
 * The Python side of one profiled JVM ({@code attach --python}): finds the Python processes that
 * descend from it ({@link PythonChildren}, rescanned every {@link #SCAN_MS} so PySpark workers
 * forked mid-session join), samples them with one {@link PythonSampler} and hands each one's
 * batches to a {@link Listener} once a second, as its own stream. Used by the CLI in local mode
 * and by the peer in fleet mode.
 *
 * <p>All listener calls come from one thread, in order: {@code started(pid)} before any
 * {@code batch(pid)}, and a process that exits gets its last batch, then {@code ended(pid)}.
 * A process that cannot be sampled (an unsupported version, no permission) is reported through
 * {@code warning} once per distinct reason, not once per process: PySpark forks many workers of
 * one interpreter. One that is still starting ("no interpreter") is tried again for a few seconds.
 */
public final class PythonFollower implements AutoCloseable {
    static final long SCAN_MS = 500;
    static final long FLUSH_MS = 1000;
    /** A python still initialising is retried on this many scans (~5 s) before it is a warning. */
    private static final int STARTING_RETRIES = 10;

    /** What the follower reports; every call is made on the follower's thread. */
    public interface Listener {
        /** A new Python process is being sampled; its batches follow. */
        void started(int pid, String version) throws InterruptedException;

        /** The process's samples since its last batch (stream-local dictionary deltas). */
        void batch(int pid, Batch batch) throws InterruptedException;

        /** The process ended mid-session ("exited"); everything it sampled was already delivered. */
        void ended(int pid, String reason);

        /** One line for the user: a process could not be sampled, and why. Not repeated. */
        void warning(String message);
    }

    private final PythonChildren children;
    private final PythonSampler sampler;
    private final Listener listener;
    private final Thread thread;
    private final Set<Integer> active = new HashSet<>();
    private final Map<Integer, Integer> starting = new LinkedHashMap<>();
    private final Set<String> warned = new HashSet<>();
    private final Map<Integer, String> ended = new HashMap<>();
    private volatile boolean running = true;
    private volatile boolean finished;

    public PythonFollower(int rootPid, Duration interval, boolean lines, Listener listener) {
        this.children = new PythonChildren(rootPid);
        this.sampler = new PythonSampler(interval, true, lines);
        this.listener = listener;
        this.thread = new Thread(this::loop, "cprof-python-" + rootPid);
        thread.setDaemon(true);
    }

    /** The sampling interval of {@code attach}: the session's cpu interval, at least 1 ms. */
    public static Duration interval(long intervalNs) {
        return Duration.ofNanos(Math.max(1_000_000, intervalNs == 0 ? 10_000_000 : intervalNs));
    }

    public PythonFollower start() {
        sampler.start();
        thread.start();
        return this;
    }

    private void loop() {
        long nextFlush = System.nanoTime() + FLUSH_MS * 1_000_000;
        try {
            while (running) {
                scan();
                if (System.nanoTime() - nextFlush >= 0) {
                    flushAll();
                    nextFlush += FLUSH_MS * 1_000_000;
                }
                LockSupport.parkNanos(SCAN_MS * 1_000_000);
            }
            flushAll(); // the tail of every process
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            finished = true;
        }
    }

    private void scan() throws InterruptedException {
        if (children.rootAlive()) {
            for (int pid : children.rescan()) {
                starting.put(pid, 0);
            }
        }
        for (var it = starting.entrySet().iterator(); it.hasNext(); ) {
            var e = it.next();
            int pid = e.getKey();
            try {
                String version = sampler.add(pid);
                it.remove();
                active.add(pid);
                listener.started(pid, version);
            } catch (PythonAttachException ex) {
                String why = ex.getMessage();
                if (ProcStat.read(pid) == null) {
                    it.remove(); // gone before we could read it: nothing to report
                } else if (why.contains("no interpreter") && e.getValue() < STARTING_RETRIES) {
                    e.setValue(e.getValue() + 1);
                } else {
                    it.remove();
                    warn(pid, why);
                }
            }
        }
    }

    private void warn(int pid, String why) {
        String reason = why.replaceFirst("^pid " + pid + "[: ]\\s*", "");
        if (warned.add(reason)) {
            listener.warning("python pid " + pid + " (under pid " + children.root() + ") not sampled: " + reason);
        }
    }

    private void flushAll() throws InterruptedException {
        for (var it = active.iterator(); it.hasNext(); ) {
            int pid = it.next();
            String endReason = sampler.endReason(pid);
            Batch b = sampler.flush(pid);
            if (b != null) { // empty ones too: the stream's sequence has no gaps
                listener.batch(pid, b);
            }
            if (endReason != null) {
                sampler.remove(pid);
                it.remove();
                ended.put(pid, endReason);
                listener.ended(pid, endReason);
            }
        }
    }

    /** Stops sampling and delivers the last batch of every process (waits up to {@code waitMs}). */
    public void stop(long waitMs) {
        running = false;
        LockSupport.unpark(thread);
        if (thread.isAlive()) {
            try {
                thread.join(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        sampler.close();
    }

    public boolean finished() {
        return finished;
    }

    @Override
    public void close() {
        stop(2000);
    }
}

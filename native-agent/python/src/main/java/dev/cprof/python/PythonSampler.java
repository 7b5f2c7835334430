package dev.cprof.python;

import dev.cprof.wire.BatchEncoder;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Dropped;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;

/**
 * Samples the Python stacks of a set of processes on one thread at a fixed interval and
 * encodes them, per pid, into a stream of {@link Batch}es (stream-local dictionary, as the
 * agent does for a JVM). The owner calls {@link #flush(int)} once a second per pid.
 *
 * <p>Event CPU: a thread is counted only while the kernel has it running (state R in
 * /proc/PID/task/TID/stat), so threads blocked on I/O or on the GIL are idle, as in py-spy's
 * default; weight = the interval. Torn reads are counted in {@code Dropped.other}. A process
 * that exits is marked ended (see {@link #endReason}); its data up to then stays flushable.
 */
public final class PythonSampler implements AutoCloseable {
    private final long intervalNs;
    private final boolean rootFrame;
    private final boolean lines;
    private final Map<Integer, Target> targets = new ConcurrentHashMap<>();
    private volatile BiConsumer<Integer, String> onEnded = (pid, reason) -> {};
    private volatile boolean running;
    private Thread thread;

    /** One sampled process and its stream. Guarded by its own monitor. */
    private static final class Target {
        final PythonProcess process;
        final BatchEncoder encoder = new BatchEncoder();
        long ticks;
        long samples;
        long dropped;
        long droppedSinceFlush;
        volatile String endReason;

        Target(PythonProcess process) {
            this.process = process;
        }
    }

    /**
     * @param interval sampling period, e.g. 10 ms
     * @param rootFrame put a PSEUDO root frame "[python pid N]" above each stack
     * @param lines put the executing line on each frame (else 0: one frame per function)
     */
    public PythonSampler(Duration interval, boolean rootFrame, boolean lines) {
        if (interval.toNanos() < 1_000_000) {
            throw new IllegalArgumentException("interval below 1 ms: " + interval);
        }
        this.intervalNs = interval.toNanos();
        this.rootFrame = rootFrame;
        this.lines = lines;
    }

    /** Called once on the sampling thread when a process ends: (pid, reason). */
    public void onEnded(BiConsumer<Integer, String> listener) {
        this.onEnded = listener;
    }

    /**
     * Starts sampling {@code pid}; returns its Python version ("3.11.7").
     *
     * @throws PythonAttachException not CPython or unsupported: warn once and go on
     */
    public String add(int pid) throws PythonAttachException {
        if (targets.containsKey(pid)) {
            return targets.get(pid).process.version();
        }
        PythonProcess p = PythonProcess.attach(pid);
        targets.put(pid, new Target(p));
        return p.version();
    }

    /** Stops sampling {@code pid} and forgets its stream (flush it first to keep its tail). */
    public void remove(int pid) {
        Target t = targets.remove(pid);
        if (t != null) {
            synchronized (t) {
                t.process.close();
            }
        }
    }

    public Set<Integer> pids() {
        return new TreeSet<>(targets.keySet());
    }

    /** Null while {@code pid} is being sampled, else why it ended ("exited", ...). */
    public String endReason(int pid) {
        Target t = targets.get(pid);
        return t == null ? "not sampled" : t.endReason;
    }

    /** Samples taken (stacks recorded) for {@code pid} so far. */
    public long samples(int pid) {
        Target t = targets.get(pid);
        return t == null ? 0 : t.samples;
    }

    /** Stacks dropped as torn reads for {@code pid} so far. */
    public long dropped(int pid) {
        Target t = targets.get(pid);
        return t == null ? 0 : t.dropped;
    }

    /** Everything new for {@code pid} since its last flush, or null for a pid not sampled. */
    public Batch flush(int pid) {
        Target t = targets.get(pid);
        if (t == null) {
            return null;
        }
        synchronized (t) {
            Batch b = t.encoder.flush();
            long d = t.droppedSinceFlush;
            t.droppedSinceFlush = 0;
            return d == 0 ? b : b.toBuilder().setDropped(Dropped.newBuilder().setOther(d)).build();
        }
    }

    public synchronized void start() {
        if (thread != null) {
            return;
        }
        running = true;
        thread = new Thread(this::loop, "cprof-python-sampler");
        thread.setDaemon(true);
        thread.start();
    }

    private void loop() {
        long next = System.nanoTime();
        while (running) {
            for (Map.Entry<Integer, Target> e : targets.entrySet()) {
                sampleOnce(e.getKey(), e.getValue());
            }
            next += intervalNs;
            long now = System.nanoTime();
            if (next < now) {
                next = now; // fell behind (a slow read): skip ticks rather than burst
            }
            LockSupport.parkNanos(next - now);
        }
    }

    /** One tick for one pid; visible for tests, which drive it without the thread. */
    void sampleOnce(int pid, Target t) {
        if (t.endReason != null) {
            return;
        }
        synchronized (t) {
            try {
                PythonProcess.Snapshot s = t.process.sample(tid -> isRunning(pid, tid));
                t.dropped += s.droppedThreads();
                t.droppedSinceFlush += s.droppedThreads();
                for (PythonStack stack : s.stacks()) {
                    record(t, pid, stack);
                }
                // A torn read may mean the process is exiting; and every ~second, catch pid reuse.
                if ((s.droppedThreads() > 0 || ++t.ticks % 128 == 0) && !sameProcess(t)) {
                    end(pid, t, "exited");
                }
            } catch (ProcessGoneException e) {
                end(pid, t, e.reason());
            } catch (RuntimeException e) {
                // A bug must not kill sampling of the other pids: count it and keep going.
                t.dropped++;
                t.droppedSinceFlush++;
            }
        }
    }

    private void record(Target t, int pid, PythonStack stack) {
        List<PythonFrame> frames = stack.frames();
        int base = rootFrame ? 1 : 0;
        int[] ids = new int[frames.size() + base];
        if (rootFrame) {
            ids[0] = t.encoder.frame("[python pid " + pid + "]", FrameKind.PSEUDO, 0);
        }
        for (int i = 0; i < frames.size(); i++) {
            PythonFrame f = frames.get(i);
            ids[base + i] = t.encoder.frame(f.displayName(), FrameKind.PYTHON, lines ? f.line() : 0);
        }
        t.encoder.sample(t.encoder.stack(ids), EventType.CPU, 1, intervalNs);
        t.samples++;
    }

    private void end(int pid, Target t, String reason) {
        t.endReason = reason;
        try {
            onEnded.accept(pid, reason);
        } catch (RuntimeException ignored) {
            // the listener's problem, not the sampler's
        }
    }

    /** False once the pid is gone, a zombie, or reused by another process. */
    private static boolean sameProcess(Target t) {
        ProcStat s = ProcStat.read(t.process.pid());
        return s != null && s.alive() && s.startTime() == t.process.startTime();
    }

    private static boolean isRunning(int pid, long tid) {
        ProcStat s = ProcStat.read(pid + "/task/" + tid);
        return s != null && s.state() == 'R';
    }

    @Override
    public void close() {
        Thread th;
        synchronized (this) {
            running = false;
            th = thread;
            thread = null;
        }
        if (th != null) {
            LockSupport.unpark(th);
            try {
                th.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        for (Integer pid : pids()) {
            remove(pid);
        }
    }
}

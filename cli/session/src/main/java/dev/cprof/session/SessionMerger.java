package dev.cprof.session;

import dev.cprof.profile.MergeException;
import dev.cprof.profile.Profile;
import dev.cprof.profile.StreamMerger;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.InstanceInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Merges the batch streams of a session's instances into one profile on one thread. Reader
 * threads hand batches over a bounded queue, so a slow merge slows the readers (and through
 * TCP, the senders) instead of growing memory. A stream that fails keeps what it merged.
 */
public final class SessionMerger implements AutoCloseable {
    private static final int QUEUE_CAPACITY = 4096;
    /**
     * Parsed batches waiting for the merge thread are also bounded by size: an attach burst of
     * many instances sends large first batches (their dictionaries), and a count bound alone
     * would let them pile up in the heap. Counted in KiB of serialized size.
     */
    private static final int QUEUED_KIB = 32 * 1024;
    private final java.util.concurrent.Semaphore queuedKib = new java.util.concurrent.Semaphore(QUEUED_KIB);
    /** The profile being merged into; replaced only on the merge thread, by a rotation. */
    private volatile Profile profile = timed(new Profile(), dev.cprof.profile.Timeline.DEFAULT_BUCKET_NS);
    /** Width of the profile's time buckets (values are kept per bucket: any range can be drawn later). */
    private volatile long bucketNs = dev.cprof.profile.Timeline.DEFAULT_BUCKET_NS;
    /** Long sessions ({@link #rotateEvery}): the interval, the next boundary, where full intervals go. */
    private volatile long rotateNanos;
    private long nextRotation;
    private java.util.function.Consumer<Profile> rotated;
    private final java.util.concurrent.ConcurrentLinkedQueue<java.util.concurrent.CompletableFuture<Profile>> rotateRequests =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final List<Stream> streams = new ArrayList<>();
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread thread;
    private volatile boolean closing;

    private record Item(Stream stream, Batch batch, long wireBytes, int kib) {}

    public SessionMerger() {
        thread = new Thread(this::run, "cprof-merge");
        thread.setDaemon(true);
        thread.start();
    }

    private static Profile timed(Profile p, long bucketNs) {
        p.keepTime(bucketNs);
        return p;
    }

    /** Time buckets of {@code nanos} instead of 1 s; call before the first {@link #open}. */
    public synchronized void bucket(long nanos) {
        if (!streams.isEmpty() || nanos <= 0) {
            throw new IllegalStateException("bucket: a positive width, before the first stream");
        }
        bucketNs = nanos;
        profile = timed(new Profile(), nanos);
    }

    /** A new instance of the session; its batches go through {@link Stream#offer}. */
    public Stream open(InstanceInfo info) {
        return open(info, null);
    }

    /**
     * A new instance, child of {@code parent} when not null (a Python worker of a JVM). The instance's
     * id in the profile is its index + 1, session-wide: a peer's ids are per connection (every peer
     * starts at 1) and only route its messages, which the caller does by the peer's id; batches
     * carry no id. A child's parent_instance_id names its parent's profile id, which
     * {@link dev.cprof.profile.Views#perInstance} follows. Once per instance, not per batch.
     */
    public synchronized Stream open(InstanceInfo info, Stream parent) {
        int index;
        synchronized (profile) {
            index = profile.instances().size();
            InstanceInfo.Builder b = info.toBuilder().setInstanceId(index + 1);
            if (parent != null) {
                b.setParentInstanceId(parent.info.getInstanceId());
            } else {
                b.clearParentInstanceId(); // a peer's connection-local id means nothing here
            }
            info = b.build();
            profile.addInstance(info);
        }
        Stream s = new Stream(index, info, rotateNanos > 0 ? StreamMerger.rotatable(profile, index) : new StreamMerger(profile, index));
        streams.add(s);
        return s;
    }

    public synchronized List<Stream> streams() {
        return new ArrayList<>(streams);
    }

    private void run() {
        try {
            while (!closing || !queue.isEmpty()) {
                Item item = queue.poll(rotateNanos > 0 ? 10 : 100, TimeUnit.MILLISECONDS);
                if (item != null && item.stream == null) {
                    rotateRequests.remove().complete(rotateNow());
                } else if (item != null) {
                    try {
                        mergeOne(item);
                    } finally {
                        queuedKib.release(item.kib);
                    }
                }
                if (rotateNanos > 0 && System.nanoTime() - nextRotation >= 0) {
                    nextRotation += rotateNanos;
                    rotated.accept(rotateNow());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void mergeOne(Item item) {
        Stream s = item.stream;
        if (s.error != null) {
            return;
        }
        try {
            synchronized (profile) {
                s.merger.merge(item.batch);
            }
            s.batches++;
            s.wireBytes += item.wireBytes;
        } catch (MergeException e) {
            s.fail("stream broke: " + e.getMessage());
        }
    }

    /**
     * Makes this a long session's merger: every {@code intervalNanos} (from now) the merge thread
     * starts a fresh profile and hands the full one to {@code sink} (which should not block for
     * long). Call before the first {@link #open}.
     */
    public synchronized void rotateEvery(long intervalNanos, java.util.function.Consumer<Profile> sink) {
        if (!streams.isEmpty() || intervalNanos <= 0) {
            throw new IllegalStateException("rotateEvery: a positive interval, before the first stream");
        }
        rotated = sink;
        nextRotation = System.nanoTime() + intervalNanos;
        rotateNanos = intervalNanos;
    }

    /**
     * Ends the current interval now: returns its profile, with every batch offered before this
     * call, and merges later ones into a fresh profile. Needs {@link #rotateEvery}.
     */
    public Profile rotate() throws InterruptedException {
        var done = new java.util.concurrent.CompletableFuture<Profile>();
        rotateRequests.add(done);
        queue.put(new Item(null, null, 0, 0));
        try {
            return done.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** On the merge thread: swaps in a fresh profile with the same instances (same indexes). */
    private Profile rotateNow() {
        Profile old = profile;
        Profile next = timed(new Profile(), bucketNs);
        synchronized (this) {
            for (Stream s : streams) {
                next.addInstance(s.info);
                s.merger.retarget(next, s.index, dev.cprof.profile.StackTree.ROOT);
            }
            next.metadata().putAll(old.metadata());
            for (var e : old.events()) {
                next.declareEvent(e);
            }
            profile = next;
        }
        return old;
    }

    /** Runs {@code f} on the current profile under its lock (the merge waits meanwhile: keep it short). */
    public <T> T withProfile(java.util.function.Function<Profile, T> f) {
        Profile p = profile;
        synchronized (p) {
            return f.apply(p);
        }
    }

    /** Waits until everything queued is merged, then returns the profile. */
    public Profile finish() {
        closing = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return profile;
    }

    /** Samples merged so far over all instances (for progress lines). */
    public synchronized long samples() {
        long n = 0;
        for (Stream s : streams) {
            n += s.merger.samples();
        }
        return n;
    }

    public synchronized long wireBytes() {
        long n = 0;
        for (Stream s : streams) {
            n += s.wireBytes;
        }
        return n;
    }

    @Override
    public void close() {
        finish();
    }

    /** One instance's stream: its counters and its fate. */
    public final class Stream {
        final int index;
        final InstanceInfo info;
        final StreamMerger merger;
        volatile long batches;
        volatile long wireBytes;
        volatile String error;
        volatile String endReason;

        private Stream(int index, InstanceInfo info, StreamMerger merger) {
            this.index = index;
            this.info = info;
            this.merger = merger;
        }

        /** Hands a batch to the merge thread; blocks while the queue is full. */
        public void offer(Batch batch, long wireBytes) throws InterruptedException {
            // A batch larger than the whole budget still passes, alone.
            int kib = Math.min(QUEUED_KIB, batch.getSerializedSize() / 1024 + 1);
            queuedKib.acquire(kib);
            queue.put(new Item(this, batch, wireBytes, kib));
        }

        public void fail(String message) {
            if (error == null) {
                error = message;
            }
        }

        public void ended(String reason) {
            endReason = reason;
        }

        public InstanceInfo info() {
            return info;
        }

        public String label() {
            return Profile.instanceLabel(info);
        }

        public long samples() {
            return merger.samples();
        }

        public long wireBytes() {
            return wireBytes;
        }

        public String error() {
            return error;
        }

        public String endReason() {
            return endReason;
        }
    }
}

package dev.cprof.cli;

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
    private final Profile profile = new Profile();
    private final List<Stream> streams = new ArrayList<>();
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE_CAPACITY);
    private final Thread thread;
    private volatile boolean closing;

    private record Item(Stream stream, Batch batch, long wireBytes) {}

    public SessionMerger() {
        thread = new Thread(this::run, "cprof-merge");
        thread.setDaemon(true);
        thread.start();
    }

    /** A new instance of the session; its batches go through {@link Stream#offer}. */
    public synchronized Stream open(InstanceInfo info) {
        int index;
        synchronized (profile) {
            index = profile.addInstance(info);
        }
        Stream s = new Stream(index, info, new StreamMerger(profile, index));
        streams.add(s);
        return s;
    }

    public synchronized List<Stream> streams() {
        return new ArrayList<>(streams);
    }

    private void run() {
        try {
            while (!closing || !queue.isEmpty()) {
                Item item = queue.poll(100, TimeUnit.MILLISECONDS);
                if (item != null) {
                    mergeOne(item);
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
            queue.put(new Item(this, batch, wireBytes));
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

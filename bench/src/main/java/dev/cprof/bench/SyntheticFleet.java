package dev.cprof.bench;

import dev.cprof.wire.BatchEncoder;
import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/**
 * A synthetic fleet of one service: every instance runs the same code, so all streams share
 * one dictionary (the same strings, frames and 5,000 stacks, in the same stream-local ids),
 * but each instance has its own hotness: a global Zipf popularity of the stacks times a
 * per-instance log-normal factor. Each stream sends 1 s batches of exactly
 * {@link #SAMPLES_PER_BATCH} cpu samples (100 Hz), aggregated per stack as the agent does;
 * the first batch of a stream also carries the whole dictionary.
 *
 * <p>Stacks are built like a real call tree: a few thread roots, and every further stack
 * shares a prefix of an earlier one before branching off, 30..50 frames deep (mean 40).
 * Deterministic for a given seed.
 */
public final class SyntheticFleet {
    public static final int STACKS = 5_000;
    public static final int FRAMES = 3_000;
    public static final int SAMPLES_PER_BATCH = 100;
    /** cpu at 100 Hz: 10 ms of CPU per sample. */
    public static final long NANOS_PER_SAMPLE = 10_000_000L;
    /** Zipf exponent of the global stack popularity. */
    static final double ZIPF_S = 1.0;
    /** Sigma of the per-instance log-normal hotness factor. */
    static final double INSTANCE_SIGMA = 1.0;
    static final long T0 = 1_795_000_000_000_000_000L; // an epoch-ns start time

    private final long seed;
    private final double[] globalWeight = new double[STACKS];
    private final int[][] stacks = new int[STACKS][];
    /** Strings, frames and stacks of a stream, sequence 1, no samples. */
    private final Batch dictionary;
    private final int dictStrings;
    private final int dictFrames;

    public SyntheticFleet(long seed) {
        this.seed = seed;
        Random rnd = new Random(seed);
        BatchEncoder enc = new BatchEncoder();
        int[] frameIds = new int[FRAMES];
        for (int f = 0; f < FRAMES; f++) {
            FrameKind kind = f < FRAMES * 9 / 10 ? FrameKind.JAVA : (f < FRAMES * 97 / 100 ? FrameKind.NATIVE : FrameKind.KERNEL);
            frameIds[f] = enc.frame(frameName(f, kind), kind, 0);
        }
        Set<IntArray> seen = new HashSet<>();
        int roots = 8;
        for (int k = 0; k < STACKS; k++) {
            int[] s;
            do {
                int depth = 30 + rnd.nextInt(21);
                s = new int[depth];
                int prefix = 0;
                if (k >= roots) {
                    int[] p = stacks[rnd.nextInt(k)];
                    int lo = p.length / 4;
                    prefix = lo + rnd.nextInt(Math.min(p.length, depth) - lo);
                    System.arraycopy(p, 0, s, 0, prefix);
                }
                for (int i = prefix; i < depth; i++) {
                    s[i] = frameIds[rnd.nextInt(FRAMES)];
                }
            } while (!seen.add(new IntArray(s)));
            stacks[k] = s;
            int id = enc.stack(s);
            if (id != k) {
                throw new IllegalStateException("stack id " + id + " != " + k);
            }
        }
        // Global popularity: Zipf over a random permutation of the stacks.
        int[] perm = new int[STACKS];
        for (int i = 0; i < STACKS; i++) {
            perm[i] = i;
        }
        for (int i = STACKS - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        for (int rank = 0; rank < STACKS; rank++) {
            globalWeight[perm[rank]] = 1.0 / Math.pow(rank + 1, ZIPF_S);
        }
        dictionary = enc.flush().toBuilder().setStartTimeNs(0).setEndTimeNs(0).build();
        dictStrings = dictionary.getNewStringsCount();
        dictFrames = dictionary.getNewFramesCount();
    }

    private static String frameName(int f, FrameKind kind) {
        return switch (kind) {
            case NATIVE -> "libjvm.so`" + "JVM_Native_" + f;
            case KERNEL -> "do_syscall_64_" + f + "_[k]";
            default -> "com.example.checkout.module" + (f % 37) + ".Service" + (f % 211) + "$Handler.handle" + f;
        };
    }

    /** The dictionary batch (strings, frames, stacks; no samples). */
    public Batch dictionary() {
        return dictionary;
    }

    /** Root-first stream-local frame ids of a stack. */
    public int[] stack(int k) {
        return stacks[k];
    }

    public int treeFramesTotal() {
        int n = 0;
        for (int[] s : stacks) {
            n += s.length;
        }
        return n;
    }

    /** The stream of one instance: its batches in order, sequence 1 carrying the dictionary. */
    public Stream stream(int instance) {
        return new Stream(instance);
    }

    public final class Stream {
        private final double[] cumulative = new double[STACKS];
        private final Random rnd;
        private final int[] counts = new int[STACKS];
        private final int[] touched = new int[SAMPLES_PER_BATCH];
        private long sequence;

        Stream(int instance) {
            this.rnd = new Random(seed * 1_000_003L + instance);
            double sum = 0;
            for (int k = 0; k < STACKS; k++) {
                sum += globalWeight[k] * Math.exp(INSTANCE_SIGMA * rnd.nextGaussian());
                cumulative[k] = sum;
            }
        }

        /** The next 1 s batch; the first one carries the dictionary. */
        public Batch next() {
            return next(-1);
        }

        /**
         * The next batch, with the given sequence number instead of the stream's own when
         * {@code sequenceOverride ≥ 0} (0 = unsequenced, used to replay batches in a loop).
         */
        public Batch next(long sequenceOverride) {
            long seq = ++sequence;
            Batch.Builder b;
            if (seq == 1) {
                b = dictionary.toBuilder();
            } else {
                b = Batch.newBuilder().setStringBase(dictStrings).setFrameBase(dictFrames).setStackBase(STACKS);
            }
            b.setSequence(sequenceOverride >= 0 ? sequenceOverride : seq);
            long start = T0 + (seq - 1) * 1_000_000_000L;
            b.setStartTimeNs(start).setEndTimeNs(start + 1_000_000_000L);
            int distinct = 0;
            double total = cumulative[STACKS - 1];
            for (int i = 0; i < SAMPLES_PER_BATCH; i++) {
                int k = Arrays.binarySearch(cumulative, rnd.nextDouble() * total);
                if (k < 0) {
                    k = -k - 1;
                }
                if (k >= STACKS) {
                    k = STACKS - 1;
                }
                if (counts[k]++ == 0) {
                    touched[distinct++] = k;
                }
            }
            long[] c = new long[distinct];
            long[] w = new long[distinct];
            for (int i = 0; i < distinct; i++) {
                int k = touched[i];
                c[i] = counts[k];
                w[i] = counts[k] * NANOS_PER_SAMPLE;
                counts[k] = 0;
            }
            if (distinct > 0) {
                b.addSampleGroups(SampleGroups.build(EventType.CPU, touched, c, w, distinct));
            }
            return b.build();
        }
    }

    private record IntArray(int[] a) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IntArray x && Arrays.equals(a, x.a);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(a);
        }
    }
}

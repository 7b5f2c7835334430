package dev.cprof.profile;

import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.SampleGroup;
import dev.cprof.wire.proto.Stack;
import java.util.Arrays;

/**
 * Merges the batches of one stream (one instance) into a profile. Keeps the stream's
 * dictionary as remap tables: stream string/frame id → profile id, and stream stack id →
 * tree leaf, so a sample costs two array reads and one value-table update.
 *
 * <p>A {@linkplain #rotatable rotatable} merger also keeps the stream's own dictionary (its
 * strings, frames and stacks in stream ids), which outlives profiles: {@link #retarget} points
 * it at a fresh profile (long sessions start one per interval) and the remap tables are rebuilt
 * lazily, so the new profile gets only the strings, frames and stacks its samples use.
 */
public final class StreamMerger {
    private Profile profile;
    private int instance;
    private int root;
    /** Rotatable only: the stream's dictionary in its own ids (strings; frames; stacks as a flat frame list). */
    private final boolean keep;
    private String[] rawStrings;
    private int[] rawFrames; // 4 ints per frame: name string, kind number, type number, line
    private int[] stackStart;
    private int[] stackFrames;
    private int stackFramesSize;
    private int[] stringMap = new int[256];
    private int strings;
    private int[] frameMap = new int[256];
    private int frames;
    private int[] stackLeaf = new int[256];
    private int stacks;
    private int[] scratch = new int[64];
    private long lastSequence;
    private long samples;

    public StreamMerger(Profile profile, int instance) {
        this(profile, instance, StackTree.ROOT);
    }

    /** Stacks of this stream go under {@code root} (e.g. a Python worker under its JVM's node). */
    public StreamMerger(Profile profile, int instance, int root) {
        this(profile, instance, root, false);
    }

    private StreamMerger(Profile profile, int instance, int root, boolean keep) {
        this.profile = profile;
        this.instance = instance;
        this.root = root;
        this.keep = keep;
        if (keep) {
            rawStrings = new String[256];
            rawFrames = new int[4 * 256];
            stackStart = new int[257];
            stackFrames = new int[4096];
        }
    }

    /** A merger that can {@link #retarget} to a new profile; keeps the stream's dictionary (stream ids) for that. */
    public static StreamMerger rotatable(Profile profile, int instance) {
        return new StreamMerger(profile, instance, StackTree.ROOT, true);
    }

    /**
     * From now on merges into {@code next} (as {@code instance}, stacks under {@code root}). The
     * stream's dictionary stays; its entries enter {@code next} when a sample first needs them.
     */
    public void retarget(Profile next, int instance, int root) {
        if (!keep) {
            throw new IllegalStateException("not a rotatable stream merger");
        }
        this.profile = next;
        this.instance = instance;
        this.root = root;
        Arrays.fill(stringMap, 0, strings, -1);
        Arrays.fill(frameMap, 0, frames, -1);
        Arrays.fill(stackLeaf, 0, stacks, -1);
    }

    /**
     * Merges one batch. A batch whose dictionary bases or sequence do not continue the stream
     * is refused as a whole, before anything is merged.
     */
    public void merge(Batch batch) throws MergeException {
        validate(batch);
        lastSequence = batch.getSequence();
        for (String s : batch.getNewStringsList()) {
            stringMap = ensure(stringMap, strings);
            if (keep) {
                rawStrings = strings < rawStrings.length ? rawStrings : Arrays.copyOf(rawStrings, rawStrings.length * 2);
                rawStrings[strings] = s;
            }
            stringMap[strings++] = profile.strings.intern(s);
        }
        for (Frame f : batch.getNewFramesList()) {
            frameMap = ensure(frameMap, frames);
            if (keep) {
                rawFrames = 4 * frames + 3 < rawFrames.length ? rawFrames : Arrays.copyOf(rawFrames, rawFrames.length * 2);
                rawFrames[4 * frames] = f.getName();
                rawFrames[4 * frames + 1] = f.getKindValue();
                rawFrames[4 * frames + 2] = f.getTypeValue();
                rawFrames[4 * frames + 3] = f.getLine();
            }
            frameMap[frames++] = profile.frames.intern(string(f.getName()), f.getKind(), f.getType(), f.getLine());
        }
        for (Stack s : batch.getNewStacksList()) {
            int n = s.getFramesCount();
            if (scratch.length < n) {
                scratch = new int[Math.max(n, scratch.length * 2)];
            }
            for (int i = 0; i < n; i++) {
                scratch[i] = frame(s.getFrames(i));
            }
            stackLeaf = ensure(stackLeaf, stacks);
            if (keep) {
                keepStack(s);
            }
            stackLeaf[stacks++] = profile.tree.insert(root, scratch, n);
        }
        long time = batchTime(batch);
        for (int k = 0, groups = batch.getSampleGroupsCount(); k < groups; k++) {
            SampleGroup g = batch.getSampleGroups(k);
            EventType event = g.getEvent();
            boolean explicit = g.getWeightsCount() != 0;
            long unit = g.getUnitWeight();
            int stack = 0;
            for (int i = 0, n = g.getStackDeltasCount(); i < n; i++) {
                stack += g.getStackDeltas(i); // validated: ascending, every id defined
                int leaf = stackLeaf[stack];
                if (leaf < 0) {
                    leaf = resolveStack(stack);
                }
                long count = g.getCounts(i);
                profile.addValueAt(leaf, instance, event, count, explicit ? g.getWeights(i) : count * unit, time);
                samples += count;
            }
        }
        if (batch.hasDropped()) {
            profile.addDropped(batch.getDropped());
        }
        profile.coverTime(batch.getStartTimeNs(), batch.getEndTimeNs());
    }

    /**
     * The instant a batch's samples are filed under in a timeline: the middle of the span it
     * covers (a 1 s batch rarely starts on a bucket's boundary; its middle is in the bucket
     * that holds most of it), else whichever end is known, else 0 (unknown).
     */
    static long batchTime(Batch b) {
        long start = b.getStartTimeNs();
        long end = b.getEndTimeNs();
        if (start > 0 && end >= start) {
            return start + (end - start) / 2;
        }
        return end > 0 ? end : start;
    }

    private void validate(Batch b) throws MergeException {
        if (b.getSequence() != 0 && lastSequence != 0 && b.getSequence() != lastSequence + 1) {
            throw new MergeException("batch " + b.getSequence() + " after " + lastSequence + ": the stream lost batches");
        }
        if (b.getStringBase() != strings || b.getFrameBase() != frames || b.getStackBase() != stacks) {
            throw new MergeException("batch " + b.getSequence() + " does not continue the stream's dictionary (bases "
                    + b.getStringBase() + "/" + b.getFrameBase() + "/" + b.getStackBase() + ", expected "
                    + strings + "/" + frames + "/" + stacks + ")");
        }
        int stringCount = strings + b.getNewStringsCount();
        for (Frame f : b.getNewFramesList()) {
            if (Integer.compareUnsigned(f.getName(), stringCount) >= 0) { // uint32 on the wire
                throw new MergeException("frame refers to unknown string " + Integer.toUnsignedString(f.getName()));
            }
        }
        int frameCount = frames + b.getNewFramesCount();
        for (Stack s : b.getNewStacksList()) {
            for (int i = 0, n = s.getFramesCount(); i < n; i++) {
                if (Integer.compareUnsigned(s.getFrames(i), frameCount) >= 0) {
                    throw new MergeException("stack refers to unknown frame " + Integer.toUnsignedString(s.getFrames(i)));
                }
            }
        }
        int stackCount = stacks + b.getNewStacksCount();
        for (int k = 0, groups = b.getSampleGroupsCount(); k < groups; k++) {
            String bad = SampleGroups.check(b.getSampleGroups(k), stackCount);
            if (bad != null) {
                throw new MergeException(bad);
            }
        }
    }

    /** The profile id of a stream string; after a retarget, interned on first use. */
    private int string(int id) {
        int m = stringMap[id];
        if (m < 0) {
            m = stringMap[id] = profile.strings.intern(rawStrings[id]);
        }
        return m;
    }

    private int frame(int id) {
        int m = frameMap[id];
        if (m < 0) {
            FrameKind kind = FrameKind.forNumber(rawFrames[4 * id + 1]);
            FrameType type = FrameType.forNumber(rawFrames[4 * id + 2]);
            m = frameMap[id] = profile.frames.intern(string(rawFrames[4 * id]),
                    kind == null ? FrameKind.UNRECOGNIZED : kind, type == null ? FrameType.UNRECOGNIZED : type, rawFrames[4 * id + 3]);
        }
        return m;
    }

    private void keepStack(Stack s) {
        int n = s.getFramesCount();
        if (stackFramesSize + n > stackFrames.length) {
            stackFrames = Arrays.copyOf(stackFrames, Math.max(stackFramesSize + n, stackFrames.length * 2));
        }
        for (int i = 0; i < n; i++) {
            stackFrames[stackFramesSize++] = s.getFrames(i);
        }
        if (stacks + 1 >= stackStart.length) {
            stackStart = Arrays.copyOf(stackStart, stackStart.length * 2);
        }
        stackStart[stacks + 1] = stackFramesSize;
    }

    /** After a retarget: the stack's leaf in the current profile, inserted on first use. */
    private int resolveStack(int stack) {
        int from = stackStart[stack];
        int n = stackStart[stack + 1] - from;
        if (scratch.length < n) {
            scratch = new int[Math.max(n, scratch.length * 2)];
        }
        for (int i = 0; i < n; i++) {
            scratch[i] = frame(stackFrames[from + i]);
        }
        return stackLeaf[stack] = profile.tree.insert(root, scratch, n);
    }

    private static int[] ensure(int[] a, int index) {
        return index < a.length ? a : Arrays.copyOf(a, a.length * 2);
    }

    public int instance() {
        return instance;
    }

    /** Samples (counts over all events) merged from this stream. */
    public long samples() {
        return samples;
    }
}

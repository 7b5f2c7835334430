package dev.cprof.profile;

import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.Sample;
import dev.cprof.wire.proto.Stack;
import java.util.Arrays;

/**
 * Merges the batches of one stream (one instance) into a profile. Keeps the stream's
 * dictionary as remap tables: stream string/frame id → profile id, and stream stack id →
 * tree leaf, so a sample costs two array reads and one value-table update.
 */
public final class StreamMerger {
    private final Profile profile;
    private final int instance;
    private final int root;
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
        this.profile = profile;
        this.instance = instance;
        this.root = root;
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
            stringMap[strings++] = profile.strings.intern(s);
        }
        for (Frame f : batch.getNewFramesList()) {
            frameMap = ensure(frameMap, frames);
            frameMap[frames++] = profile.frames.intern(stringMap[f.getName()], f.getKind(), f.getLine());
        }
        for (Stack s : batch.getNewStacksList()) {
            int n = s.getFramesCount();
            if (scratch.length < n) {
                scratch = new int[Math.max(n, scratch.length * 2)];
            }
            for (int i = 0; i < n; i++) {
                scratch[i] = frameMap[s.getFrames(i)];
            }
            stackLeaf = ensure(stackLeaf, stacks);
            stackLeaf[stacks++] = profile.tree.insert(root, scratch, n);
        }
        for (int i = 0, n = batch.getSamplesCount(); i < n; i++) {
            Sample s = batch.getSamples(i);
            profile.addValue(stackLeaf[s.getStack()], instance, s.getEvent(), s.getCount(), s.getWeight());
            samples += s.getCount();
        }
        if (batch.hasDropped()) {
            profile.addDropped(batch.getDropped());
        }
        profile.coverTime(batch.getStartTimeNs(), batch.getEndTimeNs());
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
            if (f.getName() >= stringCount) {
                throw new MergeException("frame refers to unknown string " + f.getName());
            }
        }
        int frameCount = frames + b.getNewFramesCount();
        for (Stack s : b.getNewStacksList()) {
            for (int i = 0, n = s.getFramesCount(); i < n; i++) {
                if (s.getFrames(i) >= frameCount) {
                    throw new MergeException("stack refers to unknown frame " + s.getFrames(i));
                }
            }
        }
        int stackCount = stacks + b.getNewStacksCount();
        for (int i = 0, n = b.getSamplesCount(); i < n; i++) {
            Sample s = b.getSamples(i);
            if (s.getStack() >= stackCount) {
                throw new MergeException("sample refers to unknown stack " + s.getStack());
            }
            if (s.getEventValue() < 1 || s.getEventValue() > 4) {
                throw new MergeException("sample has unknown event type " + s.getEventValue());
            }
        }
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

package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.BatchEncoder;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Frame;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.SampleGroup;
import dev.cprof.wire.proto.Stack;
import org.junit.jupiter.api.Test;

class StreamMergerTest {

    private static int stack(BatchEncoder enc, String... names) {
        int[] frames = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            frames[i] = enc.frame(names[i], FrameKind.JAVA, 0);
        }
        return enc.stack(frames);
    }

    @Test
    void twoStreamsWithDifferentIdsMergeIntoOneTree() throws MergeException {
        Profile p = new Profile();
        int i1 = p.addInstance(InstanceInfo.newBuilder().setHost("h1").setPid(1).setService("checkout").build());
        int i2 = p.addInstance(InstanceInfo.newBuilder().setHost("h2").setPid(2).setService("checkout").build());
        BatchEncoder e1 = new BatchEncoder();
        BatchEncoder e2 = new BatchEncoder();
        // Same stacks, interned in a different order so the stream ids differ.
        e2.frame("unrelated", FrameKind.NATIVE, 0);
        int a1 = stack(e1, "main", "a");
        int b2 = stack(e2, "main", "b");
        int a2 = stack(e2, "main", "a");
        e1.sample(a1, EventType.CPU, 30, 0);
        e2.sample(a2, EventType.CPU, 10, 0);
        e2.sample(b2, EventType.CPU, 60, 0);
        e2.sample(b2, EventType.ALLOC, 2, 4096);
        StreamMerger m1 = new StreamMerger(p, i1);
        StreamMerger m2 = new StreamMerger(p, i2);
        m1.merge(e1.flush());
        m2.merge(e2.flush());
        e1.sample(a1, EventType.CPU, 5, 0);
        m1.merge(e1.flush());

        FlameView all = FlameView.of(p, EventType.CPU, -1);
        assertEquals(105, all.total(StackTree.ROOT));
        assertEquals(1, all.childCount(StackTree.ROOT), "one 'main' node for both streams");
        int main = all.child(StackTree.ROOT, 0);
        assertEquals("main", p.frameName(p.tree.frame(main)));
        assertEquals(2, all.childCount(main));
        assertEquals(45, all.total(all.child(main, 0)), "a: 35 from h1 + 10 from h2");
        assertEquals(60, all.total(all.child(main, 1)));
        assertEquals(35, FlameView.of(p, EventType.CPU, i1).total(StackTree.ROOT));
        assertEquals(4096, FlameView.of(p, EventType.ALLOC, -1).total(StackTree.ROOT), "alloc is measured in bytes");
        assertEquals(35, m1.samples());
    }

    @Test
    void refusesBatchThatSkipsDictionaryEntries() throws MergeException {
        Profile p = new Profile();
        StreamMerger m = new StreamMerger(p, p.addInstance(InstanceInfo.getDefaultInstance()));
        BatchEncoder enc = new BatchEncoder();
        enc.sample(stack(enc, "x"), EventType.CPU, 1, 0);
        enc.flush(); // lost
        enc.sample(stack(enc, "y"), EventType.CPU, 1, 0);
        MergeException e = assertThrows(MergeException.class, () -> m.merge(enc.flush()));
        assertTrue(e.getMessage().contains("does not continue"), e.getMessage());
        assertEquals(0, p.values.size(), "nothing of a refused batch is merged");
    }

    @Test
    void refusesUnknownIds() {
        Profile p = new Profile();
        StreamMerger m = new StreamMerger(p, p.addInstance(InstanceInfo.getDefaultInstance()));
        Batch badStack = Batch.newBuilder().setSequence(1).addNewStrings("a")
                .addNewStacks(Stack.newBuilder().addFrames(3)).build();
        assertThrows(MergeException.class, () -> m.merge(badStack));
        Batch badSample = Batch.newBuilder().setSequence(1)
                .addSampleGroups(SampleGroup.newBuilder().setEvent(EventType.CPU).addStackDeltas(9).addCounts(1)).build();
        assertThrows(MergeException.class, () -> m.merge(badSample));
        Batch okStacks = Batch.newBuilder().setSequence(1).addNewStrings("a")
                .addNewFrames(Frame.newBuilder().setName(0).setKind(FrameKind.JAVA))
                .addNewStacks(Stack.newBuilder().addFrames(0)).addNewStacks(Stack.newBuilder().addFrames(0)).build();
        for (SampleGroup bad : new SampleGroup[] {
                SampleGroup.newBuilder().setEvent(EventType.CPU).addStackDeltas(1).addStackDeltas(0).addCounts(1).addCounts(1).build(),
                SampleGroup.newBuilder().setEvent(EventType.CPU).addStackDeltas(0).addStackDeltas(2).addCounts(1).addCounts(1).build(),
                SampleGroup.newBuilder().setEvent(EventType.CPU).addStackDeltas(0).build(),
                SampleGroup.newBuilder().setEvent(EventType.CPU).addStackDeltas(0).addCounts(1).addWeights(1).addWeights(2).build(),
                SampleGroup.newBuilder().setEvent(EventType.CPU).addStackDeltas(0).addCounts(0).build(),
                SampleGroup.newBuilder().setEventValue(9).addStackDeltas(0).addCounts(1).build(),
                SampleGroup.newBuilder().setEvent(EventType.CPU).addStackDeltas(1).addStackDeltas(-1).addCounts(1).addCounts(1).build()}) {
            Batch b = okStacks.toBuilder().addSampleGroups(bad).build();
            assertThrows(MergeException.class, () -> new StreamMerger(p, 0).merge(b), bad.toString());
        }
    }

    @Test
    void perInstanceViewRootsStacksAtTheirInstance() throws MergeException {
        Profile p = new Profile();
        int i1 = p.addInstance(InstanceInfo.newBuilder().setHost("h1").setPid(11).setService("checkout").build());
        int i2 = p.addInstance(InstanceInfo.newBuilder().setHost("h2").setPid(22).setService("checkout").build());
        p.addSample(new int[] {p.frame("main", FrameKind.JAVA, 0)}, i1, EventType.CPU, 3, 0);
        p.addSample(new int[] {p.frame("main", FrameKind.JAVA, 0)}, i2, EventType.CPU, 7, 0);
        Profile view = Views.perInstance(p);
        FlameView f = FlameView.of(view, EventType.CPU, -1);
        assertEquals(2, f.childCount(StackTree.ROOT));
        assertEquals("h1:11 checkout", view.frameName(view.tree.frame(f.child(StackTree.ROOT, 0))));
        assertEquals(3, f.total(f.child(StackTree.ROOT, 0)));
        assertEquals(7, f.total(f.child(StackTree.ROOT, 1)));
    }

    /** Found by fuzzing: a frame kind this build does not know (a newer agent) threw from the merge. */
    @Test
    void aFrameOfAnUnknownKindIsKeptWithoutAKind() throws MergeException {
        Profile p = new Profile();
        int i = p.addInstance(InstanceInfo.getDefaultInstance());
        Batch b = Batch.newBuilder().addNewStrings("Future.frame").addNewFrames(Frame.newBuilder().setName(0).setKindValue(99))
                .addNewStacks(Stack.newBuilder().addFrames(0))
                .addSampleGroups(SampleGroup.newBuilder().setEvent(EventType.CPU).addStackDeltas(0).addCounts(3).setUnitWeight(1))
                .build();
        new StreamMerger(p, i).merge(b);
        StreamMerger.rotatable(p, i).merge(b);
        FlameView all = FlameView.of(p, EventType.CPU, -1);
        assertEquals(6, all.total(StackTree.ROOT));
        int node = all.child(StackTree.ROOT, 0);
        assertEquals("Future.frame", p.frameName(p.tree.frame(node)));
        assertEquals(FrameKind.FRAME_KIND_UNSPECIFIED, p.frames.kind(p.tree.frame(node)));
    }

    /** Ids are uint32 on the wire: one of 2^31 or more is an unknown id, not a negative index. */
    @Test
    void hugeDictionaryIdsAreRefusedAsUnknown() {
        Profile p = new Profile();
        int i = p.addInstance(InstanceInfo.getDefaultInstance());
        Batch badFrame = Batch.newBuilder().addNewStrings("a").addNewFrames(Frame.newBuilder().setName(0x80000000)).build();
        Batch badStack = Batch.newBuilder().addNewStrings("a").addNewFrames(Frame.newBuilder().setName(0))
                .addNewStacks(Stack.newBuilder().addFrames(-1)).build();
        assertTrue(assertThrows(MergeException.class, () -> new StreamMerger(p, i).merge(badFrame)).getMessage().contains("2147483648"));
        assertTrue(assertThrows(MergeException.class, () -> new StreamMerger(p, i).merge(badStack)).getMessage().contains("4294967295"));
        assertEquals(0, p.tree.size() - 1, "nothing merged");
    }
}

package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.BatchEncoder;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Dropped;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Frame types (interpreted, C1, JIT, inlined, stub) through the model, the merge and every
 * format: a frame's type is part of its identity, the lossless formats keep it, collapsed keeps
 * what async-profiler's suffixes can say, and comparisons (diff, speedscope) are not split by it.
 */
class FrameTypesTest {
    static final String THREAD = "java.lang.Thread.run";
    static final String PAY = "com.shop.Checkout.pay";
    static final FrameType[] JAVA_TYPES = {
        FrameType.FRAME_TYPE_UNSPECIFIED, FrameType.INTERPRETED, FrameType.C1_COMPILED, FrameType.JIT_COMPILED, FrameType.INLINED,
    };

    /**
     * Every kind and type a frame can have. Under Thread.run (interpreted): Checkout.pay once per
     * Java type (1, 2, 3, 4, 5 samples, unspecified first); under the JIT one, native code of each
     * sort (a C function, C++, a JVM stub), a kernel frame, a Python and a pseudo frame.
     */
    static Profile everyType() {
        Profile p = new Profile();
        int i = p.addInstance(InstanceInfo.newBuilder().setInstanceId(1).setHost("h").setPid(7).setService("checkout").build());
        int thread = p.frame(THREAD, FrameKind.JAVA, FrameType.INTERPRETED, 0);
        for (int t = 0; t < JAVA_TYPES.length; t++) {
            p.addSample(new int[] {thread, p.frame(PAY, FrameKind.JAVA, JAVA_TYPES[t], 0)}, i, EventType.CPU, t + 1, (t + 1) * 10_000_000L);
        }
        int jit = p.frame(PAY, FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        int write = p.frame("Java_java_io_FileOutputStream_writeBytes", FrameKind.NATIVE, 0);
        p.addSample(new int[] {thread, jit, write, p.frame("do_syscall_64", FrameKind.KERNEL, 0)}, i, EventType.CPU, 6, 60_000_000L);
        p.addSample(new int[] {thread, jit, p.frame("SharedRuntime::resolve_virtual_call_C", FrameKind.NATIVE, 0)}, i, EventType.CPU, 7, 70_000_000L);
        p.addSample(new int[] {thread, jit, p.frame("itable stub", FrameKind.NATIVE, FrameType.STUB, 0)}, i, EventType.CPU, 8, 80_000_000L);
        p.addSample(new int[] {thread, jit, p.frame("udf.score (udf.py)", FrameKind.PYTHON, 0)}, i, EventType.CPU, 9, 90_000_000L);
        p.addSample(new int[] {thread, p.frame("[unknown_Java]", FrameKind.PSEUDO, 0)}, i, EventType.CPU, 10, 100_000_000L);
        p.addDropped(Dropped.newBuilder().setBufferFull(3).setUnwalkable(10).setOther(1).build());
        return p;
    }

    /** Every stack with a value, as "name|kind|type;...=count", sorted: what must survive a format. */
    static List<String> stacks(Profile p) {
        List<String> out = new ArrayList<>();
        FlameView view = FlameView.of(p, EventType.CPU, -1);
        view.forEachStack((frames, depth, node, value) -> {
            StringBuilder sb = new StringBuilder();
            for (int d = 0; d < depth; d++) {
                int f = frames[d];
                sb.append(d == 0 ? "" : ";").append(p.frameName(f)).append('|').append(p.frames.kind(f)).append('|').append(p.frames.type(f));
            }
            out.add(sb.append('=').append(value).toString());
        });
        out.sort(null);
        return out;
    }

    static byte[] write(Format format, Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        format.write(p, out, WriteOptions.defaults());
        return out.toByteArray();
    }

    static Profile read(Format format, byte[] bytes) throws IOException {
        return format.read(new ByteArrayInputStream(bytes), "x");
    }

    @Test
    void samePathOfDifferentTypesIsDistinctFrames() {
        Profile p = everyType();
        List<Integer> pays = new ArrayList<>();
        for (int f = 0; f < p.frames.size(); f++) {
            if (p.frameName(f).equals(PAY)) {
                pays.add(f);
                assertEquals(FrameKind.JAVA, p.frames.kind(f));
            }
        }
        assertEquals(JAVA_TYPES.length, pays.size(), "one frame per type");
        for (int t = 0; t < JAVA_TYPES.length; t++) {
            assertEquals(JAVA_TYPES[t], p.frames.type(pays.get(t)));
            assertEquals(pays.get(t), p.frame(PAY, FrameKind.JAVA, JAVA_TYPES[t], 0), "interning again finds it");
        }
        assertEquals(pays.get(0), p.frame(PAY, FrameKind.JAVA, 0), "no type = unspecified");
        // five nodes under Thread.run, one per variant, each with its own samples
        FlameView view = FlameView.of(p, EventType.CPU, -1);
        List<Long> self = new ArrayList<>();
        for (int n = 1; n < p.tree.size(); n++) {
            if (p.tree.depth(n) == 2 && p.frameName(p.tree.frame(n)).equals(PAY)) {
                self.add(view.self(n));
            }
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), self);
    }

    @Test
    void cprofKeepsEveryType() throws IOException {
        Profile p = everyType();
        byte[] first = write(Format.CPROF, p);
        Profile back = read(Format.CPROF, first);
        assertEquals(p.frames.size(), back.frames.size());
        for (int f = 0; f < p.frames.size(); f++) {
            assertEquals(p.frameName(f), back.frameName(f));
            assertEquals(p.frames.kind(f), back.frames.kind(f), p.frameName(f));
            assertEquals(p.frames.type(f), back.frames.type(f), p.frameName(f));
        }
        assertEquals(stacks(p), stacks(back));
        assertArrayEquals(first, write(Format.CPROF, back), "write(read(write(p))) == write(p)");
        assertEquals(4, back.lost());
        assertEquals(10, back.unwalked());
    }

    @Test
    void collapsedWritesAsyncProfilersSuffixesAndReadsThemBack() throws IOException {
        Profile p = everyType();
        String text = new String(write(Format.COLLAPSED, p), StandardCharsets.UTF_8);
        String t = THREAD + "_[0];";
        assertEquals(String.join("\n",
                t + "[unknown_Java] 10",
                t + PAY + " 1",
                t + PAY + "_[0] 2",
                t + PAY + "_[1] 3",
                t + PAY + "_[j] 4",
                t + PAY + "_[j];Java_java_io_FileOutputStream_writeBytes;do_syscall_64_[k] 6",
                t + PAY + "_[j];SharedRuntime::resolve_virtual_call_C 7",
                t + PAY + "_[j];itable stub 8",
                t + PAY + "_[j];udf.score (udf.py)_[py] 9",
                t + PAY + "_[i] 5") + "\n", text);
        Profile back = read(Format.COLLAPSED, text.getBytes(StandardCharsets.UTF_8));
        // Everything comes back but the stub's type: async-profiler's format has no suffix for it.
        List<String> expected = stacks(p).stream().map(s -> s.replace("itable stub|NATIVE|STUB", "itable stub|NATIVE|FRAME_TYPE_UNSPECIFIED")).toList();
        assertEquals(expected, stacks(back));
        assertEquals(text, new String(write(Format.COLLAPSED, back), StandardCharsets.UTF_8));
    }

    @Test
    void pprofKeepsJavaTypesInTheSystemNameAndLossesInComments() throws IOException {
        Profile p = everyType();
        Profile back = read(Format.PPROF, write(Format.PPROF, p));
        List<String> expected = stacks(p).stream().map(s -> s.replace("itable stub|NATIVE|STUB", "itable stub|NATIVE|FRAME_TYPE_UNSPECIFIED")).toList();
        assertEquals(expected, stacks(back));
        assertEquals(p.dropped(), back.dropped(), "lost and unwalked counts come back from the comments");
        assertTrue(back.metadata().isEmpty(), "the loss comments are not metadata: " + back.metadata());
    }

    @Test
    void speedscopeKeepsOneFramePerMethod() throws IOException {
        String json = new String(write(Format.SPEEDSCOPE, everyType()), StandardCharsets.UTF_8);
        Map<String, Object> doc = SpeedscopeWriterTest.validate(json);
        List<Object> frames = SpeedscopeWriterTest.list(SpeedscopeWriterTest.map(doc.get("shared")).get("frames"));
        long pays = frames.stream().filter(f -> PAY.equals(SpeedscopeWriterTest.map(f).get("name"))).count();
        assertEquals(1, pays, "type variants share one speedscope frame: " + frames);
        assertEquals(55, SpeedscopeWriterTest.sum(SpeedscopeWriterTest.list(
                SpeedscopeWriterTest.map(SpeedscopeWriterTest.list(doc.get("profiles")).get(0)).get("weights"))));
    }

    @Test
    void flameJsonCarriesTypesAndKeepsVariantsApart() throws IOException {
        Map<?, ?> data = (Map<?, ?>) new HtmlWriterTest.Json(HtmlWriterTest.embeddedJson(HtmlWriterTest.html(everyType(), WriteOptions.defaults()))).parse();
        Map<?, ?> frames = (Map<?, ?>) data.get("frames");
        List<?> names = (List<?>) frames.get("name");
        List<?> types = (List<?>) frames.get("type");
        assertEquals(names.size(), types.size());
        List<Long> payTypes = new ArrayList<>();
        for (int f = 0; f < names.size(); f++) {
            if (PAY.equals(names.get(f))) {
                payTypes.add((Long) types.get(f));
            }
        }
        // drawn side by side in type order under Thread.run, each in its own colour
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), payTypes);
        assertEquals(Map.of("bufferFull", 3L, "unwalkable", 10L, "other", 1L), ((Map<?, ?>) data.get("meta")).get("dropped"));
    }

    /** A file written before frame types existed (by the code of commit dbf8d29) reads, every frame of unspecified type. */
    @Test
    void cprofWrittenBeforeFrameTypesStillReads() throws IOException {
        Profile p;
        try (InputStream in = FrameTypesTest.class.getResourceAsStream("before-frame-types.cprof")) {
            p = Format.CPROF.read(in, "before-frame-types.cprof");
        }
        Map<String, FrameKind> kinds = new TreeMap<>();
        for (int f = 0; f < p.frames.size(); f++) {
            assertEquals(FrameType.FRAME_TYPE_UNSPECIFIED, p.frames.type(f), p.frameName(f));
            kinds.put(p.frameName(f), p.frames.kind(f));
        }
        assertEquals(Map.of("[main tid=1]", FrameKind.PSEUDO, "com.shop.Main.main", FrameKind.JAVA, "com.shop.Checkout.pay", FrameKind.JAVA,
                "Java_java_io_FileOutputStream_writeBytes", FrameKind.NATIVE, "do_syscall_64", FrameKind.KERNEL,
                "udf.score (udf.py)", FrameKind.PYTHON, "[unknown_Java]", FrameKind.PSEUDO, "byte[]", FrameKind.JAVA), kinds);
        assertEquals(100, p.total(EventType.CPU, -1));
        assertEquals(75, p.total(EventType.CPU, 0));
        assertEquals(1 << 20, p.total(EventType.ALLOC, -1));
        assertEquals(List.of("[main tid=1];[unknown_Java] 5",
                "[main tid=1];com.shop.Main.main;com.shop.Checkout.pay:42 60",
                "[main tid=1];com.shop.Main.main;com.shop.Checkout.pay:42;Java_java_io_FileOutputStream_writeBytes;do_syscall_64_[k] 15",
                "com.shop.Main.main;udf.score (udf.py)_[py] 20"),
                new String(write(Format.COLLAPSED, p), StandardCharsets.UTF_8).lines().toList());
        assertEquals(9, p.lost());
        assertEquals(5, p.unwalked());
        assertEquals("cprof attach --pid 100,200", p.metadata().get("command"));
    }

    /** Two streams whose frames differ only in type: the merge keeps them apart, also after a rotation. */
    @Test
    void mergeKeepsSameNameFramesOfDifferentTypesApart() throws MergeException {
        BatchEncoder a = new BatchEncoder();
        int aThread = a.frame(THREAD, FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        int aJit = a.stack(new int[] {aThread, a.frame(PAY, FrameKind.JAVA, FrameType.JIT_COMPILED, 0)});
        int aInt = a.stack(new int[] {aThread, a.frame(PAY, FrameKind.JAVA, FrameType.INTERPRETED, 0)});
        a.sample(aJit, EventType.CPU, 5, 0);
        a.sample(aInt, EventType.CPU, 2, 0);
        BatchEncoder b = new BatchEncoder();
        int bThread = b.frame(THREAD, FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        int bInl = b.stack(new int[] {bThread, b.frame(PAY, FrameKind.JAVA, FrameType.INLINED, 0)});
        int bJit = b.stack(new int[] {bThread, b.frame(PAY, FrameKind.JAVA, FrameType.JIT_COMPILED, 0)});
        b.sample(bInl, EventType.CPU, 3, 0);
        b.sample(bJit, EventType.CPU, 7, 0);

        Profile p = new Profile();
        StreamMerger ma = StreamMerger.rotatable(p, p.addInstance(InstanceInfo.newBuilder().setPid(1).build()));
        StreamMerger mb = new StreamMerger(p, p.addInstance(InstanceInfo.newBuilder().setPid(2).build()));
        Batch firstA = a.flush();
        ma.merge(firstA);
        mb.merge(b.flush());
        assertEquals(List.of(
                THREAD + "|JAVA|JIT_COMPILED;" + PAY + "|JAVA|INLINED=3",
                THREAD + "|JAVA|JIT_COMPILED;" + PAY + "|JAVA|INTERPRETED=2",
                THREAD + "|JAVA|JIT_COMPILED;" + PAY + "|JAVA|JIT_COMPILED=12"), stacks(p));
        assertEquals(4, p.frames.size(), "Thread.run once, Checkout.pay once per type");

        // A long session's next interval: the stream's dictionary is re-interned lazily, types included.
        Profile next = new Profile();
        ma.retarget(next, next.addInstance(InstanceInfo.newBuilder().setPid(1).build()), StackTree.ROOT);
        a.sample(aInt, EventType.CPU, 4, 0);
        a.sample(aJit, EventType.CPU, 1, 0);
        Batch second = a.flush();
        assertEquals(0, second.getNewFramesCount(), "the second batch sends no frame again");
        ma.merge(second);
        assertEquals(List.of(
                THREAD + "|JAVA|JIT_COMPILED;" + PAY + "|JAVA|INTERPRETED=4",
                THREAD + "|JAVA|JIT_COMPILED;" + PAY + "|JAVA|JIT_COMPILED=1"), stacks(next));
    }

    /** A frame type from a newer agent is kept as unspecified, not a failure. */
    @Test
    void unknownTypeNumberIsUnspecified() throws MergeException {
        Batch batch = Batch.newBuilder().setSequence(1).addNewStrings(PAY)
                .addNewFrames(dev.cprof.wire.proto.Frame.newBuilder().setName(0).setKind(FrameKind.JAVA).setTypeValue(99))
                .addNewStacks(dev.cprof.wire.proto.Stack.newBuilder().addFrames(0))
                .addSampleGroups(dev.cprof.wire.SampleGroups.build(EventType.CPU, new int[] {0}, new long[] {1}, new long[] {1}, 1))
                .build();
        Profile p = new Profile();
        new StreamMerger(p, p.addInstance(InstanceInfo.getDefaultInstance())).merge(batch);
        assertEquals(List.of(PAY + "|JAVA|FRAME_TYPE_UNSPECIFIED=1"), stacks(p));
    }

    /** cprof diff lines frames up by name: a BASE without types and a typed NEW compare method by method. */
    @Test
    void diffIsNotSplitByType() {
        Profile base = new Profile();
        int bi = base.addInstance(InstanceInfo.getDefaultInstance());
        base.addSample(new int[] {base.frame(THREAD, FrameKind.JAVA, 0), base.frame(PAY, FrameKind.JAVA, 0)}, bi, EventType.CPU, 10, 0);
        Profile typed = new Profile();
        int ni = typed.addInstance(InstanceInfo.getDefaultInstance());
        int thread = typed.frame(THREAD, FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        typed.addSample(new int[] {thread, typed.frame(PAY, FrameKind.JAVA, FrameType.INTERPRETED, 0)}, ni, EventType.CPU, 4, 0);
        typed.addSample(new int[] {thread, typed.frame(PAY, FrameKind.JAVA, FrameType.INLINED, 0)}, ni, EventType.CPU, 6, 0);
        Diff d = Diff.of(base, typed, EventType.CPU);
        assertEquals(List.of(), d.top(0), "nothing changed");
        assertTrue(d.rows().stream().noneMatch(Diff.Row::isNew));
        FlameDiff flame = d.flame();
        for (boolean fresh : flame.fresh()) {
            assertFalse(fresh, "no frame of NEW is new to BASE");
        }
        assertNotEquals(0, d.rows().size());
    }
}

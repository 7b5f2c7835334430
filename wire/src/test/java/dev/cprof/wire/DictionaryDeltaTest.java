package dev.cprof.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.SampleGroup;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DictionaryDeltaTest {

    /** 30 distinct stacks of depth 35 over 400 frames, as a service in steady state might have. */
    private static int[][] stacks(BatchEncoder enc, Random random) {
        int[][] stacks = new int[30][35];
        for (int[] s : stacks) {
            for (int d = 0; d < s.length; d++) {
                int f = d < 20 ? d : 20 + random.nextInt(380);
                s[d] = enc.frame("com.shop.checkout.Service" + f + ".handleRequest" + f, FrameKind.JAVA, 0);
            }
        }
        return stacks;
    }

    @Test
    void eachEntryIsSentOnceAndBasesContinue() {
        BatchEncoder enc = new BatchEncoder();
        int a = enc.frame("a", FrameKind.JAVA, 0);
        int s1 = enc.stack(new int[] {a});
        enc.sample(s1, EventType.CPU, 1, 10);
        Batch first = enc.flush();
        int b = enc.frame("b", FrameKind.JAVA, 0);
        int s2 = enc.stack(new int[] {a, b});
        enc.sample(s2, EventType.CPU, 2, 20);
        enc.sample(s1, EventType.CPU, 3, 30);
        Batch second = enc.flush();

        assertEquals(1, first.getSequence());
        assertEquals(2, second.getSequence());
        assertEquals(0, first.getStringBase());
        assertEquals(1, second.getStringBase());
        assertEquals(1, second.getNewStringsCount(), "only 'b' is new");
        assertEquals(1, second.getFrameBase());
        assertEquals(1, second.getStackBase());
        assertEquals(1, second.getSampleGroupsCount(), "one group per event");
        SampleGroup g = second.getSampleGroups(0);
        assertEquals(EventType.CPU, g.getEvent());
        assertEquals(List.of(s1, s2 - s1), g.getStackDeltasList(), "stacks ascending, delta-coded");
        assertEquals(List.of(3L, 2L), g.getCountsList());
        assertEquals(0, g.getWeightsCount(), "weights are count x unit: left out");
        assertEquals(10, g.getUnitWeight());
    }

    @Test
    void weightsThatAreNotUniformAreSentAndNothingIsLost() {
        BatchEncoder enc = new BatchEncoder();
        int a = enc.stack(new int[] {enc.frame("a", FrameKind.JAVA, 0)});
        int b = enc.stack(new int[] {enc.frame("b", FrameKind.JAVA, 0)});
        int c = enc.stack(new int[] {enc.frame("c", FrameKind.JAVA, 0)});
        enc.sample(c, EventType.ALLOC, 2, 1000);
        enc.sample(a, EventType.ALLOC, 1, 700);
        enc.sample(b, EventType.CPU, 4, 40);
        enc.sample(a, EventType.CPU, 1, 10);
        enc.sample(a, EventType.WALL, 1, 1L << 62);
        enc.sample(c, EventType.WALL, 4, 0); // 4 x 2^62 wraps to 0: must not pass for uniform
        Batch batch = enc.flush();
        assertEquals(3, batch.getSampleGroupsCount());
        assertEquals(List.of(EventType.CPU, EventType.WALL, EventType.ALLOC),
                batch.getSampleGroupsList().stream().map(SampleGroup::getEvent).toList(), "events ascending");
        assertEquals(0, batch.getSampleGroups(0).getWeightsCount());
        assertEquals(List.of(1L << 62, 0L), batch.getSampleGroups(1).getWeightsList());
        assertEquals(List.of(700L, 1000L), batch.getSampleGroups(2).getWeightsList());
        for (SampleGroup g : batch.getSampleGroupsList()) {
            assertNull(SampleGroups.check(g, 3));
        }
        List<String> seen = new ArrayList<>();
        SampleGroups.forEach(batch, (stack, event, count, weight) -> seen.add(stack + " " + event + " " + count + " " + weight));
        assertEquals(List.of("0 CPU 1 10", "1 CPU 4 40", "0 WALL 1 " + (1L << 62), "2 WALL 4 0", "0 ALLOC 1 700", "2 ALLOC 2 1000"), seen);
        assertEquals(6, SampleGroups.entries(batch));
        assertEquals(13, SampleGroups.totalCount(batch));
    }

    @Test
    void steady100HzStreamCostsWellUnderOneKilobytePerSecond() throws IOException {
        Random random = new Random(7);
        BatchEncoder enc = new BatchEncoder();
        int[][] stackFrames = stacks(enc, random);
        int[] stackIds = new int[stackFrames.length];
        for (int i = 0; i < stackIds.length; i++) {
            stackIds[i] = enc.stack(stackFrames[i]);
        }
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        ByteArrayOutputStream zstd = new ByteArrayOutputStream();
        FrameWriter plainWriter = new FrameWriter(plain, false);
        FrameWriter zstdWriter = new FrameWriter(zstd, true);
        int warmup = 5;
        int seconds = 60;
        long plainWarm = 0;
        long zstdWarm = 0;
        long perFrame = 0;
        for (int second = 0; second < warmup + seconds; second++) {
            for (int sample = 0; sample < 100; sample++) {
                // Skewed like real profiles: a few stacks take most samples.
                int s = (int) Math.min(stackIds.length - 1, Math.abs(random.nextGaussian()) * 6);
                enc.sample(stackIds[s], EventType.CPU, 1, 10_000_000);
            }
            Envelope e = Envelope.newBuilder().setBatch(enc.flush()).build();
            if (second == warmup) {
                plainWarm = plain.size();
                zstdWarm = zstd.size();
            }
            plainWriter.write(e);
            zstdWriter.write(e);
            if (second >= warmup) {
                perFrame += 1 + Compression.compress(e.toByteArray()).length; // the former zstd frame per message
            }
        }
        double plainPerSecond = (plain.size() - plainWarm) / (double) seconds;
        double zstdPerSecond = (zstd.size() - zstdWarm) / (double) seconds;
        System.out.printf("steady 100 Hz stream: %.0f B/s plain, %.0f B/s zstd stream (%.0f B/s with a zstd frame per"
                        + " message; first batches %d B plain, %d B zstd)%n",
                plainPerSecond, zstdPerSecond, perFrame / (double) seconds, plainWarm, zstdWarm);
        assertTrue(plainPerSecond < 512, "plain stream costs " + plainPerSecond + " B/s");
        assertTrue(zstdPerSecond < 512, "zstd stream costs " + zstdPerSecond + " B/s");
    }
}

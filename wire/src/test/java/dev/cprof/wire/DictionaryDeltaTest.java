package dev.cprof.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
        assertEquals(2, second.getSamplesCount());
        assertEquals(3, second.getSamples(1).getCount());
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
        }
        double plainPerSecond = (plain.size() - plainWarm) / (double) seconds;
        double zstdPerSecond = (zstd.size() - zstdWarm) / (double) seconds;
        System.out.printf("steady 100 Hz stream: %.0f B/s plain, %.0f B/s zstd (first batch %d B plain)%n",
                plainPerSecond, zstdPerSecond, plainWarm);
        assertTrue(plainPerSecond < 512, "plain stream costs " + plainPerSecond + " B/s");
        assertTrue(zstdPerSecond < 512, "zstd stream costs " + zstdPerSecond + " B/s");
    }
}

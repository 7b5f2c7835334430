package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class CprofFormatTest {

    static Profile sample() {
        Profile p = new Profile();
        int a = p.addInstance(InstanceInfo.newBuilder().setInstanceId(1).setHost("h1").setPid(100).setService("checkout")
                .setJdkVersion("17.0.15").putLabels("zone", "eu-1").build());
        int b = p.addInstance(InstanceInfo.newBuilder().setInstanceId(2).setHost("h2").setPid(200).setService("checkout").build());
        int main = p.frame("com.shop.Main.main", FrameKind.JAVA, 0);
        int hot = p.frame("com.shop.Größe.計算", FrameKind.JAVA, 42);
        int py = p.frame("udf.score_order (udf.py:10)", FrameKind.PYTHON, 10);
        p.addSample(new int[] {main, hot}, a, EventType.CPU, 75, 750_000_000L);
        p.addSample(new int[] {main, py}, b, EventType.CPU, 25, 250_000_000L);
        p.addSample(new int[] {main, p.frame("byte[]", FrameKind.JAVA, 0)}, a, EventType.ALLOC, 3, 1 << 20);
        p.coverTime(1_000, 2_000);
        p.metadata().put("command", "cprof attach --pid 100");
        return p;
    }

    static byte[] bytes(Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Format.CPROF.write(p, out, WriteOptions.defaults());
        return out.toByteArray();
    }

    static Profile parse(byte[] b) throws IOException {
        return Format.CPROF.read(new ByteArrayInputStream(b), "x.cprof");
    }

    @Test
    void roundTripIsLossless() throws IOException {
        Profile p = sample();
        byte[] first = bytes(p);
        Profile back = parse(first);
        assertArrayEquals(first, bytes(back), "write(read(write(p))) == write(p)");
        assertEquals(p.instances(), back.instances());
        assertEquals(p.events(), back.events());
        assertEquals(1 << 20, back.total(EventType.ALLOC, -1));
        assertEquals(25, back.total(EventType.CPU, 1));
        assertEquals("cprof attach --pid 100", back.metadata().get("command"));
        assertEquals(1_000, back.startTimeNs());
    }

    @Test
    void truncatedFileIsAClearError() throws IOException {
        byte[] whole = bytes(sample());
        String[] expected = {"x.cprof: empty file", "x.cprof: not a .cprof file", "x.cprof: corrupt compressed data near byte",
            "x.cprof: corrupt compressed data near byte"};
        int[] cuts = {0, 3, whole.length / 2, whole.length - 1};
        for (int i = 0; i < cuts.length; i++) {
            int cut = cuts[i];
            ProfileFormatException e = assertThrows(ProfileFormatException.class, () -> parse(Arrays.copyOf(whole, cut)));
            assertTrue(e.getMessage().startsWith(expected[i]), e.getMessage());
        }
    }

    @Test
    void otherFileIsAClearError() {
        ProfileFormatException e = assertThrows(ProfileFormatException.class, () -> parse("a;b 1\n".getBytes()));
        assertTrue(e.getMessage().startsWith("x.cprof: not a .cprof file"), e.getMessage());
    }
}

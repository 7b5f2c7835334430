package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CollapsedFormatTest {
    static final String SAMPLE = String.join("\n",
            "[gc] 4",
            "java.lang.Thread.run;com.shop.Checkout$Cart.total;com.shop.Prices.<init> 12",
            "java.lang.Thread.run;com.shop.Checkout$Cart.total;java.util.HashMap.get 30",
            "java.lang.Thread.run;worker.py:score_order (ünïcode ok)_[py] 5",
            "start_thread_[n];do_syscall_64_[k] 7") + "\n";

    static Profile read(String text) throws IOException {
        return Format.COLLAPSED.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "test.collapsed");
    }

    static String write(Profile p) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Format.COLLAPSED.write(p, out, WriteOptions.defaults());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void roundTripIsExact() throws IOException {
        Profile p = read(SAMPLE);
        assertEquals(SAMPLE, write(p));
        assertEquals(58, p.total(EventType.CPU, -1));
    }

    @Test
    void kindsComeFromSuffixes() throws IOException {
        Profile p = read(SAMPLE);
        assertEquals(FrameKind.KERNEL, p.frames.kind(p.frame("do_syscall_64", FrameKind.KERNEL, 0)));
        assertEquals(FrameKind.PSEUDO, p.frames.kind(p.frame("[gc]", FrameKind.PSEUDO, 0)));
        // interning the same identity again must not create a new frame
        int before = p.frames.size();
        p.frame("start_thread", FrameKind.NATIVE, 0);
        assertEquals(before, p.frames.size());
    }

    @Test
    void semicolonInsideAFrameIsWrittenAsColon() throws IOException {
        Profile p = new Profile();
        p.addInstance(dev.cprof.wire.proto.InstanceInfo.getDefaultInstance());
        p.addSample(new int[] {p.frame("Lcom/x/Y;.m", FrameKind.JAVA, 0), p.frame("a b <c> $d", FrameKind.JAVA, 0)}, 0, EventType.CPU, 2, 0);
        assertEquals("Lcom/x/Y:.m;a b <c> $d 2\n", write(p));
    }

    @Test
    void malformedLineNamesItsNumber() {
        ProfileFormatException e = assertThrows(ProfileFormatException.class, () -> read("a;b 1\n\na;c x12\n"));
        assertTrue(e.getMessage().startsWith("test.collapsed:3:"), e.getMessage());
        e = assertThrows(ProfileFormatException.class, () -> read("a;;b 3\n"));
        assertTrue(e.getMessage().contains(":1:"), e.getMessage());
        e = assertThrows(ProfileFormatException.class, () -> read("nocount\n"));
        assertTrue(e.getMessage().contains(":1:"), e.getMessage());
    }
}

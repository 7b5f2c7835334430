package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.FrameType;
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
            "java.lang.Thread.run_[j];com.shop.Checkout.pay_[i];JavaThread::run;itable stub 3",
            "start_thread;do_syscall_64_[k] 7") + "\n";

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
        assertEquals(61, p.total(EventType.CPU, -1));
    }

    @Test
    void kindsComeFromSuffixesAndNames() throws IOException {
        Profile p = read(SAMPLE);
        // interning an identity the reader created must not create a new frame
        int before = p.frames.size();
        p.frame("do_syscall_64", FrameKind.KERNEL, 0);
        p.frame("[gc]", FrameKind.PSEUDO, 0);
        p.frame("start_thread", FrameKind.NATIVE, 0);
        p.frame("JavaThread::run", FrameKind.NATIVE, 0);
        p.frame("itable stub", FrameKind.NATIVE, 0);
        p.frame("java.lang.Thread.run", FrameKind.JAVA, 0);
        p.frame("java.lang.Thread.run", FrameKind.JAVA, FrameType.JIT_COMPILED, 0);
        p.frame("com.shop.Checkout.pay", FrameKind.JAVA, FrameType.INLINED, 0);
        p.frame("worker.py:score_order (ünïcode ok)", FrameKind.PYTHON, 0);
        assertEquals(before, p.frames.size());
    }

    /** Files of cprof before frame types (native frames had _[n]), and without any suffix, still read. */
    @Test
    void olderAndPlainFilesStillRead() throws IOException {
        Profile p = read("start_thread_[n];do_syscall_64_[k] 7\nmain;com.x.Y.run;Java_java_io_FileOutputStream_writeBytes;memcpy.part.0 2\n");
        int before = p.frames.size();
        p.frame("start_thread", FrameKind.NATIVE, 0);
        p.frame("main", FrameKind.NATIVE, 0); // a C name: async-profiler's converter reads it the same
        p.frame("com.x.Y.run", FrameKind.JAVA, 0);
        p.frame("Java_java_io_FileOutputStream_writeBytes", FrameKind.NATIVE, 0);
        p.frame("memcpy.part.0", FrameKind.NATIVE, 0);
        assertEquals(before, p.frames.size());
        assertEquals("main;com.x.Y.run;Java_java_io_FileOutputStream_writeBytes;memcpy.part.0 2\nstart_thread;do_syscall_64_[k] 7\n", write(p));
    }

    @Test
    void namesTellTheKindOfAFrameWithoutSuffix() {
        for (String java : new String[] {"java.lang.Thread.run", "java/lang/Thread.run", "Main.main", "com.part.Foo.cold",
            "com.Foo$$Lambda/0x0000000800c01234.apply", "byte[]", "Checkout.lambda$run$0"}) {
            assertEquals(FrameKind.JAVA, CollapsedFormat.kindOf(java), java);
        }
        for (String nat : new String[] {"start_thread", "JavaThread::run()", "os::malloc", "memcpy@@GLIBC_2.14", "f.cold",
            "fn.constprop.0.isra.0", "[libjvm.so]", "-[NSObject init]", "itable stub"}) {
            assertEquals(FrameKind.NATIVE, CollapsedFormat.kindOf(nat), nat);
        }
        for (String pseudo : new String[] {"[gc]", "[unknown_Java]", "[main tid=1]", "[python pid 11]"}) {
            assertEquals(FrameKind.PSEUDO, CollapsedFormat.kindOf(pseudo), pseudo);
        }
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

package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.luben.zstd.ZstdOutputStream;
import dev.cprof.session.ExitCodes;
import dev.cprof.testkit.Bombs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decompression bombs against the real CLI, as a user starts it (the launcher and its default
 * JVM options): each is refused with exit 1 and one line, and the process's peak RSS (VmHWM,
 * polled from /proc until it exits) stays under 512 MB. Before the readers streamed, a 19 MB
 * .pb.gz of 4 GiB took 2.4 GB and a 32 KB .cprof declaring 900 MB took 2.2 GB.
 */
class BombRssIT {
    private static final long MB = 1 << 20;
    private static final long MAX_RSS_KB = 512 * 1024;

    @TempDir
    Path dir;

    record Run(int code, String err, long peakRssKb) {}

    /** repo/cprof (the launcher) with the built jar, the JDK running this test first on PATH. */
    private Run convert(Path input, Path output) throws Exception {
        return convert(input, output, null);
    }

    private Run convert(Path input, Path output, String javaOpts) throws Exception {
        Path jar = CprofJarIT.jar().toAbsolutePath();
        Path launcher = jar.getParent().getParent().getParent().resolve("cprof");
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "convert", input.toString(), "-o", output.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        Map<String, String> env = pb.environment();
        env.put("CPROF_NO_BUILD", "1");
        if (javaOpts == null) {
            env.remove("CPROF_JAVA_OPTS"); // the launcher's defaults
        } else {
            env.put("CPROF_JAVA_OPTS", javaOpts);
        }
        env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":" + env.getOrDefault("PATH", "/usr/bin:/bin"));
        pb.redirectError(dir.resolve("stderr").toFile());
        Process p = pb.start(); // the launcher execs java: this pid is the JVM's
        Path status = Path.of("/proc", Long.toString(p.pid()), "status");
        long peak = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        while (p.isAlive() && System.nanoTime() < deadline) {
            // VmHWM is the high-water mark itself, so the last reading before exit is the peak
            // up to that moment; nothing after the refusal allocates much (one line, exit)
            peak = Math.max(peak, hwmKb(status));
            Thread.sleep(2);
        }
        assertTrue(p.waitFor(10, TimeUnit.SECONDS), "cprof finished");
        return new Run(p.exitValue(), Files.readString(dir.resolve("stderr")), peak);
    }

    private static long hwmKb(Path status) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException gone) {
            // exited (or a zombie without Vm* lines) between two readings
        }
        return 0;
    }

    private void assertRefused(String name, String expected) throws Exception {
        Path in = dir.resolve(name);
        Path out = dir.resolve(name + ".svg");
        Run r = convert(in, out);
        System.out.printf("%s (%d KB on disk): exit %d, peak RSS %d MB: %s", name, Files.size(in) >> 10, r.code(),
                r.peakRssKb() >> 10, r.err());
        assertEquals(ExitCodes.FAILED, r.code(), r.err());
        List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), "one line: " + r.err());
        assertTrue(lines.get(0).startsWith("cprof: " + in + ": "), r.err());
        assertTrue(lines.get(0).contains(expected), "says '" + expected + "': " + r.err());
        assertFalse(r.err().contains("Exception") || r.err().contains("\tat ") || r.err().contains("Error"), r.err());
        assertTrue(r.peakRssKb() > 0, "RSS was read");
        assertTrue(r.peakRssKb() < MAX_RSS_KB, name + ": peak RSS " + (r.peakRssKb() >> 10) + " MB");
        assertFalse(Files.exists(out));
    }

    @Test
    void gzipOf4GiBOfZeros() throws Exception {
        // 64 gzip members of 64 MB of zeros: one gzip stream of 4 GiB in ~4 MB
        writeGzipMembers(dir.resolve("zeros.pb.gz"), new byte[0], 64 * MB, 64);
        assertRefused("zeros.pb.gz", "not a pprof profile");
    }

    @Test
    void gzipOf4GiBOfWellFormedPadding() throws Exception {
        // a well-formed message: one unknown field of 16 MB of zeros, 256 times (4 GiB)
        writeGzipMembers(dir.resolve("padded.pb.gz"), Bombs.tagAndLength(100, 16 * MB), 16 * MB, 256);
        assertRefused("padded.pb.gz", "larger than 256 MB uncompressed");
    }

    @Test
    void cprofDeclaring900MB() throws Exception {
        Files.write(dir.resolve("declared.cprof"), Bombs.zstdZeros(900 * MB, true, new byte[0]));
        assertRefused("declared.cprof", "compressed data asking for a window of over 16 MB");
        Files.write(dir.resolve("zeros.cprof"), Bombs.zstdZeros(900 * MB, false, new byte[0]));
        assertRefused("zeros.cprof", "not a .cprof profile");
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        head.writeBytes(new byte[] {0x08, 0x01}); // format version 1, then an unknown field 15 of the rest
        head.writeBytes(Bombs.tagAndLength(15, 900 * MB - 8));
        Files.write(dir.resolve("padded.cprof"), Bombs.zstdZeros(900 * MB, false, head.toByteArray()));
        assertRefused("padded.cprof", "larger than 256 MB uncompressed");
    }

    @Test
    void cprofOfRepeatedNodes() throws Exception {
        // version 1, string "", frame {}, then 2-byte empty nodes for 256 MB
        Path f = dir.resolve("nodes.cprof");
        try (OutputStream out = new ZstdOutputStream(Files.newOutputStream(f), 1)) {
            out.write(new byte[] {0x08, 0x01, 0x12, 0x00, 0x1a, 0x00});
            byte[] chunk = new byte[1 << 16];
            for (int i = 0; i < chunk.length; i += 2) {
                chunk[i] = 0x32;
            }
            for (long left = 256 * MB; left > 0; left -= chunk.length) {
                out.write(chunk);
            }
        }
        assertRefused("nodes.cprof", "more than 16777216 nodes");
    }

    @Test
    void collapsedEndlessLine() throws Exception {
        Path f = dir.resolve("line.collapsed");
        byte[] chunk = new byte[1 << 20];
        java.util.Arrays.fill(chunk, (byte) 'a');
        try (OutputStream out = Files.newOutputStream(f)) {
            for (int i = 0; i < 128; i++) {
                out.write(chunk);
            }
        }
        Run r = convert(f, dir.resolve("line.svg"));
        System.out.printf("line.collapsed (128 MB, one line): exit %d, peak RSS %d MB: %s", r.code(), r.peakRssKb() >> 10, r.err());
        assertEquals(ExitCodes.FAILED, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("cprof: " + f + ":1: a line longer than"), r.err());
        assertTrue(r.peakRssKb() > 0 && r.peakRssKb() < MAX_RSS_KB, "peak RSS " + (r.peakRssKb() >> 10) + " MB");
    }

    @Test
    void aProfileLargerThanTheHeapIsOneLine() throws Exception {
        // not a bomb: 1M distinct stacks of distinct frames, ~30 MB, read with a 48 MB heap
        Path f = dir.resolve("big.collapsed");
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(f), 1 << 16)) {
            for (int i = 0; i < 1_000_000; i++) {
                out.write(("com.shop.Main.main;com.shop.A.f" + i + ";com.shop.B.g" + i + " 1\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
        }
        Run r = convert(f, dir.resolve("big.svg"), "-Xmx48m -XX:+UseSerialGC");
        System.out.printf("big.collapsed with -Xmx48m: exit %d: %s", r.code(), r.err());
        assertEquals(ExitCodes.FAILED, r.code(), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertEquals("cprof: " + f + ": out of memory reading it (a very large profile); give the JVM more with CPROF_JAVA_OPTS=-Xmx4g\n", r.err());
    }

    private static void writeGzipMembers(Path f, byte[] head, long zeros, int copies) throws IOException {
        byte[] member = Bombs.gzipMember(head, Math.toIntExact(zeros));
        try (OutputStream out = Files.newOutputStream(f)) {
            for (int i = 0; i < copies; i++) {
                out.write(member);
            }
        }
    }
}

package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Writes pprof files and reads them with the real {@code go tool pprof}: totals, names and the
 * instance tag filter must come out as written. Without Go the tool tests are skipped, or fail
 * when the environment variable CI or CPROF_REQUIRE_TOOLS is set.
 */
class PprofWriterTest {
    static final String A = "com.example.Ünïcödé$Inner.<init>";
    static final String B = "com.example.Checkout.lambda$run$0";
    static final String ROOT = "java.lang.Thread.run";
    static final String KERNEL = "do_syscall_64";

    static final InstanceInfo I1 = InstanceInfo.newBuilder().setInstanceId(1).setHost("host-a").setPid(1234).setService("checkout").build();
    static final InstanceInfo I2 = InstanceInfo.newBuilder().setInstanceId(2).setHost("host-b").setPid(99).setService("checkout").build();

    /** cpu: A self 750 (500 on instance 1, 250 on 2), B self 250 (instance 1); kernel frame under B. */
    static Profile cpuProfile() {
        Profile p = new Profile();
        int i1 = p.addInstance(I1);
        int i2 = p.addInstance(I2);
        int root = p.frame(ROOT, FrameKind.JAVA, 0);
        int a = p.frame(A, FrameKind.JAVA, 42);
        int b = p.frame(B, FrameKind.JAVA, 7);
        int k = p.frame(KERNEL, FrameKind.KERNEL, 0);
        p.addSample(new int[] {root, a}, i1, EventType.CPU, 500, 500_000_000L);
        p.addSample(new int[] {root, a}, i2, EventType.CPU, 250, 250_000_000L);
        p.addSample(new int[] {root, b}, i1, EventType.CPU, 200, 200_000_000L);
        p.addSample(new int[] {root, b, k}, i1, EventType.CPU, 50, 50_000_000L);
        p.coverTime(1_700_000_000_000_000_000L, 1_700_000_030_000_000_000L);
        p.metadata().put("service", "checkout");
        return p;
    }

    /** cpuProfile plus alloc: A 4096 bytes in 2 objects, B 1024 bytes in 1. */
    static Profile twoEvents() {
        Profile p = cpuProfile();
        int root = p.frame(ROOT, FrameKind.JAVA, 0);
        int a = p.frame(A, FrameKind.JAVA, 42);
        int b = p.frame(B, FrameKind.JAVA, 7);
        p.addSample(new int[] {root, a}, 0, EventType.ALLOC, 2, 4096);
        p.addSample(new int[] {root, b}, 1, EventType.ALLOC, 1, 1024);
        return p;
    }

    static byte[] write(Profile p, WriteOptions o) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PprofWriter().write(p, out, o);
        return out.toByteArray();
    }

    // ---- without Go ----

    @Test
    void isGzipAndRoundTripsThroughReader() throws IOException {
        Profile p = twoEvents();
        byte[] bytes = write(p, WriteOptions.defaults());
        assertEquals(0x1f, bytes[0] & 0xff);
        assertEquals(0x8b, bytes[1] & 0xff);
        new GZIPInputStream(new ByteArrayInputStream(bytes)).readAllBytes();

        Profile back = new PprofReader().read(new ByteArrayInputStream(bytes), "x.pb.gz");
        assertEquals(List.of(EventType.CPU, EventType.ALLOC), back.events());
        assertEquals(2, back.instances().size());
        for (EventType e : List.of(EventType.CPU, EventType.ALLOC)) {
            assertEquals(p.total(e, -1), back.total(e, -1), e.name());
            for (int i = 0; i < 2; i++) {
                String label = Profile.instanceLabel(p.instances().get(i));
                int j = back.instances().stream().map(Profile::instanceLabel).toList().indexOf(label);
                assertTrue(j >= 0, label);
                assertEquals(p.total(e, i), back.total(e, j), e + " " + label);
            }
        }
        // weights survive too (cpu ns, alloc objects)
        assertEquals(1_000_000_000L, weightSum(back, EventType.CPU));
        assertEquals(3, countSum(back, EventType.ALLOC));
        // collapsed text of the round trip equals that of the original: names, lines, kinds
        assertEquals(collapsed(p, EventType.CPU), collapsed(back, EventType.CPU));
        assertEquals(collapsed(p, EventType.ALLOC), collapsed(back, EventType.ALLOC));
        assertEquals(p.startTimeNs(), back.startTimeNs());
        assertEquals(p.endTimeNs(), back.endTimeNs());
        assertEquals("checkout", back.metadata().get("service"));

        // pprof -> cprof -> pprof keeps totals
        Profile again = new PprofReader().read(new ByteArrayInputStream(write(back, WriteOptions.defaults())), "y");
        assertEquals(p.total(EventType.CPU, -1), again.total(EventType.CPU, -1));
        assertEquals(p.total(EventType.ALLOC, -1), again.total(EventType.ALLOC, -1));
    }

    @Test
    void readerRejectsGarbage() {
        assertThrows(ProfileFormatException.class,
                () -> new PprofReader().read(new ByteArrayInputStream(new byte[] {0x1f, (byte) 0x8b, 1, 2, 3}), "bad.pb.gz"));
        assertThrows(ProfileFormatException.class,
                () -> new PprofReader().read(new ByteArrayInputStream("not a profile at all".getBytes(StandardCharsets.UTF_8)), "bad.pprof"));
    }

    @Test
    void oneInstanceOnly() throws IOException {
        Profile back = new PprofReader().read(new ByteArrayInputStream(write(cpuProfile(), new WriteOptions("t", null, 1))), "x");
        assertEquals(1, back.instances().size());
        assertEquals(Profile.instanceLabel(I2), Profile.instanceLabel(back.instances().get(0)));
        assertEquals(250, back.total(EventType.CPU, -1));
    }

    @Test
    void emptyProfileIsValid() throws IOException {
        Profile back = new PprofReader().read(new ByteArrayInputStream(write(new Profile(), WriteOptions.defaults())), "x");
        assertEquals(0, back.total(EventType.CPU, -1));
    }

    static long weightSum(Profile p, EventType e) {
        long sum = 0;
        for (int s = 0; s < p.values.size(); s++) {
            sum += p.values.event(s) == e ? p.values.weight(s) : 0;
        }
        return sum;
    }

    static long countSum(Profile p, EventType e) {
        long sum = 0;
        for (int s = 0; s < p.values.size(); s++) {
            sum += p.values.event(s) == e ? p.values.count(s) : 0;
        }
        return sum;
    }

    static String collapsed(Profile p, EventType e) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new CollapsedFormat().write(p, out, WriteOptions.defaults().withEvent(e));
        return out.toString(StandardCharsets.UTF_8);
    }

    // ---- with go tool pprof ----

    @Test
    void goToolPprofTopShowsNamesAndTotals() throws Exception {
        Path file = tempFile("cpu.pb.gz", write(cpuProfile(), WriteOptions.defaults()));
        Map<String, long[]> top = top(pprof("-top", "-sample_index=samples", file.toString()));
        assertEquals(750, top.get(A)[0], "flat of " + A + " in " + top.keySet());
        assertEquals(200, top.get(B)[0]);
        assertEquals(250, top.get(B)[1]);
        assertEquals(50, top.get(KERNEL)[0]);
        assertEquals(1000, top.get(ROOT)[1]);
        assertEquals(0, top.get(ROOT)[0]);
        assertEquals(4, top.size(), top.keySet().toString());
        // default sample type: samples (what the flame graph shows for cpu)
        assertEquals(top.keySet(), top(pprof("-top", file.toString())).keySet());
        assertTrue(pprof("-top", file.toString()).contains("of 1000 total"), "default sample type is samples");
        // cpu nanoseconds: exact in -raw output
        String raw = pprof("-raw", file.toString());
        assertTrue(raw.contains("samples/count[dflt] cpu/nanoseconds\n"), raw);
        assertEquals(List.of(1000L, 1_000_000_000L), rawTotals(raw));
        assertTrue(raw.contains("instance:[host-a:1234 checkout]"), raw);
    }

    @Test
    void goToolPprofTagFocusSelectsAnInstance() throws Exception {
        Path file = tempFile("tags.pb.gz", write(cpuProfile(), WriteOptions.defaults()));
        String one = pprof("-top", "-sample_index=samples", "-tagfocus=instance=host-a:1234 checkout", file.toString());
        Map<String, long[]> top = top(one);
        assertEquals(500, top.get(A)[0], one);
        assertEquals(250, top.get(B)[1], one);
        assertEquals(750, top.get(ROOT)[1], one);
        Map<String, long[]> other = top(pprof("-top", "-sample_index=samples", "-tagfocus=instance=host-b", file.toString()));
        assertEquals(250, other.get(A)[0]);
        assertEquals(null, other.get(B));
        String tags = pprof("-tags", file.toString());
        assertTrue(tags.contains("host-a:1234 checkout") && tags.contains("host-b:99 checkout"), tags);
    }

    @Test
    void goToolPprofSampleIndexPerEvent() throws Exception {
        Path file = tempFile("two.pb.gz", write(twoEvents(), WriteOptions.defaults().withEvent(EventType.ALLOC)));
        String raw = pprof("-raw", file.toString());
        assertTrue(raw.contains("samples/count cpu/nanoseconds alloc_objects/count alloc_space/bytes[dflt]\n"), raw);
        assertEquals(List.of(1000L, 1_000_000_000L, 3L, 5120L), rawTotals(raw));
        Map<String, long[]> objects = top(pprof("-top", "-sample_index=alloc_objects", file.toString()));
        assertEquals(2, objects.get(A)[0]);
        assertEquals(1, objects.get(B)[0]);
        assertEquals(3, objects.get(ROOT)[1]);
        Map<String, long[]> samples = top(pprof("-top", "-sample_index=0", file.toString()));
        assertEquals(750, samples.get(A)[0]);
        assertEquals(1000, samples.get(ROOT)[1]);
        // default is the written event's measure: alloc_space, in bytes
        String space = pprof("-top", "-unit=B", file.toString());
        assertTrue(space.contains("of 5120B total"), space);
    }

    /**
     * A method interpreted, C1-, JIT-compiled and inlined is one row of {@code top} (pprof groups
     * by name), while each variant keeps its type in its function's system name.
     */
    @Test
    void goToolPprofShowsTypeVariantsAsOneMethod() throws Exception {
        Path file = tempFile("types.pb.gz", write(FrameTypesTest.everyType(), WriteOptions.defaults()));
        Map<String, long[]> top = top(pprof("-top", "-sample_index=samples", file.toString()));
        assertEquals(15, top.get(FrameTypesTest.PAY)[0], "flat of the five variants, 1 + 2 + 3 + 4 + 5: " + top.keySet());
        assertEquals(45, top.get(FrameTypesTest.PAY)[1], "cum: and what the JIT one calls, 6 + 7 + 8 + 9");
        String raw = pprof("-raw", file.toString());
        for (String suffix : new String[] {"_[0]", "_[1]", "_[j]", "_[i]"}) {
            assertTrue(raw.contains(FrameTypesTest.PAY + suffix), suffix + " in:\n" + raw);
        }
        assertTrue(raw.contains("lost: 4 samples (buffer_full=3 other=1)"), raw);
        assertTrue(raw.contains("unwalked: 10 samples"), raw);
    }

    @Test
    void readerReadsWhatGoToolPprofEncodes() throws Exception {
        Profile p = twoEvents();
        Path file = tempFile("reencode-in.pb.gz", write(p, WriteOptions.defaults()));
        Path out = file.resolveSibling("reencode-out.pb.gz");
        Files.deleteIfExists(out);
        pprof("-proto", "-output=" + out, file.toString());
        Profile back = new PprofReader().read(new ByteArrayInputStream(Files.readAllBytes(out)), out.toString());
        assertEquals(p.total(EventType.CPU, -1), back.total(EventType.CPU, -1));
        assertEquals(p.total(EventType.ALLOC, -1), back.total(EventType.ALLOC, -1));
        assertEquals(collapsed(p, EventType.CPU), collapsed(back, EventType.CPU));
        assertEquals(2, back.instances().size());
    }

    /** Sum of each value column over the samples of {@code go tool pprof -raw}. */
    static List<Long> rawTotals(String raw) {
        List<Long> sums = new ArrayList<>();
        boolean inSamples = false;
        Pattern row = Pattern.compile("^\\s*((?:-?\\d+\\s+)*-?\\d+):.*");
        for (String line : raw.split("\n")) {
            if (line.startsWith("Samples:")) {
                inSamples = true;
                continue;
            }
            if (inSamples && (line.startsWith("Locations") || line.startsWith("Mappings"))) {
                break;
            }
            Matcher m = row.matcher(line);
            if (inSamples && m.matches()) {
                String[] vals = m.group(1).trim().split("\\s+");
                for (int i = 0; i < vals.length; i++) {
                    if (sums.size() <= i) {
                        sums.add(0L);
                    }
                    sums.set(i, sums.get(i) + Long.parseLong(vals[i]));
                }
            }
        }
        return sums;
    }

    /** name → {flat, cum} from {@code -top} output with count units. */
    static Map<String, long[]> top(String out) {
        Map<String, long[]> rows = new LinkedHashMap<>();
        Pattern row = Pattern.compile("^\\s*(\\d+)\\s+[\\d.]+%\\s+[\\d.]+%\\s+(\\d+)\\s+[\\d.]+%\\s+(.+)$");
        for (String line : out.split("\n")) {
            Matcher m = row.matcher(line);
            if (m.matches()) {
                rows.put(m.group(3), new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))});
            }
        }
        if (rows.isEmpty()) {
            fail("no rows in pprof -top output:\n" + out);
        }
        return rows;
    }

    static Path tempFile(String name, byte[] bytes) throws IOException {
        Path dir = Paths.get("target", "pprof-test");
        Files.createDirectories(dir);
        Path f = dir.resolve(name);
        Files.write(f, bytes);
        return f.toAbsolutePath();
    }

    /** Runs {@code go tool pprof} with the arguments; returns stdout, fails with stderr on error. */
    static String pprof(String... args) throws Exception {
        Path go = findGo();
        List<String> cmd = new ArrayList<>(List.of(go.toString(), "tool", "pprof"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Path work = Paths.get("target", "go-home").toAbsolutePath();
        Files.createDirectories(work);
        Map<String, String> env = pb.environment();
        // A writable cache outside target/ so `mvn clean` does not rebuild pprof (20 s) each time.
        Path cache = Paths.get(System.getProperty("java.io.tmpdir"), "cprof-go-cache-" + System.getProperty("user.name"));
        env.putIfAbsent("GOCACHE", cache.toString());
        env.put("HOME", env.getOrDefault("HOME", work.toString()));
        if (!Files.isWritable(Paths.get(env.get("HOME")))) {
            env.put("HOME", work.toString());
        }
        env.putIfAbsent("GOPATH", work.resolve("gopath").toString());
        env.put("GOFLAGS", "-mod=mod");
        env.put("GOTOOLCHAIN", "local"); // never download a toolchain
        env.put("PPROF_TMPDIR", work.toString());
        env.remove("PPROF_BINARY_PATH");
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Path err = Files.createTempFile(work, "pprof", ".err");
        pb.redirectError(err.toFile());
        Process proc = pb.start();
        byte[] stdout = proc.getInputStream().readAllBytes();
        if (!proc.waitFor(300, TimeUnit.SECONDS)) {
            proc.destroyForcibly();
            fail("go tool pprof did not finish in 300 s: " + cmd);
        }
        String stderr = Files.readString(err);
        Files.deleteIfExists(err);
        if (proc.exitValue() != 0) {
            fail("go tool pprof failed (" + proc.exitValue() + "): " + cmd + "\n" + stderr);
        }
        return new String(stdout, StandardCharsets.UTF_8);
    }

    static Path findGo() {
        List<Path> candidates = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (!dir.isEmpty()) {
                    candidates.add(Paths.get(dir, "go"));
                }
            }
        }
        String goroot = System.getenv("GOROOT");
        if (goroot != null) {
            candidates.add(Paths.get(goroot, "bin", "go"));
        }
        candidates.add(Paths.get("/usr/local/go/bin/go"));
        candidates.add(Paths.get("/usr/lib/go/bin/go"));
        for (Path c : candidates) {
            if (Files.isExecutable(c)) {
                return c;
            }
        }
        String message = "Go is not installed (no go on PATH, in $GOROOT/bin or /usr/local/go/bin): "
                + "the pprof tests need `go tool pprof`";
        if (System.getenv("CI") != null || System.getenv("CPROF_REQUIRE_TOOLS") != null) {
            fail(message);
        }
        Assumptions.abort(message);
        return null;
    }
}

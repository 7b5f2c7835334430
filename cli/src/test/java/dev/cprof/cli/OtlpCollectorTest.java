package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.cprof.profile.Format;
import dev.cprof.profile.OtlpProfiles;
import dev.cprof.profile.Profile;
import dev.cprof.testkit.TwoMethods;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --export otlp=URL} into a real OpenTelemetry Collector: scripts/otelcol (the Collector
 * v0.165.0 with its OTLP receiver, the profiles signal behind the {@code service.profilesSupport}
 * feature gate, and an exporter writing what it receives into a directory), built once and cached
 * by scripts/otelcol/build.sh. What the Collector wrote, decoded with the official classes, must
 * hold the totals per instance and event of the {@code .cprof} written beside, and the resources.
 * Without Go the test is skipped, or fails when CI or CPROF_REQUIRE_TOOLS is set.
 */
class OtlpCollectorTest {
    static Path binary;
    static Collector collector;
    @TempDir
    static Path shared;
    @TempDir
    Path dir;

    /** A running cprof-otelcol on a port of its own, writing batches into {@code out}. */
    static final class Collector implements AutoCloseable {
        final Process process;
        final int port;
        final Path out;
        final Path log;

        Collector(Path binary, Path work, int port) throws IOException {
            this.port = port;
            this.out = work.resolve("received-" + port);
            this.log = work.resolve("collector-" + port + ".log");
            Path config = work.resolve("collector-" + port + ".yaml");
            Files.writeString(config, String.join("\n",
                    "receivers:",
                    "  otlp:",
                    "    protocols:",
                    "      http:",
                    "        endpoint: 127.0.0.1:" + port,
                    "        include_metadata: true",
                    "exporters:",
                    "  cprofile:",
                    "    directory: " + out,
                    "    headers: [authorization, x-scope-orgid]",
                    "service:",
                    "  telemetry:",
                    "    metrics:",
                    "      level: none",
                    "  pipelines:",
                    "    profiles:",
                    "      receivers: [otlp]",
                    "      exporters: [cprofile]",
                    ""), StandardCharsets.UTF_8);
            process = new ProcessBuilder(binary.toString(), "--config", "file:" + config,
                    "--feature-gates=service.profilesSupport")
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        }

        /** Waits until the receiver accepts connections (at most 60 s: a loaded machine). */
        Collector awaitListening() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    fail("the collector exited " + process.exitValue() + ":\n" + Files.readString(log));
                }
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                    return this;
                } catch (IOException e) {
                    Thread.sleep(100);
                }
            }
            fail("the collector did not listen on " + port + " in 60 s:\n" + Files.readString(log));
            return this;
        }

        String url() {
            return "otlp=http://127.0.0.1:" + port;
        }

        /** The requests the collector wrote, in the order it received them. */
        List<ExportProfilesServiceRequest> received() throws IOException {
            List<ExportProfilesServiceRequest> out = new ArrayList<>();
            if (!Files.isDirectory(this.out)) {
                return out;
            }
            List<Path> files;
            try (Stream<Path> s = Files.list(this.out)) {
                files = s.filter(p -> p.toString().endsWith(".pb")).sorted().toList();
            }
            for (Path f : files) {
                out.add(ExportProfilesServiceRequest.parseFrom(Files.readAllBytes(f)));
            }
            return out;
        }

        @Override
        public void close() throws Exception {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @BeforeAll
    static void startCollector() throws Exception {
        binary = build();
        collector = new Collector(binary, shared, freePort()).awaitListening();
    }

    @AfterAll
    static void stopCollector() throws Exception {
        if (collector != null) {
            collector.close();
        }
    }

    /** scripts/otelcol/build.sh: the cached binary, built on the first run. */
    static Path build() throws Exception {
        Path script = repo().resolve("scripts/otelcol/build.sh");
        if (!hasGo()) {
            String message = "ASSUMPTION: Go is not installed (no go on PATH or in /usr/local/go/bin): the OTLP export test"
                    + " needs it to build the test collector (scripts/otelcol/build.sh)";
            if (System.getenv("CI") != null || System.getenv("CPROF_REQUIRE_TOOLS") != null) {
                fail(message);
            }
            Assumptions.abort(message);
        }
        Process p = new ProcessBuilder("bash", script.toString()).redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        }
        if (!p.waitFor(30, TimeUnit.MINUTES) || p.exitValue() != 0) {
            fail("scripts/otelcol/build.sh failed (exit " + p.exitValue() + "): " + out);
        }
        Path bin = Path.of(out);
        assertTrue(Files.isExecutable(bin), "no collector binary at " + bin);
        return bin;
    }

    static boolean hasGo() {
        String path = System.getenv("PATH");
        List<Path> candidates = new ArrayList<>();
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isEmpty()) {
                    candidates.add(Path.of(d, "go"));
                }
            }
        }
        candidates.add(Path.of("/usr/local/go/bin/go"));
        return candidates.stream().anyMatch(Files::isExecutable);
    }

    static Path repo() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("scripts/otelcol/build.sh"))) {
            p = p.getParent();
        }
        assertTrue(p != null, "scripts/otelcol/build.sh not found above " + Path.of("").toAbsolutePath());
        return p;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    static Profile read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return Format.CPROF.read(in, file.toString());
        }
    }

    /** Totals per instance and event over requests. */
    static Map<String, Long> totals(List<ExportProfilesServiceRequest> requests) {
        Map<String, Long> out = new java.util.TreeMap<>();
        for (ExportProfilesServiceRequest r : requests) {
            OtlpProfiles.of(r).totals().forEach((k, v) -> out.merge(k, v, Long::sum));
        }
        return out;
    }

    @Test
    void attachExportsTheSessionIntoTheCollector() throws Exception {
        int before = collector.received().size();
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            Path cprof = dir.resolve("session.cprof");
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "-d", "3s", "-o", cprof.toString(),
                    "--export", collector.url());
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("exported"), r.err());
            List<ExportProfilesServiceRequest> got = collector.received();
            assertEquals(before + 1, got.size(), "one request for the session");
            ExportProfilesServiceRequest req = got.get(got.size() - 1);
            Profile local = read(cprof);
            Map<String, Long> want = OtlpProfiles.totals(local);
            assertFalse(want.isEmpty(), "the session sampled something");
            assertEquals(want, OtlpProfiles.of(req).totals());
            // the resource of the one instance: the semantic conventions' attributes
            assertEquals(1, req.getResourceProfilesCount());
            Map<String, Object> res = OtlpProfiles.of(req).resource(0);
            assertEquals(jvm.pid(), res.get("process.pid"));
            assertEquals(local.instances().get(0).getHost(), res.get("host.name"));
            assertEquals("java", res.get("process.runtime.name"));
            assertEquals(local.instances().get(0).getJdkVersion(), res.get("process.runtime.version"));
            // the frames of the workload arrive as functions
            assertTrue(OtlpProfiles.of(req).functionNames().stream().anyMatch(n -> n.contains("TwoMethods")),
                    OtlpProfiles.of(req).functionNames().toString());
        }
    }

    @Test
    void continuousSessionExportsEveryInterval() throws Exception {
        int before = collector.received().size();
        try (TargetProcess jvm = TargetProcess.jvm(TwoMethods.class)) {
            Path out = dir.resolve("intervals");
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "--continuous", "--rotate", "2s", "-d", "5s",
                    "-o", out + "/", "--export", collector.url());
            assertEquals(0, r.code(), r.err());
            List<Path> files;
            try (Stream<Path> s = Files.list(out)) {
                files = s.filter(p -> p.toString().endsWith(".cprof")).sorted().toList();
            }
            // two rotations and the last, partial interval
            assertTrue(files.size() >= 3, "interval files: " + files + "\n" + r.err());
            List<ExportProfilesServiceRequest> got = collector.received();
            List<ExportProfilesServiceRequest> mine = got.subList(before, got.size());
            // intervals are written and exported in order, one after the other; one without samples
            // (the last, partial one can be) is not sent
            List<Map<String, Long>> want = new ArrayList<>();
            for (Path f : files) {
                Map<String, Long> t = OtlpProfiles.totals(read(f));
                if (!t.isEmpty()) {
                    want.add(t);
                }
            }
            assertTrue(want.size() >= 2, "intervals with samples: " + want + "\n" + r.err());
            List<Map<String, Long>> received = new ArrayList<>();
            for (ExportProfilesServiceRequest req : mine) {
                received.add(OtlpProfiles.of(req).totals());
                assertEquals(jvm.pid(), OtlpProfiles.of(req).resource(0).get("process.pid"));
                assertEquals("java", OtlpProfiles.of(req).resource(0).get("process.runtime.name"));
            }
            assertEquals(want, received, "one request per interval with samples, in order\n" + r.err());
        }
    }

    @Test
    void convertRetriesUntilTheCollectorListens() throws Exception {
        Path cprof = cprofFile();
        int port = freePort();
        // the collector starts a second after the export begins: the first attempts are refused
        CompletableFuture<Cli.Result> run = CompletableFuture.supplyAsync(() ->
                Cli.run("convert", cprof.toString(), "--export", "otlp=http://127.0.0.1:" + port + "/v1development/profiles"));
        Thread.sleep(1000);
        try (Collector late = new Collector(binary, dir, port)) {
            late.awaitListening();
            Cli.Result r = run.get(60, TimeUnit.SECONDS);
            assertEquals(0, r.code(), r.err());
            assertTrue(r.err().contains("exported"), r.err());
            assertEquals(OtlpProfiles.totals(read(cprof)), totals(late.received()));
        }
    }

    @Test
    void headersFromTheFileReachTheCollector() throws Exception {
        Path cprof = cprofFile();
        Path headers = dir.resolve("otlp-headers");
        Files.writeString(headers, "# for the collector\nAuthorization: Bearer t0ken-42\nX-Scope-OrgID: tenant-7\n");
        int before = collector.received().size();
        Cli.Result r = Cli.run("convert", cprof.toString(), "--export", collector.url(), "--export-header-file", headers.toString());
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("t0ken"), "the token stays out of messages: " + r.err());
        assertEquals(before + 1, collector.received().size());
        Path recorded = collector.out.resolve(String.format("%06d.headers", before + 1));
        assertEquals("authorization: Bearer t0ken-42\nx-scope-orgid: tenant-7\n", Files.readString(recorded));
    }

    /** A .cprof of two instances. */
    private Path cprofFile() throws IOException {
        Profile p = new Profile();
        int a = p.addInstance(dev.cprof.wire.proto.InstanceInfo.newBuilder().setInstanceId(1).setHost("h1").setPid(11)
                .setService("checkout").setJdkVersion("17.0.15").build());
        int b = p.addInstance(dev.cprof.wire.proto.InstanceInfo.newBuilder().setInstanceId(2).setHost("h2").setPid(22)
                .setService("checkout").setJdkVersion("21.0.5").build());
        int main = p.frame("app.Main.main", dev.cprof.wire.proto.FrameKind.JAVA, 3);
        int work = p.frame("app.Main.work", dev.cprof.wire.proto.FrameKind.JAVA, 9);
        p.addSample(new int[] {main, work}, a, dev.cprof.wire.proto.EventType.CPU, 70, 0);
        p.addSample(new int[] {main}, b, dev.cprof.wire.proto.EventType.CPU, 30, 0);
        p.addSample(new int[] {main, work}, b, dev.cprof.wire.proto.EventType.ALLOC, 2, 8192);
        p.coverTime(1_700_000_000_000_000_000L, 1_700_000_010_000_000_000L);
        Path f = dir.resolve("two.cprof");
        try (var o = Files.newOutputStream(f)) {
            Format.CPROF.write(p, o, dev.cprof.profile.WriteOptions.defaults());
        }
        return f;
    }
}

package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.session.ExitCodes;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --export otlp=URL and --export-header-file: what they accept and the one-line errors for the rest. */
class ExportOptionsTest {
    @TempDir
    Path dir;

    @Test
    void endpointDefaultsToTheProfilesPath() {
        assertEquals(URI.create("http://localhost:4318/v1development/profiles"), OtlpExporter.endpoint("otlp=http://localhost:4318"));
        assertEquals(URI.create("http://localhost:4318/v1development/profiles"), OtlpExporter.endpoint("otlp=http://localhost:4318/"));
        assertEquals(URI.create("https://otel.example:443/custom/v1development/profiles"),
                OtlpExporter.endpoint("otlp=https://otel.example:443/custom/v1development/profiles"));
        assertEquals(URI.create("http://[::1]:4318/v1development/profiles"), OtlpExporter.endpoint("OTLP=http://[::1]:4318"));
    }

    @Test
    void badEndpointsAreUsageErrors() {
        for (String bad : new String[] {"http://localhost:4318", "zipkin=http://x:1", "otlp=localhost:4318", "otlp=ftp://x/",
                "otlp=http://", "otlp=http://user:secret@x:4318", "otlp=http://x:4318/ a"}) {
            Cli.Result r = Cli.run("convert", "in.cprof", "--export", bad);
            assertEquals(ExitCodes.USAGE, r.code(), bad + ": " + r.err());
            assertEquals(1, r.errLines().length, r.err());
            assertTrue(r.err().contains("--export"), r.err());
            assertFalse(r.err().contains("secret"), "the URL's credentials are not echoed: " + r.err());
        }
    }

    @Test
    void headerFile() throws IOException {
        Path f = dir.resolve("headers");
        Files.writeString(f, "# the collector's token\nAuthorization: Bearer abc.def\n\nX-Scope-OrgID:  tenant-1 \n");
        assertEquals(Map.of("Authorization", "Bearer abc.def", "X-Scope-OrgID", "tenant-1"), OtlpExporter.headers(f));
        Files.writeString(f, "Authorization Bearer abc\n");
        IOException e = assertThrows(IOException.class, () -> OtlpExporter.headers(f));
        assertTrue(e.getMessage().contains("line 1") && !e.getMessage().contains("abc"), e.getMessage());
        Files.writeString(f, "Content-Type: text/plain\n");
        assertTrue(assertThrows(IOException.class, () -> OtlpExporter.headers(f)).getMessage().contains("itself"));
        Cli.Result r = Cli.run("convert", "in.cprof", "--export", "otlp=http://localhost:4318", "--export-header-file", dir.resolve("none").toString());
        assertEquals(ExitCodes.USAGE, r.code(), r.err());
        assertEquals(1, r.errLines().length, r.err());
        Cli.Result noExport = Cli.run("convert", "in.cprof", "-o", "x.html", "--export-header-file", f.toString());
        assertEquals(ExitCodes.USAGE, noExport.code(), noExport.err());
    }

    /** A .cprof of one instance. */
    private Path cprofFile() throws IOException {
        dev.cprof.profile.Profile p = new dev.cprof.profile.Profile();
        int a = p.addInstance(dev.cprof.wire.proto.InstanceInfo.newBuilder().setInstanceId(1).setHost("h1").setPid(11).setService("checkout").build());
        int main = p.frame("app.Main.main", dev.cprof.wire.proto.FrameKind.JAVA, 3);
        p.addSample(new int[] {main}, a, dev.cprof.wire.proto.EventType.CPU, 70, 0);
        Path f = dir.resolve("one.cprof");
        try (var o = Files.newOutputStream(f)) {
            dev.cprof.profile.Format.CPROF.write(p, o, dev.cprof.profile.WriteOptions.defaults());
        }
        return f;
    }

    /** No receiver at all (a closed port of this host): retried, then one line; the file is there. */
    @Test
    void aFailedExportIsOneLineAndKeepsTheFile() throws Exception {
        Path cprof = cprofFile();
        int closed; // nothing listens there
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        Path out = dir.resolve("out.otlp.pb");
        Cli.Result r = Cli.run("convert", cprof.toString(), "-o", out.toString(), "--export", "otlp=http://127.0.0.1:" + closed);
        assertEquals(0, r.code(), "the file was written: the exit code is convert's\n" + r.err());
        assertTrue(Files.size(out) > 0);
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().startsWith("cprof: export of ") && r.err().contains("failed") && r.err().contains("after 5 attempts")
                && r.err().contains("the local file is kept"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        // with the export as the only output, its failure is the command's
        Cli.Result only = Cli.run("convert", cprof.toString(), "--export", "otlp=http://127.0.0.1:" + closed);
        assertEquals(1, only.code(), only.err());
    }

}

package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.session.AtomicFile;
import dev.cprof.session.ExitCodes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConvertCommandTest {

    static final String HELLO = String.join("\n",
            "main;app.Server.handle_[j];app.Checkout.price_[i] 40",
            "main;app.Server.handle_[j];app.Checkout.tax_[1] 25",
            "main;app.Server.handle_[j];java.util.HashMap.get_[0] 7",
            "main;app.Server.handle;app.Checkout.price 1",
            "main;app.Server.accept;Java_sun_nio_ch_Net_accept;accept_[k] 3",
            "GC Thread;[unknown] 2",
            "") ;

    @TempDir
    Path dir;

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private static List<String> sortedLines(String s) {
        return s.lines().filter(l -> !l.isBlank()).sorted().collect(Collectors.toList());
    }

    private static void assertOneLineError(Cli.Result r, int code, String contains) {
        assertEquals(code, r.code(), r.err());
        assertEquals(1, r.errLines().length, "one line on stderr, got: " + r.err());
        assertTrue(r.err().startsWith("cprof: "), r.err());
        assertTrue(r.err().contains(contains), "expected '" + contains + "' in: " + r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertFalse(r.err().contains("\tat "), r.err());
        assertEquals(0, r.outBytes().length, "nothing on stdout");
    }

    private List<String> leftovers() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).collect(Collectors.toList());
        }
    }

    @Test
    void collapsedToCprofToCollapsedIsExact() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        Path cprof = dir.resolve("hello.cprof");
        Path back = dir.resolve("back.collapsed");
        Path direct = dir.resolve("direct.collapsed");

        assertEquals(0, Cli.run("convert", in.toString(), "-o", cprof.toString()).code());
        assertEquals(0, Cli.run("convert", cprof.toString(), "-o", back.toString()).code());
        assertEquals(0, Cli.run("convert", in.toString(), "-o", direct.toString()).code());

        String backText = Files.readString(back);
        assertEquals(sortedLines(HELLO), sortedLines(backText), "same stacks and counts");
        assertEquals(Files.readString(direct), backText, "going through .cprof loses nothing");

        // and .cprof -> .cprof is byte-identical
        Path again = dir.resolve("again.cprof");
        assertEquals(0, Cli.run("convert", cprof.toString(), "-o", again.toString()).code());
        assertArrayEquals(Files.readAllBytes(cprof), Files.readAllBytes(again));
        assertEquals(List.of(), leftovers());
    }

    @Test
    void otlpByExtensionAndByFormatHoldsTheTotalsOfTheCprof() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        Path cprof = dir.resolve("hello.cprof");
        Path otlp = dir.resolve("hello.otlp.pb");
        assertEquals(0, Cli.run("convert", in.toString(), "-o", cprof.toString()).code());
        Cli.Result r = Cli.run("convert", cprof.toString(), "-o", otlp.toString());
        assertEquals(0, r.code(), r.err());
        dev.cprof.profile.Profile p = ProfileFiles.read(cprof.toString());
        var decoded = dev.cprof.profile.OtlpProfiles.of(
                io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceRequest.parseFrom(Files.readAllBytes(otlp)));
        assertEquals(dev.cprof.profile.OtlpProfiles.totals(p), decoded.totals());
        assertEquals(java.util.Map.of(in + " cpu", 78L), decoded.totals()); // the collapsed file is the instance
        assertTrue(decoded.functionNames().contains("app.Checkout.price"), decoded.functionNames().toString());
        // --format otlp to standard output: the same bytes
        Cli.Result toStdout = Cli.run("convert", cprof.toString(), "--format", "otlp", "-o", "-");
        assertEquals(0, toStdout.code(), toStdout.err());
        assertArrayEquals(Files.readAllBytes(otlp), toStdout.outBytes());
        assertEquals(List.of(), leftovers());
    }

    @Test
    void formatOverridesTheExtension() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        Path out = dir.resolve("profile.txt"); // .txt would mean collapsed
        Cli.Result r = Cli.run("convert", in.toString(), "-o", out.toString(), "--format", "cprof");
        assertEquals(0, r.code(), r.err());
        byte[] bytes = Files.readAllBytes(out);
        // a zstd frame, not text
        assertArrayEquals(new byte[] {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD}, Arrays.copyOf(bytes, 4));

        Path renamed = dir.resolve("profile.cprof");
        Files.copy(out, renamed);
        Cli.Result r2 = Cli.run("convert", renamed.toString(), "-o", "-", "--format", "collapsed");
        assertEquals(0, r2.code(), r2.err());
        assertEquals(sortedLines(HELLO), sortedLines(r2.out()));
    }

    @Test
    void dashWritesToStdout() throws IOException {
        Path in = file("hello.txt", HELLO);
        Cli.Result r = Cli.run("convert", in.toString(), "-o", "-", "--format", "collapsed");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertEquals(sortedLines(HELLO), sortedLines(r.out()));
    }

    @Test
    void dashNeedsFormat() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        assertOneLineError(Cli.run("convert", in.toString(), "-o", "-"), ExitCodes.USAGE, "--format");
    }

    @Test
    void missingInputIsOneLine() {
        Path missing = dir.resolve("nope.collapsed");
        Cli.Result r = Cli.run("convert", missing.toString(), "-o", dir.resolve("out.cprof").toString());
        assertOneLineError(r, ExitCodes.FAILED, "no such file: " + missing);
        assertFalse(Files.exists(dir.resolve("out.cprof")));
    }

    @Test
    void missingOutputOptionIsAUsageError() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        assertOneLineError(Cli.run("convert", in.toString()), ExitCodes.USAGE, "-o FILE");
    }

    @Test
    void missingInputArgumentIsAUsageError() {
        assertOneLineError(Cli.run("convert", "-o", "x.cprof"), ExitCodes.USAGE, "IN");
    }

    @Test
    void malformedCollapsedNamesTheLine() throws IOException {
        Path in = file("bad.collapsed", "a;b 1\na;c 2\na;b;c lots\n");
        Path out = file("out.cprof", "previous content");
        Cli.Result r = Cli.run("convert", in.toString(), "-o", out.toString());
        assertOneLineError(r, ExitCodes.FAILED, "bad.collapsed:3:");
        assertEquals("previous content", Files.readString(out), "a failed conversion leaves the old output alone");
        assertEquals(List.of(), leftovers());
    }

    @Test
    void truncatedCprofIsAClearError() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        Path cprof = dir.resolve("hello.cprof");
        assertEquals(0, Cli.run("convert", in.toString(), "-o", cprof.toString()).code());
        byte[] whole = Files.readAllBytes(cprof);
        Path cut = dir.resolve("cut.cprof");
        Files.write(cut, Arrays.copyOf(whole, whole.length / 2));
        Cli.Result r = Cli.run("convert", cut.toString(), "-o", dir.resolve("cut.collapsed").toString());
        assertOneLineError(r, ExitCodes.FAILED, "cut.cprof: corrupt compressed data near byte");
        assertFalse(Files.exists(dir.resolve("cut.collapsed")));

        Path empty = file("empty.cprof", "");
        assertOneLineError(Cli.run("convert", empty.toString(), "-o", dir.resolve("e.collapsed").toString()),
                ExitCodes.FAILED, "empty.cprof");
    }

    @Test
    void unknownOutputExtensionIsOneLine() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        Cli.Result r = Cli.run("convert", in.toString(), "-o", dir.resolve("out.xyz").toString());
        assertOneLineError(r, ExitCodes.FAILED, "cannot tell the format of");
        assertFalse(Files.exists(dir.resolve("out.xyz")));
    }

    @Test
    void unknownInputExtensionIsOneLine() throws IOException {
        Path in = file("hello.data", HELLO);
        assertOneLineError(Cli.run("convert", in.toString(), "-o", dir.resolve("o.cprof").toString()),
                ExitCodes.FAILED, "cannot tell the format of");
    }

    @Test
    void unreadableInputFormatIsOneLine() throws IOException {
        Path in = file("hello.html", "<html></html>");
        assertOneLineError(Cli.run("convert", in.toString(), "-o", dir.resolve("o.cprof").toString()),
                ExitCodes.FAILED, "cannot read html");
    }

    @Test
    void unknownFormatNameIsAUsageError() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        assertOneLineError(Cli.run("convert", in.toString(), "-o", "-", "--format", "gif"),
                ExitCodes.USAGE, "unknown format 'gif'");
    }

    @Test
    void unknownEventIsAUsageErrorAndAnAbsentOneFails() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        assertOneLineError(Cli.run("convert", in.toString(), "-o", "-", "--format", "collapsed", "--event", "heat"),
                ExitCodes.USAGE, "unknown event 'heat'");
        assertOneLineError(Cli.run("convert", in.toString(), "-o", "-", "--format", "collapsed", "-e", "alloc"),
                ExitCodes.FAILED, "has no alloc samples");
        Cli.Result ok = Cli.run("convert", in.toString(), "-o", "-", "--format", "collapsed", "-e", "cpu");
        assertEquals(0, ok.code(), ok.err());
    }

    @Test
    void missingOutputDirectoryIsOneLine() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        assertOneLineError(Cli.run("convert", in.toString(), "-o", dir.resolve("no/such/dir/o.cprof").toString()),
                ExitCodes.FAILED, "no such directory");
    }

    @Test
    void directoryAsInputOrOutputIsOneLine() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        Path sub = Files.createDirectory(dir.resolve("sub.cprof"));
        assertOneLineError(Cli.run("convert", sub.toString(), "-o", "-", "--format", "collapsed"),
                ExitCodes.FAILED, "is a directory");
        assertOneLineError(Cli.run("convert", in.toString(), "-o", sub.toString()), ExitCodes.FAILED, "is a directory");
    }

    @Test
    void debugAddsTheStackTrace() {
        Cli.Result r = Cli.run("convert", "--debug", dir.resolve("nope.collapsed").toString(), "-o", "x.cprof");
        assertEquals(ExitCodes.FAILED, r.code());
        assertTrue(r.err().contains("\tat dev.cprof.cli."), r.err());
        assertTrue(r.err().strip().endsWith("cprof: no such file: " + dir.resolve("nope.collapsed")), r.err());
    }

    @Test
    void titleReachesTheOutput() throws IOException {
        Path in = file("hello.collapsed", HELLO);
        Path out = dir.resolve("hello.svg");
        Cli.Result r = Cli.run("convert", in.toString(), "-o", out.toString(), "--title", "Checkout at noon");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(out).contains("Checkout at noon"));
    }

    @Test
    void aFailingWriterLeavesNothingBehind() throws IOException {
        Path target = file("out.html", "old");
        assertThrows(IOException.class, () -> AtomicFile.write(target, o -> {
            o.write("half of a ".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(target));
        assertEquals(List.of(), leftovers());

        AtomicFile.write(target, o -> o.write("new".getBytes(StandardCharsets.UTF_8)));
        assertEquals("new", Files.readString(target));
        assertEquals(List.of(), leftovers());
    }
}

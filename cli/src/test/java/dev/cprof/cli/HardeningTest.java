package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.session.ExitCodes;
import dev.cprof.session.PidSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14's probes of the file commands as a careless or hostile user: output over input (5),
 * a gate that passes on an empty profile (7), terminal escapes in input (8), impossible pids (11).
 */
class HardeningTest {
    private static final String PROFILE = "main;app.Server.handle;app.Checkout.price 40\nmain;app.Server.handle;app.Checkout.tax 25\n";

    @TempDir
    Path dir;

    private Path file(String name, String content) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, content, StandardCharsets.UTF_8);
        return p;
    }

    private Path cprof(String name) throws IOException {
        Path in = file(name + ".collapsed", PROFILE);
        Path out = dir.resolve(name);
        Cli.Result r = Cli.run("convert", in.toString(), "-o", out.toString());
        assertEquals(0, r.code(), r.err());
        return out;
    }

    private static void assertOneLine(Cli.Result r, int code, String contains) {
        assertEquals(code, r.code(), r.err());
        assertEquals(1, r.errLines().length, "one line on stderr, got: " + r.err());
        assertTrue(r.err().contains(contains), "expected '" + contains + "' in: " + r.err());
    }

    // ---- 5: output over input ----

    @Test
    void convertRefusesToWriteOverItsInput() throws IOException {
        Path s = cprof("s.cprof");
        byte[] before = Files.readAllBytes(s);
        Cli.Result r = Cli.run("convert", s.toString(), "-o", s.toString(), "--format", "svg");
        assertOneLine(r, ExitCodes.USAGE, "is the input");
        assertArrayEquals(before, Files.readAllBytes(s), "the input is untouched");
    }

    @Test
    void theSameFileThroughASymlinkOrAHardLinkIsRefusedToo() throws IOException {
        Path b = cprof("b.cprof");
        byte[] before = Files.readAllBytes(b);
        Path next = file("new.collapsed", PROFILE + "main;app.Server.handle;app.Fraud.check 30\n");
        Path link = Files.createSymbolicLink(dir.resolve("l.html"), b.getFileName());
        assertOneLine(Cli.run("diff", b.toString(), next.toString(), "-o", link.toString()), ExitCodes.USAGE, "(the same file)");
        Path hard = Files.createLink(dir.resolve("h.svg"), b);
        assertOneLine(Cli.run("convert", b.toString(), "-o", hard.toString()), ExitCodes.USAGE, "is the input");
        assertOneLine(Cli.run("diff", next.toString(), b.toString(), "-o", hard.toString()), ExitCodes.USAGE, "is the input");
        assertArrayEquals(before, Files.readAllBytes(b), "the input is untouched");
        // a different file of the same name elsewhere is fine
        Path other = dir.resolve("sub");
        Files.createDirectory(other);
        assertEquals(0, Cli.run("convert", b.toString(), "-o", other.resolve("b.cprof").toString()).code());
    }

    // ---- 7: an empty profile ----

    @Test
    void diffOfAnEmptyProfileFailsNamingTheEmptySide() throws IOException {
        Path base = cprof("base.cprof");
        Path empty = file("empty.collapsed", "");
        Cli.Result r = Cli.run("diff", base.toString(), empty.toString(), "--fail-on", "total:+5%", "--fail-on", "new:1%");
        assertOneLine(r, ExitCodes.FAILED, "NEW " + empty + " is empty");
        r = Cli.run("diff", empty.toString(), base.toString(), "--fail-on", "new:1%");
        assertOneLine(r, ExitCodes.FAILED, "BASE " + empty + " is empty");
    }

    @Test
    void diffOfAProfileWithoutSamplesOfTheComparedEventFails() throws IOException {
        Path base = cprof("base.cprof");
        // a .cprof that declares cpu but holds none of its samples: through an empty collapsed file
        Path empty = dir.resolve("empty.cprof");
        Cli.Result c = Cli.run("convert", file("e.collapsed", "").toString(), "-o", empty.toString());
        assertEquals(0, c.code(), c.err());
        Cli.Result r = Cli.run("diff", base.toString(), empty.toString(), "-e", "cpu", "--fail-on", "total:+5%");
        assertEquals(ExitCodes.FAILED, r.code(), r.err());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains(empty.toString()), r.err());
    }

    @Test
    void convertOfAnEmptyProfileWarns() throws IOException {
        Path empty = file("empty.collapsed", "");
        Path out = dir.resolve("e.html");
        Cli.Result r = Cli.run("convert", empty.toString(), "-o", out.toString());
        assertOneLine(r, ExitCodes.OK, "warning: " + empty + " has no samples");
        assertTrue(Files.exists(out));
    }

    // ---- 8: terminal escapes ----

    private static void assertNoControls(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            assertFalse((c < 0x20 && c != '\n') || (c >= 0x7f && c <= 0x9f),
                    "control character U+" + Integer.toHexString(c) + " at " + i + " in: " + s);
        }
    }

    @Test
    void escapesInAnInputFileReachTheTerminalEscaped() throws IOException {
        Path bad = file("esc.collapsed", "a;b 1\u001b[31mX\u001b]0;pwned\u0007\u009b2J\n");
        Cli.Result r = Cli.run("convert", bad.toString(), "-o", dir.resolve("x.html").toString());
        assertEquals(ExitCodes.FAILED, r.code(), r.err());
        assertNoControls(r.err());
        assertTrue(r.err().contains("1\\x1b[31mX\\x1b]0;pwned\\x07\\x9b2J"), r.err());
    }

    @Test
    void escapesInFrameNamesAndFileNamesAreEscapedInDiffOutput() throws IOException {
        Path base = file("base.collapsed", PROFILE);
        Path next = file("new\u001b[2J.collapsed", PROFILE + "main;app.\u001b[31mEvil\u0007\u009b2J 50\n"); // no ';': it splits frames
        Cli.Result r = Cli.run("diff", base.toString(), next.toString(), "--fail-on", "new:1%");
        assertEquals(ExitCodes.REGRESSION, r.code(), r.err());
        assertNoControls(r.out());
        assertNoControls(r.err());
        assertTrue(r.out().contains("app.\\x1b[31mEvil\\x07\\x9b2J"), r.out());
        assertTrue(r.err().contains("app.\\x1b[31mEvil\\x07\\x9b2J"), r.err());
    }

    // ---- 11: impossible pids ----

    @Test
    void zeroAndNegativePidsAreUsageErrors() {
        for (String pid : List.of("0", "-5")) {
            Cli.Result r = Cli.run("attach", "--pid", pid, "-d", "1s", "-o", dir.resolve("x.html").toString());
            assertOneLine(r, ExitCodes.USAGE, "--pid " + pid + " is not a process id");
            r = Cli.run("top", "--pid", "1," + pid, "-d", "1s", "--batch");
            assertOneLine(r, ExitCodes.USAGE, "--pid " + pid + " is not a process id");
        }
    }

    @Test
    void repeatedPidsAreProfiledOnce() {
        assertEquals(List.of(12L, 7L), PidSource.checked(List.of(12L, 7L, 12L, 7L)));
    }
}

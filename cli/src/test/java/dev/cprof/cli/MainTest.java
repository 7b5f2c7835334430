package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.session.ExitCodes;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Model.CommandSpec;

class MainTest {

    @Test
    void versionNamesCprofAndTheJvm() {
        Cli.Result r = Cli.run("--version");
        assertEquals(ExitCodes.OK, r.code());
        String[] lines = r.out().split("\\R");
        assertEquals("cprof " + VersionProvider.version(), lines[0]);
        assertFalse(VersionProvider.version().equals("unknown"), "version.properties is filtered by the build");
        assertTrue(lines[1].startsWith("JVM: " + System.getProperty("java.version")), r.out());
    }

    @Test
    void helpCommandShowsTheCommands() {
        Cli.Result r = Cli.run("help");
        assertEquals(ExitCodes.OK, r.code());
        assertTrue(r.out().contains("Usage: cprof"), r.out());
        assertTrue(r.out().contains("convert"), r.out());
        assertTrue(r.out().contains("Exit codes:"), r.out());
        assertFalse(r.out().contains("generate-completion"), "the completion helper stays hidden");
    }

    @Test
    void helpOfASubcommand() {
        Cli.Result r = Cli.run("help", "convert");
        assertEquals(ExitCodes.OK, r.code());
        assertTrue(r.out().contains("Usage: cprof convert"), r.out());
        assertTrue(r.out().contains("--format=FORMAT"), r.out());

        Cli.Result h = Cli.run("convert", "--help");
        assertEquals(ExitCodes.OK, h.code());
        assertEquals(r.out(), h.out());
    }

    @Test
    void noCommandIsAUsageError() {
        Cli.Result r = Cli.run();
        assertEquals(ExitCodes.USAGE, r.code());
        assertTrue(r.err().contains("Usage: cprof"), r.err());
    }

    @Test
    void unknownCommandIsOneLineWithASuggestion() {
        Cli.Result r = Cli.run("convrt", "x");
        assertEquals(ExitCodes.USAGE, r.code());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().startsWith("cprof: "), r.err());
        assertTrue(r.err().contains("did you mean convert"), r.err());
    }

    @Test
    void unknownOptionIsAUsageError() {
        Cli.Result r = Cli.run("convert", "--frobnicate", "in.collapsed", "-o", "out.cprof");
        assertEquals(ExitCodes.USAGE, r.code());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("--frobnicate"), r.err());
    }

    @Test
    void demoRefusesATooShortDuration() {
        // the demo itself runs in DemoCommandTest
        Cli.Result r = Cli.run("demo", "-d", "1s");
        assertEquals(ExitCodes.USAGE, r.code());
        assertEquals("cprof: -d 1s is too short for the demo (at least 2s)", r.err().strip());
        assertEquals("", r.out());
    }

    @Test
    void generateCompletionWritesABashScript() {
        Cli.Result r = Cli.run("generate-completion");
        assertEquals(ExitCodes.OK, r.code());
        assertTrue(r.out().contains("complete -F"), r.out());
        assertTrue(r.out().contains("convert"), r.out());
    }

    @Test
    void exitCodesAreTheDesignOnes() {
        assertEquals(0, ExitCodes.OK);
        assertEquals(1, ExitCodes.FAILED);
        assertEquals(2, ExitCodes.USAGE);
        assertEquals(3, ExitCodes.PARTIAL);
        assertEquals(4, ExitCodes.NOTHING_FOUND);
        assertEquals(10, ExitCodes.REGRESSION);
    }

    @Test
    void manPagesRenderForEveryVisibleCommand() {
        CommandSpec root = Main.commandLine(System.out, System.err).getCommandSpec();
        for (CommandSpec spec : RoffManPage.visibleCommands(root)) {
            StringWriter s = new StringWriter();
            RoffManPage.write(spec, "1.0", new PrintWriter(s));
            String page = s.toString();
            assertTrue(page.contains(".TH \"" + RoffManPage.pageName(spec).toUpperCase().replace("-", "\\-")), page);
            assertTrue(page.contains(".SH SYNOPSIS"), page);
            assertTrue(page.contains(".SH EXIT STATUS"), page);
            for (String line : page.split("\n")) {
                assertFalse(line.startsWith(".") && !line.matches("^\\.(\\\\\"|TH|SH|TP|PP|nf|fi)( .*)?$"),
                        "unexpected roff request in " + RoffManPage.pageName(spec) + ": " + line);
            }
        }
    }
}

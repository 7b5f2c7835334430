package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * The committed man pages ({@code man/}) match what {@link GenerateDocs} renders from the current
 * picocli model: a changed option or description without regenerated pages fails here (and in CI).
 */
class ManPagesTest {
    static final Path MAN = Path.of("..", "man");
    static final String HINT = " is out of date: run mvn -pl cli package and commit man/";

    static CommandLine commandLine() {
        PrintStream sink = new PrintStream(PrintStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        return Main.commandLine(sink, sink);
    }

    /** File name → content, exactly as GenerateDocs writes them. */
    static Map<String, String> rendered() {
        CommandSpec root = commandLine().getCommandSpec();
        String version = VersionProvider.version();
        Map<String, String> pages = new TreeMap<>();
        for (CommandSpec spec : RoffManPage.visibleCommands(root)) {
            StringWriter roff = new StringWriter();
            try (PrintWriter w = new PrintWriter(roff)) {
                RoffManPage.write(spec, version, w);
            }
            pages.put(RoffManPage.pageName(spec) + ".1", roff.toString());
            StringWriter adoc = new StringWriter();
            try (PrintWriter w = new PrintWriter(adoc)) {
                ManPageGenerator.writeSingleManPage(w, spec);
            }
            pages.put(RoffManPage.pageName(spec) + ".adoc", adoc.toString());
        }
        return pages;
    }

    @Test
    void committedManPagesMatchTheModel() throws Exception {
        assertTrue(Files.isDirectory(MAN), "man/ beside cli/: " + MAN.toAbsolutePath());
        Map<String, String> pages = rendered();
        assertTrue(pages.containsKey("cprof.1") && pages.containsKey("cprof-attach.1"), pages.keySet().toString());

        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> e : pages.entrySet()) {
            Path file = MAN.resolve(e.getKey());
            if (!Files.isRegularFile(file)) {
                problems.add("man/" + e.getKey() + " is missing: run mvn -pl cli package and commit man/");
            } else if (!Files.readString(file, StandardCharsets.UTF_8).equals(e.getValue())) {
                problems.add("man/" + e.getKey() + HINT);
            }
        }
        TreeSet<String> stale = new TreeSet<>();
        try (DirectoryStream<Path> committed = Files.newDirectoryStream(MAN, "cprof*.{1,adoc}")) {
            for (Path p : committed) {
                String name = p.getFileName().toString();
                if (!pages.containsKey(name)) {
                    stale.add(name);
                }
            }
        }
        for (String name : stale) {
            problems.add("man/" + name + " documents a command that no longer exists: run mvn -pl cli package and commit man/");
        }
        if (!problems.isEmpty()) {
            fail(String.join("\n", problems));
        }
    }

    @Test
    void manPagesLookLikeRoff() {
        String page = rendered().get("cprof-attach.1");
        assertTrue(page.contains("\n.TH \"CPROF\\-ATTACH\" \"1\""), page);
        assertTrue(page.contains(".SH SYNOPSIS") && page.contains(".SH DESCRIPTION"), page);
    }

    @Test
    void bashCompletionIsGenerated() {
        String script = AutoComplete.bash("cprof", commandLine());
        assertFalse(script.isBlank(), "a completion script");
        assertTrue(script.contains("attach"), "completes the attach command");
        assertTrue(script.contains("complete -F _complete_cprof"), "registers itself for cprof");
        assertEquals(script, AutoComplete.bash("cprof", commandLine()), "the same model gives the same script");
    }
}

package dev.cprof.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.codegen.docgen.manpage.ManPageGenerator;

/**
 * Build step (exec-maven-plugin, phase package): man pages and bash completion from the picocli
 * model, so they never drift from the code. Writes {@code MANDIR/cprof*.1} (roff, for
 * {@code man -l}), {@code MANDIR/cprof*.adoc} (picocli's asciidoc) and the bash completion script.
 * Pages of commands that no longer exist are removed. Needs picocli-codegen, which is on the
 * build class path only, not in cprof.jar.
 *
 * <p>Usage: {@code GenerateDocs MANDIR COMPLETION_FILE}
 */
public final class GenerateDocs {
    private GenerateDocs() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            throw new IllegalArgumentException("usage: GenerateDocs MANDIR COMPLETION_FILE");
        }
        Path manDir = Path.of(args[0]).toAbsolutePath().normalize();
        Path completion = Path.of(args[1]).toAbsolutePath().normalize();
        Files.createDirectories(manDir);
        if (completion.getParent() != null) {
            Files.createDirectories(completion.getParent());
        }
        PrintStream sink = new PrintStream(PrintStream.nullOutputStream(), true, StandardCharsets.UTF_8);
        CommandLine cl = Main.commandLine(sink, sink);
        CommandSpec root = cl.getCommandSpec();
        String version = VersionProvider.version();

        Set<Path> wanted = new HashSet<>();
        List<CommandSpec> commands = RoffManPage.visibleCommands(root);
        for (CommandSpec spec : commands) {
            StringWriter roff = new StringWriter();
            try (PrintWriter w = new PrintWriter(roff)) {
                RoffManPage.write(spec, version, w);
            }
            Path page = manDir.resolve(RoffManPage.pageName(spec) + ".1");
            writeIfChanged(page, roff.toString(), true);
            wanted.add(page);

            StringWriter adoc = new StringWriter();
            try (PrintWriter w = new PrintWriter(adoc)) {
                ManPageGenerator.writeSingleManPage(w, spec);
            }
            Path adocPage = manDir.resolve(RoffManPage.pageName(spec) + ".adoc");
            writeIfChanged(adocPage, adoc.toString(), true);
            wanted.add(adocPage);
        }
        try (DirectoryStream<Path> old = Files.newDirectoryStream(manDir, "cprof*.{1,adoc}")) {
            for (Path p : old) {
                if (!wanted.contains(p.toAbsolutePath().normalize())) {
                    Files.delete(p);
                }
            }
        }
        writeIfChanged(completion, AutoComplete.bash("cprof", cl), false);
    }

    /** Leaves an unchanged file alone, so its timestamp (and git) see no change; says what changed. */
    private static void writeIfChanged(Path file, String content, boolean announce) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        if (Files.exists(file) && java.util.Arrays.equals(Files.readAllBytes(file), bytes)) {
            return;
        }
        Files.write(file, bytes);
        if (announce) {
            System.err.println("cprof docs: updated " + file); // a change in the source tree: worth seeing
        }
    }
}

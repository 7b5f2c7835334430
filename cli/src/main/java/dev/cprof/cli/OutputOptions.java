package dev.cprof.cli;

import dev.cprof.profile.Format;
import dev.cprof.profile.Profile;
import dev.cprof.profile.WriteOptions;
import dev.cprof.session.AtomicFile;
import dev.cprof.session.ExitCodes;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Iterator;
import java.util.List;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** Where and how a command writes its profile: {@code -o FILE}, {@code --format}, {@code --title}. */
public final class OutputOptions {

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Write the profile to FILE; its extension picks the format unless --format is given."
                    + " '-' writes to standard output.")
    String output;

    @Option(names = "--format", paramLabel = "FORMAT", converter = FormatConverter.class,
            completionCandidates = FormatNames.class,
            description = "Output format: html, svg, collapsed, pprof, speedscope, otlp (OpenTelemetry profiles, .otlp.pb) or cprof. Overrides the extension.")
    Format format;

    @Option(names = "--title", paramLabel = "TITLE", description = "Title of the flame graph.")
    String title;

    @Option(names = "--html-max", paramLabel = "SIZE", defaultValue = "10MB", converter = ByteSizeConverter.class,
            description = "Size cap of an HTML flame graph (default: ${DEFAULT-VALUE}): its time buckets (the heat map's"
                    + " columns) are merged in pairs until the page fits; the page says so.")
    long htmlMax;

    public boolean hasOutput() {
        return output != null;
    }

    public String output() {
        return output;
    }

    public String title() {
        return title;
    }

    public boolean toStdout() {
        return "-".equals(output);
    }

    /** The output format: --format, else the extension of -o. Needs -o. */
    public Format resolveFormat() {
        if (format != null) {
            return format;
        }
        if (output == null) {
            throw new CliException(ExitCodes.USAGE, "no output: give -o FILE (or -o - with --format)");
        }
        if (toStdout()) {
            throw new CliException(ExitCodes.USAGE, "--format is needed to write to standard output (-o -)");
        }
        try {
            return Format.byFileName(output);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.FAILED, e.getMessage());
        }
    }

    /**
     * Refuses (usage error) an -o that is one of the inputs, also through a symbolic or hard link:
     * the output would replace the file it is made from. An -o that does not exist yet cannot be one.
     */
    public void refuseOverwriting(String... inputs) {
        if (output == null || toStdout()) {
            return;
        }
        java.nio.file.Path out;
        try {
            out = java.nio.file.Path.of(output);
        } catch (java.nio.file.InvalidPathException e) {
            return; // the write reports it
        }
        if (!java.nio.file.Files.exists(out)) {
            return;
        }
        for (String input : inputs) {
            try {
                java.nio.file.Path in = java.nio.file.Path.of(input);
                if (java.nio.file.Files.exists(in) && java.nio.file.Files.isSameFile(out, in)) {
                    String how = output.equals(input) ? "" : " (the same file)";
                    throw new CliException(ExitCodes.USAGE, "-o " + output + " is the input " + input + how
                            + ": writing it would destroy the input; give -o another file");
                }
            } catch (java.nio.file.InvalidPathException | IOException e) {
                // an unreadable or bad input name: reading it reports that
            }
        }
    }

    /**
     * Writes the profile to -o in the resolved format: to stdout for '-', else through a temporary
     * file in the same directory renamed over the target, so a failure leaves no half-written file.
     */
    public void write(CommandSpec spec, Profile profile, WriteOptions given) throws IOException {
        Format f = resolveFormat();
        WriteOptions options = given.withHtmlMax(htmlMax);
        try {
            if (toStdout()) {
                PrintStream out = Main.of(spec).stdout();
                f.write(profile, out, options);
                out.flush();
            } else {
                AtomicFile.write(java.nio.file.Path.of(output), o -> f.write(profile, o, options));
            }
        } catch (UnsupportedOperationException e) {
            throw new CliException(ExitCodes.FAILED, "writing " + f.formatName + " is not implemented yet", e);
        }
    }

    /** {@code --format NAME}: a usage error for an unknown name. */
    static final class FormatConverter implements ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            try {
                return Format.byName(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** Completion candidates for --format. */
    static final class FormatNames implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return List.of(Format.names().split(", ")).iterator();
        }
    }
}

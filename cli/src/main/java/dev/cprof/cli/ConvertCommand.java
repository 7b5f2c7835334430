package dev.cprof.cli;

import dev.cprof.profile.Events;
import dev.cprof.profile.Profile;
import dev.cprof.profile.SafeText;
import dev.cprof.profile.WriteOptions;
import dev.cprof.session.ExitCodes;
import dev.cprof.wire.proto.EventType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** {@code cprof convert IN -o OUT}: reads a profile and writes it in another format. */
@Command(
        name = "convert",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Converts a profile between formats.",
            "",
            "Reads .cprof, pprof (.pb.gz, .pprof) and collapsed stacks (.collapsed, .txt); writes html, svg, collapsed,"
                    + " pprof (.pb.gz, .pprof), speedscope (.json), OpenTelemetry profiles (.otlp.pb) and .cprof. The output is written to a"
                    + " temporary file and renamed, so a failed conversion leaves no partial file.",
            "",
            "--from/--to write a time range of a profile recorded with time buckets (cprof attach, top, demo),"
                    + " each " + TimeRange.POINT_HELP + "; --bucket coarsens its buckets.",
            "",
            "--export otlp=URL sends the profile to an OpenTelemetry Collector, with or without -o; without -o a failed"
                    + " export exits 1.",
        })
final class ConvertCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "IN",
            description = "Input profile: .cprof, pprof (.pb.gz, .pprof) or collapsed stacks (.collapsed, .txt).")
    String input;

    @Mixin
    OutputOptions output;

    @Mixin
    ExportOptions export;

    @Option(names = {"-e", "--event"}, paramLabel = "EVENT", converter = EventConverter.class,
            completionCandidates = EventNames.class,
            description = "Event to write in single-event formats (collapsed, svg): cpu, wall, alloc, lock or jdbc."
                    + " Default: the profile's first event.")
    EventType event;

    @Option(names = "--from", paramLabel = "TIME", description = "Start of the range to write (default: the profile's start).")
    String from;

    @Option(names = "--to", paramLabel = "TIME", description = "End of the range to write, exclusive (default: the profile's end).")
    String to;

    @Option(names = "--bucket", paramLabel = "TIME", converter = DurationConverter.class,
            description = "Coarser time buckets: a multiple of the profile's (e.g. 5s on a profile of 1 s buckets).")
    java.time.Duration bucket;

    @Option(names = "--per-instance", description = "Root each stack at its instance (host:pid service).")
    boolean perInstance;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (!output.hasOutput() && !export.enabled()) {
            throw new CliException(ExitCodes.USAGE, "missing -o FILE: where to write the converted profile (see 'cprof convert --help')");
        }
        export.exporter(); // a bad --export URL or header file: a usage error before reading
        if (output.hasOutput()) {
            output.resolveFormat(); // fail on a bad -o or --format before reading a big input
            output.refuseOverwriting(input);
        }
        Profile profile = ProfileFiles.read(input);
        if (from != null || to != null) {
            profile = TimeRange.slice(profile, input, from, to, from != null ? "--from" : "--to");
        }
        if (bucket != null) {
            rebucket(profile);
        }
        if (perInstance) {
            profile = dev.cprof.profile.Views.perInstance(profile);
        }
        if (event != null && !profile.events().contains(event)) {
            throw new CliException(input + " has no " + Events.name(event) + " samples (it has: "
                    + profile.events().stream().map(Events::name).collect(Collectors.joining(", ")) + ")");
        }
        warnIfEmpty(profile);
        String title = output.title() != null ? output.title() : java.nio.file.Path.of(input).getFileName().toString();
        WriteOptions options = WriteOptions.defaults().withTitle(title).withEvent(event);
        if (output.hasOutput()) {
            output.write(spec, profile, options);
        }
        if (export.enabled()) {
            PrintWriter err = spec.commandLine().getErr();
            boolean sent = export.send(profile, input, err, true);
            if (!sent && !output.hasOutput()) {
                return ExitCodes.FAILED; // the export was the only output
            }
        }
        return ExitCodes.OK;
    }

    private void rebucket(Profile profile) {
        if (profile.timeline() == null) {
            throw new CliException(ExitCodes.USAGE, input + " has no time buckets, so --bucket has nothing to coarsen");
        }
        try {
            profile.timeline().rebucket(bucket.toNanos());
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, "--bucket " + bucket.toMillis() + "ms: not a multiple of " + input + "'s buckets of "
                    + profile.timeline().bucketNs() / 1_000_000 + "ms");
        }
    }

    /** An empty input converts (an empty flame graph is a true picture of it), but never silently. */
    private void warnIfEmpty(Profile profile) {
        List<EventType> events = event != null ? List.of(event) : profile.events();
        long n = 0;
        for (EventType e : events) {
            n += profile.total(e, -1);
        }
        if (n == 0) {
            PrintWriter err = spec.commandLine().getErr();
            err.println("cprof: warning: " + SafeText.escape(input) + " has no "
                    + (event != null ? Events.name(event) + " " : "") + "samples; the output is an empty profile");
            err.flush();
        }
    }

    /** {@code --event NAME}: a usage error for an unknown name. */
    static final class EventConverter implements ITypeConverter<EventType> {
        @Override
        public EventType convert(String value) {
            try {
                return Events.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class EventNames implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return java.util.List.of("cpu", "wall", "alloc", "lock", "jdbc").iterator();
        }
    }
}

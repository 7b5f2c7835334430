package dev.cprof.cli;

import dev.cprof.profile.Events;
import dev.cprof.profile.Format;
import dev.cprof.profile.Profile;
import dev.cprof.profile.SafeText;
import dev.cprof.profile.WriteOptions;
import dev.cprof.session.AtomicFile;
import dev.cprof.session.ExitCodes;
import dev.cprof.session.InstanceSource;
import dev.cprof.session.InstanceSources;
import dev.cprof.session.ProfileMerge;
import dev.cprof.session.ProfilingSession;
import dev.cprof.session.SessionClock;
import dev.cprof.session.SessionMerger;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.StartRequest;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cprof top --pid P | --service S [--zk …]}: a live view of the hottest methods, full
 * screen on a terminal ({@link TopScreen}), a plain table every few seconds otherwise.
 */
@Command(
        name = "top",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Live view of the hottest methods of running JVMs: one JVM, or a whole service across the fleet.",
            "",
            "Methods are frames summed by name over all stacks: SELF%% is the share of samples where the method"
                    + " is running, TOTAL%% where it is on the stack. Full screen on a terminal, refreshed every second;"
                    + " keys: q quit, e next event, i instance (all, then each), s save a snapshot"
                    + " (cprof-top-<time>.cprof in the current directory), / filter (a regular expression; Enter"
                    + " applies, Esc clears), arrow keys select (the bottom lines show the selected method's SELF%% on"
                    + " each instance).",
            "",
            "When standard output is not a terminal (or with --batch) it prints a plain table every --every."
                    + " -d defaults to unlimited here: top runs until q, Ctrl-C or SIGTERM, and always stops the agents.",
        })
final class TopCommand implements Callable<Integer> {
    static final DateTimeFormatter SNAPSHOT_STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT);

    @ArgGroup(exclusive = true, multiplicity = "1")
    AttachCommand.Target target;

    @Mixin
    ProfilingOptions profiling;

    @Mixin
    SubsetOptions subset;

    @Mixin
    ZkOptions zk;

    @Option(names = {"-b", "--batch"}, description = "Print plain tables even on a terminal (like top -b).")
    boolean batch;

    @Option(names = "--every", paramLabel = "TIME", defaultValue = "5s", converter = DurationConverter.class,
            description = "Plain mode: print a table this often (default: ${DEFAULT-VALUE}).")
    Duration every;

    @Option(names = {"-n", "--top"}, paramLabel = "N", defaultValue = "15",
            description = "Plain mode: methods per table (default: ${DEFAULT-VALUE}).")
    int top;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        long durationNanos = spec.commandLine().getParseResult().hasMatchedOption("-d")
                ? profiling.durationNanos() : LongSessionOptions.UNLIMITED_NANOS;
        long everyNanos = every.toNanos();
        if (everyNanos < 100_000_000L || top < 1) {
            throw new CliException(ExitCodes.USAGE, "--every must be at least 100ms and --top at least 1");
        }
        boolean screen = !batch && Main.of(spec).stdout() == System.out && interactive();
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter log = screen ? null : err; // on the full screen, messages wait until the terminal is restored
        InstanceSources.Chosen chosen = InstanceSources.choose(target.pids, target.service, subset.share(), zk.hasZk() ? zk : null,
                durationNanos / 1_000_000, log);
        InstanceSource source = chosen.source();
        StartRequest request = profiling.startRequest(chosen.sessionId());
        List<EventType> events = request.getEventsList();
        long started = System.nanoTime();
        ProfilingSession.Result r;
        try (chosen; SessionClock clock = new SessionClock()) {
            r = ProfilingSession.run(source, request, clock, profiling.newMerger(), (merger, src, c) -> {
                if (screen) {
                    new TopScreen(merger, src, c, events, started, durationNanos).run();
                } else {
                    plain(merger, src, c, events.get(0), started, durationNanos, everyNanos);
                }
            });
        }
        // a live view: instances that end early are seen on the screen, not reported as partial
        for (String f : r.errors()) {
            err.println("cprof: " + SafeText.escape(f));
        }
        if (source.subset() != null) {
            err.println("cprof: " + source.subset().summary() + " (--instances " + source.subset().share().describe() + ")");
        }
        err.flush();
        if (!r.anyAttached()) {
            if (r.found() == 0 && source.nothingFound() != null) {
                throw new CliException(ExitCodes.NOTHING_FOUND, source.nothingFound());
            }
            return ExitCodes.FAILED;
        }
        return r.errors().isEmpty() ? ExitCodes.OK : ExitCodes.PARTIAL;
    }

    /** Not a terminal: a table every {@code everyNanos}, and one at the end. */
    private void plain(SessionMerger merger, InstanceSource source, SessionClock clock, EventType event, long started,
            long durationNanos, long everyNanos) throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        TopModel model = new TopModel();
        long lastSamples = 0;
        long lastTime = started;
        while (!clock.interrupted()) {
            long left = durationNanos - (System.nanoTime() - started);
            if (left <= 0) {
                break;
            }
            clock.await(Math.min(everyNanos, left), () -> { });
            merger.withProfile(p -> {
                model.copy(p);
                return null;
            });
            long now = System.nanoTime();
            double rate = (model.samples() - lastSamples) * 1e9 / Math.max(1, now - lastTime);
            lastSamples = model.samples();
            lastTime = now;
            TopModel.Result r = model.rows(event, -1, null, null);
            out.println(String.format(Locale.ROOT, "cprof top %s · %s · %d/%d instances · %,.0f samples/s · %.0f s%s",
                    source.describe(), Events.name(event), merger.streams().size(), source.found(), rate, (now - started) / 1e9,
                    model.losses()));
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"SELF%", "TOTAL%", Events.byWeight(event) ? "SELF " + Events.unit(event).toUpperCase(Locale.ROOT) : "SAMPLES", "METHOD"});
            for (TopModel.Row row : r.rows().subList(0, Math.min(top, r.rows().size()))) {
                rows.add(new String[] {pct(row.selfPct()), pct(row.totalPct()), Long.toString(row.self()), row.method()});
            }
            if (r.rows().isEmpty()) {
                rows.add(new String[] {"", "", "", "(no samples yet)"});
            }
            Table.print(out, rows);
            out.println();
            out.flush();
        }
    }

    static String pct(double p) {
        return String.format(Locale.ROOT, "%.1f", p);
    }

    /** Writes a copy of the live profile (taken under its lock) to cprof-top-<time>.cprof in the current directory. */
    static Path snapshot(SessionMerger merger, String describe) throws IOException {
        Profile copy = merger.withProfile(p -> ProfileMerge.merge(List.of(p)));
        copy.metadata().put("command", "cprof top " + describe);
        Path dir = Path.of(System.getProperty("user.dir"));
        String stamp = LocalDateTime.now().format(SNAPSHOT_STAMP);
        Path file = dir.resolve("cprof-top-" + stamp + ".cprof");
        for (int i = 2; java.nio.file.Files.exists(file); i++) {
            file = dir.resolve("cprof-top-" + stamp + "-" + i + ".cprof");
        }
        AtomicFile.write(file, o -> Format.CPROF.write(copy, o, WriteOptions.defaults()));
        return file;
    }

    /** Standard input and output are a terminal (JDK 22+ has a Console even when they are not: ask it). */
    static boolean interactive() {
        Console c = System.console();
        if (c == null) {
            return false;
        }
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (NoSuchMethodException e) {
            return true; // JDK 17 to 21: a console exists only for a terminal
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

}

package dev.cprof.cli;

import dev.cprof.profile.Events;
import dev.cprof.profile.Json;
import dev.cprof.profile.Profile;
import dev.cprof.profile.SafeText;
import dev.cprof.profile.Views;
import dev.cprof.profile.WriteOptions;
import dev.cprof.session.ExitCodes;
import dev.cprof.session.InstanceShare;
import dev.cprof.session.InstanceSource;
import dev.cprof.session.InstanceSubset;
import dev.cprof.session.InstanceSources;
import dev.cprof.session.LongSession;
import dev.cprof.session.PidSource;
import dev.cprof.session.ProfilingSession;
import dev.cprof.session.SessionClock;
import dev.cprof.session.SessionMerger;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.StartRequest;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cprof attach --pid P[,P…]} or {@code --service S [--zk CONNECT]}: profiles running JVMs
 * and writes one merged profile.
 */
@Command(
        name = "attach",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Profiles running JVMs without restarting them and writes one merged profile.",
            "",
            "Loads cprof's native agent into each JVM (through jattach, or the JDK's Attach API"
                    + " when jattach is missing), samples for the duration and writes -o."
                    + " Ctrl-C ends early and still writes.",
            "",
            "--pid names JVMs of this host. --service S with --zk finds every instance of S in ZooKeeper"
                    + " and profiles it through its host's 'cprof peer'; instances that start during the session"
                    + " join it, those that stop keep their samples. --service without --zk looks at the JVMs of"
                    + " this host only (named by -Dcprof.service or CPROF_SERVICE).",
        })
final class AttachCommand implements Callable<Integer> {

    /** What to profile: pids of this host, or a service. */
    static final class Target {
        @Option(names = {"-p", "--pid"}, split = ",", paramLabel = "PID", required = true,
                description = "JVMs of this host to profile, comma-separated or repeated.")
        List<Long> pids;

        @Option(names = {"-s", "--service"}, paramLabel = "SERVICE", required = true,
                description = "Profile every instance of SERVICE: through ZooKeeper with --zk, else on this host.")
        String service;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    @Mixin
    ProfilingOptions profiling;

    @Mixin
    SubsetOptions subset;

    @Mixin
    OutputOptions output;

    @Mixin
    ZkOptions zk;

    @Mixin
    LongSessionOptions longSession;

    @Mixin
    ExportOptions export;

    @Option(names = "--json", description = "At the end, print a JSON summary to stdout.")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "No progress or summary on stderr.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    /** --continuous: interval files written, for the summary. */
    private int intervalsWritten = -1;

    @Override
    public Integer call() throws Exception {
        if (!output.hasOutput()) {
            throw new CliException(ExitCodes.USAGE, "missing -o FILE: where to write the profile (e.g. -o profile.html)");
        }
        java.nio.file.Path longDir = longSession.continuous ? longSession.directory(output) : null;
        if (longDir == null) {
            output.resolveFormat();
        }
        export.exporter(); // a bad --export URL or header file is a usage error before anything is attached
        long durationNanos = longDir != null && !spec.commandLine().getParseResult().hasMatchedOption("-d")
                ? LongSessionOptions.UNLIMITED_NANOS : profiling.durationNanos();
        PrintWriter err = spec.commandLine().getErr();
        if (target.pids != null) {
            target.pids = PidSource.checked(target.pids); // once each, and only real pids (else exit 2)
        }
        InstanceShare share = subset.share();
        InstanceSources.Chosen chosen = InstanceSources.choose(target.pids, target.service, share, zk.hasZk() ? zk : null,
                durationNanos / 1_000_000, quiet || json ? null : err);
        InstanceSource source = chosen.source();
        String sessionId = chosen.sessionId();
        StartRequest request = profiling.startRequest(sessionId);
        Progress progress = new Progress(err, longDir == null && !quiet && !json && System.console() != null);
        String title = output.title() != null ? output.title()
                : "cprof " + String.join(",", profiling.events) + " " + source.describe();
        SessionMerger merger = profiling.newMerger();
        LongSession intervals = null;
        if (longDir != null) {
            intervals = new LongSession(longDir, fileName(), longSession.keepHtml, this::view, title, quiet || json ? null : err);
            intervals.metadata().put("session", sessionId);
            intervals.metadata().put("command", "cprof attach " + source.describe() + " --continuous");
            if (share != null) {
                intervals.metadata().put("instances_seed", Long.toString(share.seed()));
                intervals.profiledOf(() -> source.subset().summary()); // grows with joiners: read as each interval is written
            }
            merger.rotateEvery(longSession.rotateNanos(), intervals::submit);
            if (export.enabled()) {
                boolean verbose = !quiet && !json;
                intervals.onWritten((p, file) -> export.send(p, file.getFileName().toString(), err, verbose));
            }
        }
        try (chosen; SessionClock clock = new SessionClock(); LongSession closing = intervals) {
            ProfilingSession.Result r = ProfilingSession.run(source, request, durationNanos, clock, progress, merger);
            Profile profile = r.profile();
            profile.metadata().put("session", sessionId);
            profile.metadata().put("command", "cprof attach " + source.describe());
            if (share != null) {
                // the page prints no metadata: the title says it (below); the files keep it here
                profile.metadata().put("instances", source.subset().summary());
                profile.metadata().put("instances_seed", Long.toString(share.seed()));
            }
            if (!r.anyAttached() && r.found() == 0 && source.nothingFound() != null) {
                throw new CliException(ExitCodes.NOTHING_FOUND, source.nothingFound());
            }
            if (intervals != null) {
                // the last, partial interval; written even when nothing attached (the earlier ones were)
                intervals.finish(profile);
                intervalsWritten = intervals.written().size();
            } else if (r.anyAttached()) {
                Profile written = view(profile);
                String shown = share == null ? title : title + " · " + source.subset().summary();
                output.write(spec, written, WriteOptions.defaults().withTitle(shown));
                if (export.enabled()) {
                    // after the file: a failed export loses nothing and leaves the exit code alone
                    export.send(written, output.toStdout() ? "the profile" : output.output(), err, !quiet && !json);
                }
            }
            int exit = !r.anyAttached() ? ExitCodes.FAILED : r.failures().isEmpty() ? ExitCodes.OK : ExitCodes.PARTIAL;
            report(err, r, source.subset());
            return exit;
        }
    }

    /**
     * The profile as written: Python children (--python) stitched beneath their JVM's Spark
     * runner stack where it has one (see {@link Views#stitchPython}), --include/--exclude,
     * --per-instance.
     */
    private Profile view(Profile profile) {
        Profile stitched = Views.stitchPython(profile, Views.SPARK_PYTHON_RUNNER);
        Profile view = Views.filter(stitched, profiling.includePattern(), profiling.excludePattern());
        return profiling.perInstance ? Views.perInstance(view) : view;
    }

    /** Interval files of a long session are named after the service or the pids. */
    private String fileName() {
        if (target.pids == null) {
            return target.service.strip();
        }
        StringBuilder sb = new StringBuilder();
        for (long pid : target.pids) {
            sb.append(sb.length() == 0 ? "" : "_").append(pid);
        }
        return sb.toString();
    }


    /** {@code part}: with --instances, the instances chosen of those seen; else null. */
    private void report(PrintWriter err, ProfilingSession.Result r, InstanceSubset part) {
        Profile profile = r.profile();
        boolean written = r.anyAttached();
        if (!quiet && !json) {
            for (String f : r.failures()) {
                err.println("cprof: " + SafeText.escape(f));
            }
            if (written) {
                StringBuilder sb = new StringBuilder("cprof: ");
                if (part != null) {
                    sb.append(part.summary()).append(", ");
                } else {
                    sb.append(r.streams().size()).append(r.streams().size() == 1 ? " instance, " : " instances, ");
                }
                if (intervalsWritten >= 0) {
                    long n = 0;
                    for (SessionMerger.Stream s : r.streams()) {
                        n += s.samples();
                    }
                    sb.append(n).append(" samples in ").append(intervalsWritten).append(" interval files, ");
                }
                for (EventType e : intervalsWritten >= 0 ? List.<EventType>of() : profile.events()) {
                    sb.append(profile.total(e, -1)).append(' ').append(Events.name(e))
                            .append(Events.byWeight(e) ? " " + Events.unit(e) : " samples").append(", ");
                }
                String losses = Losses.text(profile); // counted, never silent; unwalked ones are not lost
                if (!losses.isEmpty()) {
                    sb.append(losses).append(", ");
                }
                sb.append(String.format(java.util.Locale.ROOT, "%.1f s%s → %s", r.seconds(), r.interrupted() ? " (interrupted)" : "", output.output()));
                err.println(sb);
            } else {
                err.println("cprof: nothing was profiled; no output written");
            }
            err.flush();
        }
        if (json) {
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("instances", r.streams().size());
            if (part != null) { // --instances: chosen and admitted, of every instance seen
                summary.put("instances_profiled", part.profiled());
                summary.put("instances_seen", part.seen());
            }
            if (intervalsWritten >= 0) {
                summary.put("intervals", intervalsWritten); // "samples" below: the last interval's
            }
            Map<String, Object> samples = new LinkedHashMap<>();
            for (EventType e : profile.events()) {
                samples.put(Events.name(e), profile.total(e, -1));
            }
            summary.put("samples", samples);
            Losses.json(summary, profile);
            long wire = 0;
            for (SessionMerger.Stream s : r.streams()) {
                wire += s.wireBytes();
            }
            summary.put("wire_bytes", wire);
            summary.put("duration_s", r.seconds());
            summary.put("interrupted", r.interrupted());
            summary.put("output", written ? output.output() : null);
            List<Object> rows = new ArrayList<>();
            for (SessionMerger.Stream s : r.streams()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("instance", s.label());
                row.put("host", s.info().getHost());
                row.put("pid", s.info().getPid());
                row.put("service", s.info().getService());
                row.put("samples", s.samples());
                row.put("wire_bytes", s.wireBytes());
                row.put("error", s.error());
                row.put("ended", s.endReason());
                rows.add(row);
            }
            for (InstanceSource.Failed f : r.failedAttaches()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("instance", f.label());
                row.put("pid", f.pid());
                row.put("samples", 0);
                row.put("wire_bytes", 0);
                row.put("error", f.error());
                rows.add(row);
            }
            summary.put("per_instance", rows);
            summary.put("errors", r.failures());
            PrintWriter out = spec.commandLine().getOut();
            out.println(Json.write(summary));
            out.flush();
        }
    }
}

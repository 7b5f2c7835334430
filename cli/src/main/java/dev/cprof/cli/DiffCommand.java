package dev.cprof.cli;

import dev.cprof.profile.Diff;
import dev.cprof.profile.DiffOutlier;
import dev.cprof.profile.DiffRule;
import dev.cprof.profile.DiffSvgWriter;
import dev.cprof.profile.Events;
import dev.cprof.profile.Format;
import dev.cprof.profile.HtmlWriter;
import dev.cprof.profile.Json;
import dev.cprof.profile.Profile;
import dev.cprof.profile.SafeText;
import dev.cprof.session.AtomicFile;
import dev.cprof.session.ExitCodes;
import dev.cprof.wire.proto.EventType;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
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

/** {@code cprof diff BASE NEW}: what changed between two profiles, as a table, JSON and a differential flame graph. */
@Command(
        name = "diff",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Compares two profiles of the same service: which methods take a larger or smaller share.",
            "",
            "Reads .cprof, collapsed (.collapsed, .txt) and pprof (.pb.gz, .pprof) files. Each profile is"
                    + " normalised by its own total (samples for cpu and wall, bytes for alloc, time for lock),"
                    + " so runs of different length compare. For every method (frame name, all its stacks"
                    + " together) the table shows its self and total share in BASE and NEW and the change in"
                    + " percentage points (pp); a method's total counts each stack once even when it recurses.",
            "",
            "-o diff.html writes an interactive differential flame graph (zoom, search, tooltips with the"
                    + " changes), -o diff.svg a static one, both coloured alike: widths from NEW, red where a"
                    + " frame's total share (its own and its callees' samples) grew, blue where it shrank,"
                    + " grey where it did not move; stacks BASE never had are full red.",
            "",
            "--fail-on RULE (repeatable) makes diff a regression gate for performance tests: exit code 10"
                    + " when a rule is violated, reported on stderr after the output file and the table.",
            "  total:+5%%               NEW's total grew more than 5%% over BASE's",
            "  'com.shop.*:+2pp'       a matching method's total share grew more than 2pp",
            "  'self:com.shop.*:+2pp'  the same for its self share",
            "  new:1%%                  a method absent from BASE takes 1%% or more",
            "In a glob * stands for any characters. total: compares sample counts (or weights), not rates:"
                    + " use it only for runs of the same duration, interval and instance count.",
        })
final class DiffCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "BASE", description = "The reference profile (before the change).")
    String base;

    @Parameters(index = "1", paramLabel = "NEW", description = "The profile to judge (after the change).")
    String next;

    @Mixin
    OutputOptions output;

    @Option(names = {"-e", "--event"}, paramLabel = "EVENT", converter = ConvertCommand.EventConverter.class,
            completionCandidates = ConvertCommand.EventNames.class,
            description = "Event to compare: cpu, wall, alloc, lock or jdbc. Default: NEW's first event that BASE also has.")
    EventType event;

    @Option(names = "--fail-on", paramLabel = "RULE", converter = RuleConverter.class,
            description = "Exit with code 10 when the rule is violated: total:+N%%, GLOB:+Npp, self:GLOB:+Npp or new:N%%."
                    + " Repeatable.")
    List<DiffRule> rules = new ArrayList<>();

    @Option(names = "--top", paramLabel = "N", defaultValue = "20",
            description = "Rows of the table: the N largest changes (default ${DEFAULT-VALUE}; 0 = all changed methods).")
    int top;

    @Option(names = "--json", description = "Print one JSON object (totals, rows, violated rules) instead of the table.")
    boolean json;

    @Option(names = "--per-instance",
            description = "Also name the instance of NEW (and of BASE, when it has several) that differs most from"
                    + " its fleet's median: distance ½·Σ|share − median| over methods' self shares (0 = same mix,"
                    + " 1 = nothing in common). Uses one profile's instances; needs at least 3 with samples.")
    boolean perInstance;

    @Option(names = "--base-range", paramLabel = "FROM..TO",
            description = "Compare only this time range of BASE (either end may be left out), each " + TimeRange.POINT_HELP + ".")
    String baseRange;

    @Option(names = "--range", paramLabel = "FROM..TO",
            description = "Compare only this time range of NEW. With BASE and NEW the same file, compares two ranges of one session.")
    String newRange;

    @Spec
    CommandSpec spec;

    private static final int NAME_WIDTH_MAX = 100;
    private static final int OUTLIER_METHODS = 5;

    @Override
    public Integer call() throws IOException {
        if (top < 0) {
            throw new CliException(ExitCodes.USAGE, "--top must be 0 (all) or more, got " + top);
        }
        Format format = null;
        if (output.hasOutput()) {
            if (output.toStdout()) {
                throw new CliException(ExitCodes.USAGE, "diff prints its table on standard output: give -o a file name (diff.html, diff.svg)");
            }
            format = output.resolveFormat();
            if (format != Format.HTML && format != Format.SVG) {
                throw new CliException(ExitCodes.USAGE, "diff writes html or svg flame graphs, not " + format.formatName + " (use -o diff.html or -o diff.svg)");
            }
        } else if (output.format != null) {
            throw new CliException(ExitCodes.USAGE, "--format needs -o FILE");
        }
        output.refuseOverwriting(base, next);
        String[] baseSpan = baseRange == null ? null : TimeRange.split(baseRange, "--base-range");
        String[] newSpan = newRange == null ? null : TimeRange.split(newRange, "--range");
        Profile baseProfile = ProfileFiles.read(base);
        Profile newProfile = base.equals(next) && baseSpan != null && newSpan != null ? baseProfile : ProfileFiles.read(next);
        if (baseSpan != null) {
            baseProfile = TimeRange.slice(baseProfile, base, baseSpan[0], baseSpan[1], "--base-range");
        }
        if (newSpan != null) {
            newProfile = TimeRange.slice(newProfile, next, newSpan[0], newSpan[1], "--range");
        }
        requireSamples("BASE", base, baseProfile, null);
        requireSamples("NEW", next, newProfile, null);
        EventType e = chooseEvent(baseProfile, newProfile);
        // A gate must not pass on nothing: with an empty side every rule compares against zero.
        requireSamples("BASE", base, baseProfile, e);
        requireSamples("NEW", next, newProfile, e);
        Diff diff = Diff.of(baseProfile, newProfile, e);

        if (format != null) {
            String title = output.title() != null ? output.title()
                    : "cprof diff " + fileName(base) + " \u2192 " + fileName(next);
            Format f = format;
            AtomicFile.write(Path.of(output.output()), o -> {
                if (f == Format.SVG) {
                    DiffSvgWriter.write(diff, o, title);
                } else {
                    HtmlWriter.writeDiff(diff, o, title);
                }
            });
        }

        List<String> violations = new ArrayList<>();
        List<DiffRule> violated = new ArrayList<>();
        for (DiffRule rule : rules) {
            Optional<String> v = rule.check(diff);
            if (v.isPresent()) {
                violations.add(v.get());
                violated.add(rule);
            }
        }
        Optional<DiffOutlier> newFleet = perInstance ? DiffOutlier.of(newProfile, e, OUTLIER_METHODS) : Optional.empty();
        Optional<DiffOutlier> baseFleet = perInstance ? DiffOutlier.of(baseProfile, e, OUTLIER_METHODS) : Optional.empty();

        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(diff, baseProfile, newProfile, violated, violations, newFleet, baseFleet));
        } else {
            printTable(out, diff);
            if (perInstance) {
                printFleet(out, "NEW", newProfile, e, newFleet, true);
                printFleet(out, "BASE", baseProfile, e, baseFleet, false);
            }
        }
        out.flush();
        if (!violations.isEmpty()) {
            PrintWriter err = spec.commandLine().getErr();
            for (String v : violations) {
                err.println("cprof: regression: " + SafeText.escape(v));
            }
            err.flush();
            return ExitCodes.REGRESSION;
        }
        return ExitCodes.OK;
    }

    private EventType chooseEvent(Profile b, Profile n) {
        if (event != null) {
            requireEvent(base, b);
            requireEvent(next, n);
            return event;
        }
        for (EventType e : n.events()) {
            if (b.events().contains(e)) {
                return e;
            }
        }
        throw new CliException("no event in common: " + base + " has " + eventNames(b) + ", " + next + " has " + eventNames(n));
    }

    /** Exit 1 naming the side that has no samples (of {@code e}; of any event when {@code e} is null). */
    private static void requireSamples(String side, String file, Profile p, EventType e) {
        long n = 0;
        for (EventType t : e != null ? List.of(e) : p.events()) {
            n += p.total(t, -1);
        }
        if (n == 0) {
            throw new CliException(side + " " + file + " is empty (no " + (e != null ? Events.name(e) + " " : "")
                    + "samples): nothing to compare");
        }
    }

    private void requireEvent(String file, Profile p) {
        if (!p.events().contains(event)) {
            throw new CliException(file + " has no " + Events.name(event) + " samples (it has: " + eventNames(p) + ")");
        }
    }

    private static String eventNames(Profile p) {
        return p.events().isEmpty() ? "none" : p.events().stream().map(Events::name).collect(Collectors.joining(", "));
    }

    private static String fileName(String file) {
        try {
            Path p = Path.of(file).getFileName();
            return p == null ? file : p.toString();
        } catch (InvalidPathException e) {
            return file;
        }
    }

    // ---- the table ----

    private void printTable(PrintWriter out, Diff diff) {
        String unit = Events.unit(diff.event);
        double change = diff.totalChangePercent();
        out.printf(Locale.ROOT, "%s: BASE %,d %s (%s), NEW %,d %s (%s), total %s%n", Events.name(diff.event),
                diff.baseTotal(), unit, SafeText.escape(base), diff.newTotal(), unit, SafeText.escape(next),
                Double.isInfinite(change) ? "new" : String.format(Locale.ROOT, "%+.2f%%", change));
        List<Diff.Row> rows = diff.top(top);
        if (rows.isEmpty()) {
            out.println("no method's share changed");
            return;
        }
        int width = "method".length();
        for (Diff.Row r : rows) {
            width = Math.max(width, Math.min(NAME_WIDTH_MAX, cut(r.method()).length()));
        }
        out.println();
        out.printf(Locale.ROOT, "%-" + width + "s  %9s  %9s  %9s  %10s  %10s  %10s%n",
                "method", "base self", "new self", "\u0394 self pp", "base total", "new total", "\u0394 total pp");
        for (Diff.Row r : rows) {
            out.printf(Locale.ROOT, "%-" + width + "s  %9s  %9s  %9s  %10s  %10s  %10s%n",
                    cut(r.method()), share(r.baseSelf(), r.isNew()), share(r.newSelf(), false), pp(r.deltaSelf()),
                    share(r.baseTotal(), r.isNew()), share(r.newTotal(), false), pp(r.deltaTotal()));
        }
        int changed = diff.top(0).size();
        if (changed > rows.size()) {
            out.printf(Locale.ROOT, "(%d more methods changed; --top 0 shows all)%n", changed - rows.size());
        }
    }

    /** A method name for the table: escaped (names come from the files) and cut to NAME_WIDTH_MAX. */
    private static String cut(String raw) {
        String name = SafeText.escape(raw);
        return name.length() <= NAME_WIDTH_MAX ? name : ".." + name.substring(name.length() - NAME_WIDTH_MAX + 2);
    }

    private static String share(double v, boolean absent) {
        return absent ? "-" : String.format(Locale.ROOT, "%.2f%%", v);
    }

    private static String pp(double v) {
        String s = String.format(Locale.ROOT, "%+.2f", v);
        return s.equals("-0.00") ? "+0.00" : s;
    }

    private void printFleet(PrintWriter out, String which, Profile p, EventType e, Optional<DiffOutlier> fleet, boolean always) {
        if (fleet.isEmpty()) {
            if (always || p.instances().size() > 1) {
                out.println();
                out.printf(Locale.ROOT, "fleet of %s: fewer than %d instances with %s samples, no outlier to find%n",
                        which, DiffOutlier.MIN_INSTANCES, Events.name(e));
            }
            return;
        }
        DiffOutlier f = fleet.get();
        DiffOutlier.Instance o = f.outlier();
        out.println();
        out.printf(Locale.ROOT, "fleet of %s (%d instances with %s samples): most different is %s, distance %.3f from the"
                + " fleet's median (next %.3f)%n", which, f.instances().size(), Events.name(e), SafeText.escape(o.label()), o.distance(), f.nextDistance());
        if (f.methods().isEmpty()) {
            return;
        }
        int width = "method".length();
        for (DiffOutlier.Method m : f.methods()) {
            width = Math.max(width, Math.min(NAME_WIDTH_MAX, cut(m.method()).length()));
        }
        out.printf(Locale.ROOT, "  %-" + width + "s  %13s  %11s  %9s%n", "method", "instance self", "median self", "\u0394 pp");
        for (DiffOutlier.Method m : f.methods()) {
            out.printf(Locale.ROOT, "  %-" + width + "s  %13s  %11s  %9s%n", cut(m.method()),
                    share(m.share(), false), share(m.median(), false), pp(m.delta()));
        }
    }

    // ---- JSON ----

    private String json(Diff diff, Profile b, Profile n, List<DiffRule> violated, List<String> violations,
            Optional<DiffOutlier> newFleet, Optional<DiffOutlier> baseFleet) {
        StringBuilder sb = new StringBuilder(4096);
        sb.append("{\"event\":").append(Json.string(Events.name(diff.event)))
                .append(",\"unit\":").append(Json.string(Events.unit(diff.event)))
                .append(",\"base\":{\"file\":").append(Json.string(base))
                .append(",\"total\":").append(diff.baseTotal())
                .append(",\"instances\":").append(b.instances().size()).append('}')
                .append(",\"new\":{\"file\":").append(Json.string(next))
                .append(",\"total\":").append(diff.newTotal())
                .append(",\"instances\":").append(n.instances().size()).append('}')
                .append(",\"totalChangePercent\":").append(Json.number(diff.totalChangePercent(), 6))
                .append(",\"rows\":[");
        List<Diff.Row> rows = diff.top(top);
        for (int i = 0; i < rows.size(); i++) {
            Diff.Row r = rows.get(i);
            sb.append(i == 0 ? "" : ",").append("\n{\"method\":").append(Json.string(r.method()))
                    .append(",\"baseSelf\":").append(Json.number(r.baseSelf(), 6))
                    .append(",\"newSelf\":").append(Json.number(r.newSelf(), 6))
                    .append(",\"deltaSelf\":").append(Json.number(r.deltaSelf(), 6))
                    .append(",\"baseTotal\":").append(Json.number(r.baseTotal(), 6))
                    .append(",\"newTotal\":").append(Json.number(r.newTotal(), 6))
                    .append(",\"deltaTotal\":").append(Json.number(r.deltaTotal(), 6))
                    .append(",\"new\":").append(r.isNew()).append('}');
        }
        sb.append("],\n\"moreRows\":").append(diff.top(0).size() - rows.size());
        sb.append(",\n\"violations\":[");
        for (int i = 0; i < violated.size(); i++) {
            sb.append(i == 0 ? "" : ",").append("{\"rule\":").append(Json.string(violated.get(i).text()))
                    .append(",\"message\":").append(Json.string(violations.get(i))).append('}');
        }
        sb.append(']');
        if (perInstance) {
            sb.append(",\n\"outliers\":{\"new\":");
            fleetJson(sb, newFleet);
            sb.append(",\"base\":");
            fleetJson(sb, baseFleet);
            sb.append('}');
        }
        return sb.append('}').toString();
    }

    private static void fleetJson(StringBuilder sb, Optional<DiffOutlier> fleet) {
        if (fleet.isEmpty()) {
            sb.append("null");
            return;
        }
        DiffOutlier f = fleet.get();
        sb.append("{\"outlier\":").append(Json.string(f.outlier().label())).append(",\"instances\":[");
        for (int i = 0; i < f.instances().size(); i++) {
            DiffOutlier.Instance in = f.instances().get(i);
            sb.append(i == 0 ? "" : ",").append("{\"label\":").append(Json.string(in.label()))
                    .append(",\"total\":").append(in.total())
                    .append(",\"distance\":").append(Json.number(in.distance(), 6)).append('}');
        }
        sb.append("],\"methods\":[");
        for (int i = 0; i < f.methods().size(); i++) {
            DiffOutlier.Method m = f.methods().get(i);
            sb.append(i == 0 ? "" : ",").append("{\"method\":").append(Json.string(m.method()))
                    .append(",\"share\":").append(Json.number(m.share(), 6))
                    .append(",\"median\":").append(Json.number(m.median(), 6))
                    .append(",\"delta\":").append(Json.number(m.delta(), 6)).append('}');
        }
        sb.append("]}");
    }

    /** {@code --fail-on RULE}: a malformed rule is a usage error. */
    static final class RuleConverter implements ITypeConverter<DiffRule> {
        @Override
        public DiffRule convert(String value) {
            try {
                return DiffRule.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}

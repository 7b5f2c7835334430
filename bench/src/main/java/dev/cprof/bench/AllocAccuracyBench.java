package dev.cprof.bench;

import dev.cprof.agent.AgentLibrary;
import dev.cprof.wire.FrameReader;
import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Frame;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Allocation accuracy (run by {@code scripts/bench.sh --alloc}): {@link KnownAllocSplitWorkload}
 * allocates 25 % of its bytes in 24-byte arrays ({@code allocSmall}) and 75 % in 72-byte ones
 * ({@code allocLarge}) and measures that split itself; each profiler reads it, one at a time,
 * each in a fresh JVM profiled from start to exit:
 * <ul>
 *   <li>{@code cprof@I}: {@code -agentpath:libcprof.so=start=alloc,alloc=I,file=…}, share by weight;</li>
 *   <li>{@code ap@I}: async-profiler 4.6, {@code start,event=alloc,alloc=I,total,collapsed,file=…}
 *       (total: the bytes, not the number of samples);</li>
 *   <li>{@code jfr-default}, {@code jfr-profile}: JFR's settings, {@code jdk.ObjectAllocationSample}
 *       summed by its {@code weight} field.</li>
 * </ul>
 * Each row: the share of allocSmall in the bytes of allocSmall + allocLarge, and the profile's
 * bytes of both against the workload's own count (1.00 = the totals are right too). Configurations
 * alternate within a round, their order turning by one each round; JDKs one after the other.
 * Writes OUT/results.md, OUT/runs.csv, OUT/commands.txt and OUT/runs/ (every JVM's log and profile).
 *
 * <pre>
 * java -cp 'bench/target/classes:bench/target/lib/*' dev.cprof.bench.AllocAccuracyBench --out DIR
 *      [--jdks JAVA_HOME,…] [--rounds 3] [--seconds 10] [--mbps 500] [--intervals 512k,64k]
 *      [--configs cprof,ap,jfr-default,jfr-profile] [--cprof-lib libcprof.so] [--command 'as printed']
 * </pre>
 * Exits 1 when a run failed (no RESULT line, no profile, no sample of either method).
 */
public final class AllocAccuracyBench {
    static final String SMALL = "KnownAllocSplitWorkload.allocSmall";
    static final String LARGE = "KnownAllocSplitWorkload.allocLarge";
    static final double GOAL_PP = 2.0;
    private static final Pattern RESULT = Pattern.compile("RESULT (.*)");

    private AllocAccuracyBench() {}

    /** One profiler setting: "cprof@512k", "ap@64k", "jfr-profile". */
    record Config(String profiler, String interval) {
        String label() {
            return interval == null ? profiler : profiler + "@" + interval;
        }

        Path data(Path base) {
            return Path.of(base + switch (profiler) {
                case "cprof" -> ".cprof-frames";
                case "ap" -> ".collapsed";
                default -> ".jfr";
            });
        }

        String jvmOption(Path cprofLib, Path apLib, Path data) {
            return switch (profiler) {
                case "cprof" -> "-agentpath:" + cprofLib + "=start=alloc,alloc=" + interval + ",file=" + data;
                case "ap" -> "-agentpath:" + apLib + "=start,event=alloc,alloc=" + interval + ",total,collapsed,file=" + data;
                case "jfr-default", "jfr-profile" -> "-XX:StartFlightRecording=settings=" + profiler.substring(4)
                        + ",dumponexit=true,filename=" + data;
                default -> throw new IllegalArgumentException("unknown profiler " + profiler);
            };
        }
    }

    /** One run: the workload's own bytes per method and the profile's. */
    static final class Run {
        String jdk;
        Config config;
        int round;
        long trueSmall, trueLarge, small, large, samples; // samples: of both methods (unknown for ap)
        long dropped; // cprof: samples lost (ring full or over a cap), any method
        String error = "";

        boolean ok() {
            return error.isEmpty();
        }

        double share() {
            return 100.0 * small / (small + large);
        }

        double trueShare() {
            return 100.0 * trueSmall / (trueSmall + trueLarge);
        }

        double totalRatio() {
            return (double) (small + large) / (trueSmall + trueLarge);
        }
    }

    public static void main(String[] args) throws Exception {
        List<String> jdks = List.of(System.getProperty("java.home"));
        int rounds = 3;
        int seconds = 10;
        int mbps = 500;
        List<String> intervals = List.of("512k", "64k");
        List<String> profilers = List.of("cprof", "ap", "jfr-default", "jfr-profile");
        Path out = null;
        Path cprofLib = null;
        String command = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--jdks" -> jdks = List.of(args[++i].split(","));
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--mbps" -> mbps = Integer.parseInt(args[++i]);
                case "--intervals" -> intervals = List.of(args[++i].split(","));
                case "--configs" -> profilers = List.of(args[++i].split(","));
                case "--out" -> out = Path.of(args[++i]).toAbsolutePath();
                case "--cprof-lib" -> cprofLib = Path.of(args[++i]).toAbsolutePath();
                case "--command" -> command = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (out == null) {
            throw new IllegalArgumentException("--out is required");
        }
        List<Config> configs = new ArrayList<>();
        for (String p : profilers) {
            if (p.equals("cprof") || p.equals("ap")) {
                intervals.forEach(iv -> configs.add(new Config(p, iv)));
            } else {
                configs.add(new Config(p, null));
            }
        }
        Path runsDir = Files.createDirectories(out.resolve("runs"));
        if (cprofLib == null) {
            cprofLib = AgentLibrary.path();
        }
        Path apLib = AgentOverhead.extractAsyncProfiler(out);
        String cp = System.getProperty("java.class.path");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly)));
        List<Run> runs = new ArrayList<>();
        List<MachineFacts> facts = new ArrayList<>();
        try (PrintStream commands = new PrintStream(Files.newOutputStream(out.resolve("commands.txt")), true);
             PrintStream csv = new PrintStream(Files.newOutputStream(out.resolve("runs.csv")), true)) {
            commands.println("harness: " + (command.isEmpty() ? "java " + AllocAccuracyBench.class.getName() + " " + String.join(" ", args) : command));
            csv.println("jdk,round,config,true_small_bytes,true_large_bytes,small_bytes,large_bytes,samples,dropped,share_small_pct,error");
            for (String home : jdks) {
                String java = Path.of(home, "bin", "java").toString();
                facts.add(MachineFacts.now(java));
                System.out.println("# " + facts.get(facts.size() - 1).oneLine());
                for (int r = 1; r <= rounds; r++) {
                    List<Config> order = new ArrayList<>(configs);
                    Collections.rotate(order, -(r - 1));
                    for (Config c : order) {
                        Run run = runOne(java, cp, cprofLib, apLib, runsDir, r, c, seconds, mbps, commands);
                        run.jdk = jdkName(facts.get(facts.size() - 1));
                        runs.add(run);
                        csv.printf(Locale.ROOT, "\"%s\",%d,%s,%d,%d,%d,%d,%d,%d,%.2f,\"%s\"%n", run.jdk, r, c.label(), run.trueSmall, run.trueLarge,
                                run.small, run.large, run.samples, run.dropped, run.ok() ? run.share() : Double.NaN, run.error.replace('"', '\''));
                        System.out.printf(Locale.ROOT, "round %d %-12s allocSmall %5.1f %% (true %5.2f %%), bytes %.2f of true, %s samples %s%n",
                                r, c.label(), run.ok() ? run.share() : Double.NaN, run.trueShare(), run.ok() ? run.totalRatio() : Double.NaN,
                                c.profiler().equals("ap") ? "?" : String.format(Locale.ROOT, "%,d", run.samples), run.ok() ? "ok" : "FAILED: " + run.error);
                    }
                }
            }
        }
        String md = report(runs, configs, jdks, facts, rounds, seconds, mbps, cprofLib,
                command.isEmpty() ? "java " + AllocAccuracyBench.class.getName() + " " + String.join(" ", args) : command);
        Files.writeString(out.resolve("results.md"), md);
        System.out.println("# wrote " + out.resolve("results.md"));
        long failed = runs.stream().filter(x -> !x.ok()).count();
        if (failed > 0) {
            System.err.println("bench: " + failed + " run(s) failed");
            System.exit(1);
        }
    }

    static Run runOne(String java, String cp, Path cprofLib, Path apLib, Path dir, int round, Config c, int seconds, int mbps,
                      PrintStream commands) throws Exception {
        Run run = new Run();
        run.config = c;
        run.round = round;
        String jdkDir = Path.of(java).getParent().getParent().getFileName().toString();
        Path base = dir.resolve(String.format("%s-r%d-%s", jdkDir, round, c.label()));
        Path data = c.data(base);
        Files.deleteIfExists(data);
        List<String> cmd = List.of(java, "-Xms256m", "-Xmx256m", "-XX:+UseSerialGC", c.jvmOption(cprofLib, apLib, data), "-cp", cp,
                KnownAllocSplitWorkload.class.getName(), "" + seconds, "" + mbps);
        commands.println(base.getFileName() + ": " + String.join(" ", cmd));
        Path log = Path.of(base + ".log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(seconds + 120L, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            run.error = "did not end in time";
            return run;
        }
        Matcher m = RESULT.matcher(Files.readString(log));
        if (!m.find()) {
            run.error = "no RESULT line (see " + log.getFileName() + ")";
            return run;
        }
        Map<String, String> kv = new TreeMap<>();
        for (String part : m.group(1).trim().split(" ")) {
            kv.put(part.substring(0, part.indexOf('=')), part.substring(part.indexOf('=') + 1));
        }
        run.trueSmall = Long.parseLong(kv.get("smallBytes"));
        run.trueLarge = Long.parseLong(kv.get("largeBytes"));
        if (!Files.exists(data) || Files.size(data) == 0) {
            run.error = "no profile in " + data.getFileName();
            return run;
        }
        try {
            switch (c.profiler()) {
                case "cprof" -> readCprof(data, run);
                case "ap" -> readCollapsed(data, run);
                default -> readJfr(data, run);
            }
        } catch (IOException | RuntimeException e) {
            run.error = "unreadable profile: " + e;
            return run;
        }
        if (run.small == 0 || run.large == 0) {
            run.error = "no sample of " + (run.small == 0 ? SMALL : LARGE);
        }
        return run;
    }

    /** The agent's batches: dictionaries rebuilt as they come, ALLOC weights by stack. */
    static void readCprof(Path file, Run run) throws IOException {
        List<String> strings = new ArrayList<>();
        List<Frame> frames = new ArrayList<>();
        List<int[]> stackKind = new ArrayList<>(); // per stack: {1 small, 2 large, 0 other}
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file))) {
            FrameReader reader = new FrameReader(in, false);
            Envelope e;
            while ((e = reader.read()) != null) {
                if (!e.hasBatch()) {
                    continue;
                }
                Batch b = e.getBatch();
                run.dropped += b.getDropped().getBufferFull() + b.getDropped().getOther();
                strings.addAll(b.getNewStringsList());
                frames.addAll(b.getNewFramesList());
                for (var s : b.getNewStacksList()) {
                    int kind = 0;
                    for (int id : s.getFramesList()) {
                        String name = strings.get(frames.get(id).getName());
                        kind = name.endsWith(SMALL) ? 1 : name.endsWith(LARGE) ? 2 : kind;
                    }
                    stackKind.add(new int[] {kind});
                }
                SampleGroups.forEach(b, (stack, event, count, weight) -> {
                    if (event == EventType.ALLOC) {
                        add(run, stackKind.get(stack)[0], count, weight);
                    }
                });
            }
        }
    }

    /** async-profiler's collapsed stacks with {@code total}: the number is bytes. */
    static void readCollapsed(Path file, Run run) throws IOException {
        for (String line : Files.readAllLines(file)) {
            int space = line.lastIndexOf(' ');
            if (space <= 0) {
                continue;
            }
            String stack = line.substring(0, space).replace('/', '.');
            int kind = stack.contains(SMALL) ? 1 : stack.contains(LARGE) ? 2 : 0;
            add(run, kind, 0, Long.parseLong(line.substring(space + 1).trim())); // a line is a stack, not a sample
        }
    }

    /** JFR's jdk.ObjectAllocationSample, by its weight field (bytes the sample stands for). */
    static void readJfr(Path file, Run run) throws IOException {
        try (RecordingFile rf = new RecordingFile(file)) {
            while (rf.hasMoreEvents()) {
                RecordedEvent e = rf.readEvent();
                if (!e.getEventType().getName().equals("jdk.ObjectAllocationSample") || e.getStackTrace() == null) {
                    continue;
                }
                int kind = 0;
                for (RecordedFrame f : e.getStackTrace().getFrames()) {
                    String name = f.getMethod().getType().getName() + "." + f.getMethod().getName();
                    kind = name.endsWith(SMALL) ? 1 : name.endsWith(LARGE) ? 2 : kind;
                }
                add(run, kind, 1, e.getLong("weight"));
            }
        }
    }

    private static void add(Run run, int kind, long count, long bytes) {
        if (kind == 1) {
            run.small += bytes;
        } else if (kind == 2) {
            run.large += bytes;
        } else {
            return;
        }
        run.samples += count;
    }

    static String report(List<Run> runs, List<Config> configs, List<String> jdks, List<MachineFacts> facts, int rounds, int seconds,
                         int mbps, Path cprofLib, String command) throws Exception {
        StringBuilder sb = new StringBuilder("### Allocation accuracy\n\n");
        MachineFacts first = facts.get(0);
        sb.append(String.format(Locale.ROOT, """
                The workload (`KnownAllocSplitWorkload`, one thread paced at %d MB/s) allocates as many `byte[8]` (24 bytes) \
                in `allocSmall` as `byte[56]` (72 bytes) in `allocLarge`: 25 %% of the bytes in allocSmall, as the JVM's own count of \
                the thread's allocated bytes around every call confirms (the true share below). Both sizes are far below the heap \
                sampling interval, where a sample's chance grows with the object's size. Each profiler in turn profiles a fresh JVM \
                (`-Xmx256m -XX:+UseSerialGC`, %d s) from its start to its exit: cprof (`-agentpath:libcprof.so=start=alloc,alloc=I`, \
                ALLOC weights), async-profiler 4.6 (`start,event=alloc,alloc=I,total,collapsed`: bytes per stack), JFR \
                (`settings=default` or `profile`, `jdk.ObjectAllocationSample` summed by its `weight` field). Share = allocSmall's \
                bytes / (allocSmall's + allocLarge's) in the profile; profile bytes / true bytes compares the totals (1.00 = right; \
                cprof's samples dropped when its ring is full lower it, not the share). Weighting a sample by its object's size, as \
                cprof did before, read 10 %% (NativeAgentTest.allocSharesAreUnbiasedByObjectSize on the old agent).

                Run %s, %d round(s) (configurations alternating, their order turned by one each round); %d cores (%s), \
                kernel %s; load average at the start of each JDK: %s. cprof agent `%s` sha256 `%s…`.

                """, mbps, seconds, first.utc(), rounds, first.cores(), first.cpu(), first.kernel(),
                String.join("; ", facts.stream().map(MachineFacts::loadAverage).toList()), cprofLib.getFileName(),
                AgentOverhead.sha256(cprofLib).substring(0, 16)));
        for (int j = 0; j < jdks.size(); j++) {
            String jdk = jdkName(facts.get(j));
            List<Run> mine = runs.stream().filter(r -> r.jdk.equals(jdk)).toList();
            double truth = median(mine.stream().filter(r -> r.trueSmall + r.trueLarge > 0).mapToDouble(Run::trueShare).toArray());
            sb.append(String.format(Locale.ROOT, "**%s**: true share of allocSmall %.2f %% (measured by the workload).%n%n", jdk, truth));
            sb.append("| profiler | allocSmall share %, median (min … max) | off by (pp) | samples per run | dropped per run "
                    + "| profile bytes / true bytes | goal ±2 pp |\n");
            sb.append("|---|---:|---:|---:|---:|---:|---|\n");
            for (Config c : configs) {
                List<Run> rs = mine.stream().filter(r -> r.config.equals(c) && r.ok()).toList();
                if (rs.isEmpty()) {
                    sb.append("| ").append(c.label()).append(" | failed | | | | | |\n");
                    continue;
                }
                double[] shares = rs.stream().mapToDouble(Run::share).toArray();
                double[] off = rs.stream().mapToDouble(r -> r.share() - r.trueShare()).toArray();
                double med = median(off);
                double worst = Arrays.stream(off).map(Math::abs).max().orElse(0);
                String goal = c.profiler().equals("cprof") ? (worst <= GOAL_PP ? "met (every run)" : "**missed**") : "";
                // async-profiler's collapsed output has bytes per stack, not its number of samples
                String samples = c.profiler().equals("ap") ? "—"
                        : String.format(Locale.ROOT, "%,.0f", median(rs.stream().mapToDouble(r -> r.samples).toArray()));
                String dropped = !c.profiler().equals("cprof") ? "—"
                        : String.format(Locale.ROOT, "%,.0f (max %,.0f)", median(rs.stream().mapToDouble(r -> r.dropped).toArray()),
                                max(rs.stream().mapToDouble(r -> r.dropped).toArray()));
                sb.append(String.format(Locale.ROOT, "| %s | %.1f (%.1f … %.1f) | %+.1f | %s | %s | %.2f (%.2f … %.2f) | %s |%n", c.label(),
                        median(shares), min(shares), max(shares), med, samples, dropped,
                        median(rs.stream().mapToDouble(Run::totalRatio).toArray()), min(rs.stream().mapToDouble(Run::totalRatio).toArray()),
                        max(rs.stream().mapToDouble(Run::totalRatio).toArray()), goal));
            }
            sb.append('\n');
        }
        sb.append("Command (every JVM's command line is in `commands.txt` next to the results):\n\n```\n").append(command).append("\n```\n");
        return sb.toString();
    }

    /** "openjdk version "17.0.15" 2025-04-15", without MachineFacts' note of the harness JVM. */
    static String jdkName(MachineFacts f) {
        return f.jdk().replaceFirst(" \\(.*\\)$", "");
    }

    static double median(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }

    static double max(double[] v) {
        return Arrays.stream(v).max().orElse(Double.NaN);
    }
}

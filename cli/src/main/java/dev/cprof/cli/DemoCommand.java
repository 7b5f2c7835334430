package dev.cprof.cli;

import dev.cprof.cli.demo.CheckoutService;
import dev.cprof.cli.demo.DemoZooKeeper;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.peer.PeerSecurity;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.profile.DiffOutlier;
import dev.cprof.profile.Events;
import dev.cprof.profile.Format;
import dev.cprof.profile.Profile;
import dev.cprof.profile.SafeText;
import dev.cprof.profile.StackTree;
import dev.cprof.profile.ValueTable;
import dev.cprof.profile.Views;
import dev.cprof.profile.WriteOptions;
import dev.cprof.session.AtomicFile;
import dev.cprof.session.ExitCodes;
import dev.cprof.session.FleetSource;
import dev.cprof.session.InstanceSource;
import dev.cprof.session.InstanceSources;
import dev.cprof.session.ProfilingSession;
import dev.cprof.session.SessionClock;
import dev.cprof.session.SessionMerger;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.StartRequest;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cprof demo}: the whole fleet path on one machine. An embedded ZooKeeper (the real
 * server, in process), a peer in process, three {@code checkout} JVMs (one of them does twice the
 * work per request), a fourth that starts midway; {@code attach --service checkout --per-instance}
 * through ZooKeeper and the peer; demo.html and a short summary. Everything it started is gone
 * when it returns, Ctrl-C included.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Runs the fleet demo: an embedded ZooKeeper, a peer and three demo 'checkout' JVMs (one of"
                    + " them hotter), a fourth joining midway, profiled through ZooKeeper and the peer into"
                    + " demo.html, with a summary: instances, samples, hottest methods, the outlier.",
            "",
            "Takes about 25 s with the default duration; everything it started is stopped at the end.",
        })
final class DemoCommand implements Callable<Integer> {
    static final String SERVICE = "checkout";
    private static final long REGISTER_WAIT_MS = 20_000;
    private static final long HOOK_WAIT_MS = 25_000;

    @Option(names = {"-d", "--duration"}, paramLabel = "TIME", defaultValue = "15s", converter = DurationConverter.class,
            description = "How long to profile (default: ${DEFAULT-VALUE}); the fourth JVM joins after a third of it (at most 5 s).")
    java.time.Duration duration;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "demo.html",
            description = "Where to write the flame graph (default: ${DEFAULT-VALUE}); the extension picks the format.")
    String output;

    @Option(names = {"-q", "--quiet"}, description = "Only the summary; no progress lines.")
    boolean quiet;

    @Spec
    CommandSpec spec;

    private final List<Process> children = Collections.synchronizedList(new ArrayList<>());
    private final Map<Long, String> roles = Collections.synchronizedMap(new HashMap<>());

    @Override
    public Integer call() throws Exception {
        long durationNanos = duration.toNanos();
        if (durationNanos < 2_000_000_000L) {
            throw new CliException(ExitCodes.USAGE, "-d " + DurationConverter.typed(spec, "-d") + " is too short for the demo (at least 2s)");
        }
        Path out = Path.of(output).toAbsolutePath();
        Format format;
        try {
            format = Format.byFileName(out.getFileName().toString());
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter stdout = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        CountDownLatch finished = new CountDownLatch(1);
        // Ctrl-C, SIGTERM: the session ends and writes (SessionClock); this makes sure no JVM stays behind
        Thread hook = new Thread(() -> {
            try {
                finished.await(HOOK_WAIT_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            killChildren();
        }, "cprof-demo-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);

        DemoZooKeeper zkServer = null;
        CuratorFramework peerZk = null;
        CuratorFramework cliZk = null;
        Peer peer = null;
        try {
            step(err, "starting an embedded ZooKeeper, a peer and three '" + SERVICE + "' JVMs");
            zkServer = DemoZooKeeper.start();
            String connect = zkServer.connectString();
            peerZk = ZkClients.start(connect, null);
            cliZk = ZkClients.start(connect, null);
            ZkClients.awaitConnected(peerZk, 10_000);
            ZkClients.awaitConnected(cliZk, 10_000);
            peer = Peer.start(Peer.Config.defaults(peerZk).withListen(new InetSocketAddress("127.0.0.1", 0)));

            List<Long> pids = new ArrayList<>();
            pids.add(startCheckout(false, "1"));
            pids.add(startCheckout(true, "2"));
            pids.add(startCheckout(false, "3"));
            awaitRegistered(new FleetView(cliZk), pids);
            step(err, "ZooKeeper at " + connect + ", peer at 127.0.0.1:" + peer.port() + ", instances " + pids
                    + " registered; profiling for " + duration + " (a fourth JVM joins midway)");

            long joinAfterMs = Math.min(5_000, durationNanos / 3_000_000);
            Thread joiner = new Thread(() -> {
                try {
                    Thread.sleep(joinAfterMs);
                    long pid = startCheckout(false, "4");
                    step(err, "a fourth '" + SERVICE + "' JVM started (pid " + pid + ")");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (IOException e) {
                    step(err, "could not start the fourth JVM: " + e.getMessage());
                }
            }, "cprof-demo-joiner");
            joiner.setDaemon(true);

            StartRequest request = StartRequest.newBuilder().setSessionId(FleetSource.newSessionId())
                    .addEvents(EventType.CPU).setIntervalNs(10_000_000).setFlushIntervalMs(1000).build();
            InstanceSource source = InstanceSources.fleet(cliZk, connect, SERVICE, PeerSecurity.none(), durationNanos / 1_000_000,
                    quiet ? null : err);
            Progress progress = new Progress(err, !quiet && System.console() != null);
            ProfilingSession.Result r;
            try (SessionClock clock = new SessionClock()) {
                joiner.start();
                r = ProfilingSession.run(source, request, durationNanos, clock, progress);
                joiner.interrupt();
                if (!r.anyAttached()) {
                    r.failures().forEach(f -> err.println("cprof: " + SafeText.escape(f)));
                    throw new CliException(ExitCodes.FAILED, "the demo profiled nothing (is jattach installed? run scripts/test.sh)");
                }
                Profile profile = r.profile();
                profile.metadata().put("command", "cprof demo");
                Profile view = Views.perInstance(profile);
                AtomicFile.write(out, o -> format.write(view, o, WriteOptions.defaults()
                        .withTitle("cprof demo: " + SERVICE + ", cpu, " + r.streams().size() + " instances")));
            }
            summary(stdout, r, out, (System.nanoTime() - t0) / 1e9);
            for (String f : r.failures()) {
                err.println("cprof: " + SafeText.escape(f));
            }
            return r.failures().isEmpty() ? ExitCodes.OK : ExitCodes.PARTIAL;
        } finally {
            killChildren();
            if (cliZk != null) {
                cliZk.close();
            }
            if (peer != null) {
                peer.close();
            }
            if (peerZk != null) {
                peerZk.close();
            }
            if (zkServer != null) {
                zkServer.close();
            }
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs and finds everything closed
            }
        }
    }

    private void step(PrintWriter err, String line) {
        if (!quiet) {
            synchronized (err) {
                err.println("cprof demo: " + line);
                err.flush();
            }
        }
    }

    /** Starts one checkout JVM with the same java and cprof's own classes; returns when it serves. */
    private long startCheckout(boolean hot, String number) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(CheckoutService.JVM_OPTIONS);
        cmd.addAll(List.of("-Dcprof.service=" + SERVICE, "-Dcprof.label.demo=" + number, "-cp", classPath(), CheckoutService.class.getName()));
        if (hot) {
            cmd.add("--hot");
        }
        File log = File.createTempFile("cprof-demo-checkout", ".log");
        log.deleteOnExit();
        Process p = new ProcessBuilder(cmd).redirectError(log).start();
        children.add(p);
        roles.put(p.pid(), hot ? "does twice the work per request (--hot)" : number.equals("4") ? "joined midway" : "");
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (!"ready".equals(line)) {
            p.destroyForcibly();
            String why = Files.readString(log.toPath()).strip();
            throw new CliException(ExitCodes.FAILED, "a demo JVM did not start: " + (why.isEmpty() ? String.valueOf(line) : why.lines().findFirst().orElse("")));
        }
        return p.pid();
    }

    /** The jar or classes directory cprof runs from: the demo service is in it. */
    private static String classPath() {
        try {
            return Path.of(CheckoutService.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void awaitRegistered(FleetView fleet, List<Long> pids) throws Exception {
        long deadline = System.currentTimeMillis() + REGISTER_WAIT_MS;
        while (true) {
            Set<Long> registered = new HashSet<>();
            for (InstanceRecord i : fleet.instances(SERVICE)) {
                registered.add(i.pid());
            }
            if (registered.containsAll(pids)) {
                return;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new CliException(ExitCodes.FAILED, "the peer did not register the demo JVMs within "
                        + REGISTER_WAIT_MS / 1000 + " s (registered: " + registered + ")");
            }
            Thread.sleep(50);
        }
    }

    private void killChildren() {
        List<Process> all;
        synchronized (children) {
            all = new ArrayList<>(children);
        }
        for (Process p : all) {
            try {
                p.getOutputStream().close(); // the service exits when its stdin closes
            } catch (IOException e) {
                // killed below anyway
            }
            p.destroyForcibly();
        }
        for (Process p : all) {
            try {
                p.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void summary(PrintWriter out, ProfilingSession.Result r, Path file, double wallSeconds) {
        Profile p = r.profile();
        EventType cpu = EventType.CPU;
        long total = p.total(cpu, -1);
        out.printf(Locale.ROOT, "cprof demo: %d instances of '%s', %,d cpu samples (%s interval), %.1f s in all%n",
                r.streams().size(), SERVICE, total, "10ms", wallSeconds);
        for (SessionMerger.Stream s : r.streams()) {
            String role = roles.getOrDefault((long) s.info().getPid(), "");
            out.printf(Locale.ROOT, "  %-32s %,7d samples%s%n", SafeText.escape(s.label()), s.samples(), role.isEmpty() ? "" : "  " + role);
        }
        String losses = Losses.text(p);
        if (!losses.isEmpty()) {
            out.println("  " + losses);
        }
        out.println("hottest methods (self time, all instances):");
        for (Map.Entry<String, Long> e : topSelf(p, cpu, 5)) {
            out.printf(Locale.ROOT, "  %5.1f%%  %s%n", total == 0 ? 0 : 100.0 * e.getValue() / total, SafeText.escape(e.getKey()));
        }
        DiffOutlier.of(p, cpu, 3).ifPresentOrElse(o -> {
            DiffOutlier.Instance i = o.outlier();
            out.printf(Locale.ROOT, "outlier: %s, %.0f%% of its samples are spread differently from the fleet's median"
                    + " (next instance: %.0f%%)%n", SafeText.escape(i.label()), 100 * i.distance(), 100 * o.nextDistance());
            for (DiffOutlier.Method m : o.methods()) {
                out.printf(Locale.ROOT, "  %+6.1f pts  %s (%.1f%% there, %.1f%% in the median)%n", m.delta(), SafeText.escape(m.method()), m.share(), m.median());
            }
        }, () -> out.println("outlier: none (fewer than " + DiffOutlier.MIN_INSTANCES + " instances with samples)"));
        out.println("wrote " + file + " (open it in a browser; the instance filter shows one JVM at a time)");
        out.flush();
    }

    /** The {@code n} methods with the most self samples of {@code event}, most first. */
    static List<Map.Entry<String, Long>> topSelf(Profile p, EventType event, int n) {
        Map<String, Long> self = new HashMap<>();
        ValueTable v = p.values;
        for (int s = 0; s < v.size(); s++) {
            if (v.eventNumber(s) != event.getNumber() || v.node(s) == StackTree.ROOT) {
                continue;
            }
            long m = Events.measure(event, v.count(s), v.weight(s));
            if (m != 0) {
                self.merge(p.frameName(p.tree.frame(v.node(s))), m, Long::sum);
            }
        }
        List<Map.Entry<String, Long>> list = new ArrayList<>(self.entrySet());
        list.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        return list.subList(0, Math.min(n, list.size()));
    }
}

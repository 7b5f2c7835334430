package dev.cprof.discovery.local;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The JVMs running on this host, kept current by polling /proc. A process is a JVM when it maps
 * libjvm (readable for our own uid, or as root) or has an hsperfdata file, on the host or inside
 * its container's /tmp (so JVMs of other uids and in other mount namespaces are found too).
 * Polling rather than inotify/netlink: /proc has no change events, and a 250 ms poll of a few
 * hundred small files costs a few milliseconds while seeing starts and exits within 1 s.
 */
public final class LocalJvms implements AutoCloseable {
    public static final long POLL_MS = 250;
    /** Ports change while a JVM runs (servers bind late): re-read them every this many polls. */
    private static final int PORT_REFRESH_POLLS = 8;
    /** A younger process may still be a java launcher that has not loaded libjvm yet: look again. */
    private static final long SETTLE_MS = 3000;

    /** Called on the scan thread; keep it short or hand work off. */
    public interface Listener {
        void started(JvmInfo jvm);

        void exited(JvmInfo jvm);

        /** The same JVM with new facts (today: listening ports). */
        default void changed(JvmInfo before, JvmInfo after) {}
    }

    private final Path procRoot;
    private final Set<Long> excluded;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final Map<Long, JvmInfo> jvms = new HashMap<>();
    /** pid -> starttime of processes known not to be JVMs. */
    private final Map<Long, Long> notJvm = new HashMap<>();
    private final ScheduledExecutorService scanner;
    /** Our network namespace when we run in one of our own (see {@link #ownNetNamespace}); else null. */
    private final String netNamespace;
    private long polls;

    /** Scans /proc, excluding this process (the peer never profiles itself). */
    public LocalJvms() {
        this(Path.of("/proc"), Set.of(ProcessHandle.current().pid()));
    }

    LocalJvms(Path procRoot, Set<Long> excluded) {
        this.procRoot = procRoot;
        this.excluded = Set.copyOf(excluded);
        this.netNamespace = ownNetNamespace(procRoot);
        this.scanner = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cprof-local-jvms");
            t.setDaemon(true);
            return t;
        });
    }

    /** Scans once synchronously (so {@link #snapshot()} is complete on return), then every {@link #POLL_MS}. */
    public LocalJvms start() {
        scanner.submit(this::scan);
        scanner.scheduleWithFixedDelay(this::scan, POLL_MS, POLL_MS, TimeUnit.MILLISECONDS);
        try {
            scanner.submit(() -> {}).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return this;
    }

    /** Adds a listener; it is told about every JVM already known, then about changes. */
    public void addListener(Listener l) {
        try {
            scanner.submit(() -> {
                listeners.add(l);
                jvms.values().forEach(l::started);
            }).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public List<JvmInfo> snapshot() {
        try {
            return scanner.submit(() -> List.copyOf(jvms.values())).get();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** One pass; runs on the scanner thread only, so the maps need no locking. */
    void scan() {
        try {
            scanOnce();
        } catch (RuntimeException e) {
            // one bad pass must not stop the poller
            System.err.println("cprof: local JVM scan failed: " + e);
        }
    }

    private void scanOnce() {
        polls++;
        Set<Long> hostPerf = hsperfPids(Path.of("/tmp"));
        Set<Long> seen = new HashSet<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(procRoot)) {
            for (Path p : dir) {
                long pid = parsePid(p.getFileName().toString());
                if (pid <= 0 || excluded.contains(pid)) {
                    continue;
                }
                seen.add(pid);
                visit(pid, hostPerf);
            }
        } catch (IOException e) {
            return;
        }
        for (JvmInfo gone : new ArrayList<>(jvms.values())) {
            if (!seen.contains(gone.pid())) {
                jvms.remove(gone.pid());
                listeners.forEach(l -> l.exited(gone));
            }
        }
        notJvm.keySet().retainAll(seen);
    }

    private void visit(long pid, Set<Long> hostPerf) {
        ProcFacts facts = new ProcFacts(procRoot, pid);
        long ticks = facts.startTicks();
        if (ticks < 0) {
            return;
        }
        JvmInfo known = jvms.get(pid);
        if (known != null) {
            if (known.startTicks() != ticks) { // pid reused between two polls
                jvms.remove(pid);
                listeners.forEach(l -> l.exited(known));
            } else {
                if (polls % PORT_REFRESH_POLLS == 0) {
                    refreshPorts(known, facts);
                }
                return;
            }
        }
        Long notTicks = notJvm.get(pid);
        if (notTicks != null && notTicks == ticks) {
            return;
        }
        // maps is the truth when we can read it (a stale hsperfdata file of a crashed JVM whose pid
        // was reused must not count); hsperfdata answers for processes whose maps we may not read.
        Boolean maps = facts.mapsLibjvm();
        boolean isJvm = maps != null ? maps : hostPerf.contains(pid) || inContainerHsperf(pid);
        if (isJvm && netNamespace != null && !netNamespace.equals(facts.netNamespace())) {
            isJvm = false; // another "host" (network namespace) of this machine: its own peer serves it
        }
        if (isJvm) {
            notJvm.remove(pid);
            JvmInfo jvm = read(facts, ticks);
            jvms.put(pid, jvm);
            listeners.forEach(l -> l.started(jvm));
        } else if (System.currentTimeMillis() - ProcFacts.startTimeMs(ticks) > SETTLE_MS) {
            notJvm.put(pid, ticks);
        }
    }

    private void refreshPorts(JvmInfo known, ProcFacts facts) {
        Set<Integer> ports = facts.listeningPorts();
        if (!ports.equals(known.ports())) {
            JvmInfo now = known.withPorts(ports);
            jvms.put(known.pid(), now);
            listeners.forEach(l -> l.changed(known, now));
        }
    }

    private static JvmInfo read(ProcFacts facts, long ticks) {
        List<String> argv = facts.cmdline();
        JavaCommandLine cl = JavaCommandLine.parse(argv);
        return new JvmInfo(facts.pid(), ticks, facts.uid(), cl.mainClass(), facts.jdkVersion(),
                ProcFacts.startTimeMs(ticks), cl.properties(), facts.env("CPROF_SERVICE"),
                facts.listeningPorts(), argv);
    }

    /**
     * Where the peer was put into a network namespace of its own (several "hosts" on one machine
     * with {@code ip netns exec}, or a pod or container that shares the machine's pids but not its
     * network), it is the peer of that namespace only: it sees every JVM of the machine through
     * /proc, but registers only those in its network namespace, so no JVM is registered twice
     * under two host names. "Its own" means: some ancestor process (pid 1 included, where we may
     * read it) lives in another network namespace. A peer in the machine's namespace returns null
     * and keeps seeing JVMs in containers with their own network.
     */
    static String ownNetNamespace(Path procRoot) {
        String own;
        try {
            own = Files.readSymbolicLink(procRoot.resolve("self/ns/net")).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
        Set<Long> ancestors = new java.util.LinkedHashSet<>();
        long pid = new ProcFacts(procRoot, ProcessHandle.current().pid()).parentPid();
        while (pid > 0 && ancestors.size() < 64 && ancestors.add(pid)) {
            pid = new ProcFacts(procRoot, pid).parentPid();
        }
        ancestors.add(1L);
        for (long a : ancestors) {
            String ns = new ProcFacts(procRoot, a).netNamespace();
            if (ns != null && !ns.equals(own)) {
                return own;
            }
        }
        return null;
    }

    /** hsperfdata of a JVM in another mount namespace: /proc/<pid>/root/tmp/hsperfdata_<user>/<nspid>. */
    private boolean inContainerHsperf(long pid) {
        var target = new dev.cprof.agent.JvmProcess(pid);
        if (!target.otherMountNamespace()) {
            return false;
        }
        long nsPid = target.namespacePid().orElse(pid);
        return hsperfPids(target.root().resolve("tmp")).contains(nsPid);
    }

    private static Set<Long> hsperfPids(Path tmp) {
        Set<Long> pids = new HashSet<>();
        try (DirectoryStream<Path> users = Files.newDirectoryStream(tmp, "hsperfdata_*")) {
            for (Path user : users) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(user)) {
                    for (Path f : files) {
                        long pid = parsePid(f.getFileName().toString());
                        if (pid > 0) {
                            pids.add(pid);
                        }
                    }
                } catch (IOException e) {
                    // another user's directory we may not list
                }
            }
        } catch (IOException e) {
            // no /tmp or not listable
        }
        return pids;
    }

    private static long parsePid(String name) {
        if (name.isEmpty() || name.length() > 10) {
            return -1;
        }
        for (int i = 0; i < name.length(); i++) {
            if (!Character.isDigit(name.charAt(i))) {
                return -1;
            }
        }
        return Long.parseLong(name);
    }

    @Override
    public void close() {
        scanner.shutdownNow();
    }
}

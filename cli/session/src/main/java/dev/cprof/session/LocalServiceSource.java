package dev.cprof.session;

import dev.cprof.discovery.local.JvmInfo;
import dev.cprof.discovery.local.LocalJvms;
import dev.cprof.discovery.local.NamingRules;
import dev.cprof.discovery.local.ServiceNamer;
import dev.cprof.wire.proto.StartRequest;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code attach --service S} without ZooKeeper: the JVMs of this host named S (by
 * {@code -Dcprof.service}, {@code CPROF_SERVICE}), found by the same /proc scan as the peer's and
 * attached in process; JVMs that start during the session join it.
 */
final class LocalServiceSource implements InstanceSource {
    /** The host part of a local JVM's key (one host: it only makes the keys look like the fleet's). */
    private static final String HOST = "local";
    private final String service;
    private final ServiceNamer namer = new ServiceNamer(NamingRules.none(), null);
    private final Map<Long, LocalInstance> instances = new ConcurrentHashMap<>();
    /** --instances: which JVMs to profile; null for all. */
    private final InstanceSubset subset;
    /** With a subset: the JVMs present at the start until the choice among them; the lock of the choice. */
    private final Map<String, JvmInfo> atStart = new java.util.HashMap<>();
    /** With a subset: JVMs left out (each said once). */
    private final java.util.Set<Long> left = ConcurrentHashMap.newKeySet();
    private boolean started;
    private LocalJvms jvms;
    private volatile boolean stopping;
    private volatile int scanned;
    /** The JVMs running at the start have been offered: later ones are joiners, perhaps still starting. */
    private volatile boolean joining;
    /** A joiner may refuse the agent while it starts: ask again this many times (as the peer does). */
    private static final int JOINER_RETRIES = 2;

    private final PrintWriter log;

    LocalServiceSource(String service) {
        this(service, null, null);
    }

    /** {@code share}: --instances, null for every JVM; {@code log} gets the --python warnings and notices (null: none). */
    LocalServiceSource(String service, InstanceShare share, PrintWriter log) {
        this.service = service;
        this.subset = share == null ? null : new InstanceSubset(share);
        this.log = log;
    }

    @Override
    public void start(StartRequest request, SessionMerger merger) {
        jvms = new LocalJvms().start();
        jvms.addListener(new LocalJvms.Listener() {
            @Override
            public void started(JvmInfo jvm) {
                scanned++;
                offer(jvm, request, merger);
            }

            @Override
            public void changed(JvmInfo before, JvmInfo after) {
                offer(after, request, merger);
            }

            @Override
            public void exited(JvmInfo jvm) {
                // its LocalInstance sees the end of the stream; the data stays
            }
        });
        joining = true; // the listener has been told about every JVM already running
        if (subset != null) {
            synchronized (atStart) {
                started = true;
                List<InstanceSubset.Candidate> chosen = subset.ready();
                say("--instances " + subset.share().describe() + ": " + subset.summary().replace("profiled", "profiling")
                        + " present at the start; joiners at the same rate");
                for (InstanceSubset.Candidate c : chosen) {
                    profile(atStart.get(c.key()), request, merger, 0);
                }
                atStart.clear();
            }
        }
    }

    private void offer(JvmInfo jvm, StartRequest request, SessionMerger merger) {
        if (stopping || !namer.name(jvm).map(service::equals).orElse(false)) {
            return;
        }
        if (subset == null) {
            profile(jvm, request, merger, joining ? JOINER_RETRIES : 0);
            return;
        }
        synchronized (atStart) {
            String key = HOST + ":" + jvm.pid();
            boolean admitted = subset.offer(new InstanceSubset.Candidate(key, HOST, label(jvm)));
            if (!started) {
                atStart.put(key, jvm);
            } else if (admitted) {
                profile(jvm, request, merger, JOINER_RETRIES);
            } else if (left.add(jvm.pid())) {
                say("not profiled: pid " + jvm.pid() + " (--instances " + subset.share().describe() + ": " + subset.summary() + ")");
            }
        }
    }

    private String label(JvmInfo jvm) {
        String name = subset.share().spreadBy();
        return name == null ? "" : jvm.properties().getOrDefault("cprof.label." + name, "");
    }

    private void say(String line) {
        if (log != null) {
            synchronized (log) {
                log.println("cprof: " + line);
                log.flush();
            }
        }
    }

    private void profile(JvmInfo jvm, StartRequest request, SessionMerger merger, int attachRetries) {
        instances.computeIfAbsent(jvm.pid(), pid -> {
            LocalInstance i = new LocalInstance(pid, request, merger, log, attachRetries);
            i.start();
            return i;
        });
    }

    @Override
    public int found() {
        return subset == null ? instances.size() : subset.seen();
    }

    @Override
    public InstanceSubset subset() {
        return subset;
    }

    @Override
    public void stop(long waitMs) {
        stopping = true;
        if (jvms != null) {
            jvms.close();
        }
        long deadline = System.currentTimeMillis() + waitMs;
        for (LocalInstance i : instances.values()) {
            i.stop(Math.max(1, deadline - System.currentTimeMillis()));
        }
    }

    @Override
    public List<Failed> failed() {
        List<Failed> out = new ArrayList<>();
        for (LocalInstance i : instances.values()) {
            if (i.error() != null) {
                out.add(new Failed("pid " + i.pid(), i.pid(), i.error()));
            }
        }
        return out;
    }

    @Override
    public String nothingFound() {
        return "no JVM of service '" + service + "' on this host (looked at -D" + ServiceNamer.PROPERTY + " and "
                + ServiceNamer.ENV + " of " + scanned + " local JVMs; give --zk to search the fleet)";
    }

    @Override
    public boolean earlyEndIsPartial() {
        return true;
    }

    @Override
    public String describe() {
        return "--service " + service + (subset == null ? "" : " --instances " + subset.share().describe());
    }

    @Override
    public void close() {
        if (jvms != null) {
            jvms.close();
        }
    }
}

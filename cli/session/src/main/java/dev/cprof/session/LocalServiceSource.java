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
    private final String service;
    private final ServiceNamer namer = new ServiceNamer(NamingRules.none(), null);
    private final Map<Long, LocalInstance> instances = new ConcurrentHashMap<>();
    private LocalJvms jvms;
    private volatile boolean stopping;
    private volatile int scanned;

    private final PrintWriter log;

    LocalServiceSource(String service) {
        this(service, null);
    }

    /** {@code log} gets the --python warnings and notices (null: none). */
    LocalServiceSource(String service, PrintWriter log) {
        this.service = service;
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
    }

    private void offer(JvmInfo jvm, StartRequest request, SessionMerger merger) {
        if (stopping || !namer.name(jvm).map(service::equals).orElse(false)) {
            return;
        }
        instances.computeIfAbsent(jvm.pid(), pid -> {
            LocalInstance i = new LocalInstance(pid, request, merger, log);
            i.start();
            return i;
        });
    }

    @Override
    public int found() {
        return instances.size();
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
        return "--service " + service;
    }

    @Override
    public void close() {
        if (jvms != null) {
            jvms.close();
        }
    }
}

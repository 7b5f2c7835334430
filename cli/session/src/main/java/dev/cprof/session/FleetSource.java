package dev.cprof.session;

import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.peer.PeerClient;
import dev.cprof.discovery.peer.PeerSecurity;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.PeerRecord;
import dev.cprof.discovery.registry.SessionNode;
import dev.cprof.discovery.registry.SessionRecord;
import dev.cprof.discovery.registry.ZkPaths;
import dev.cprof.profile.Events;
import dev.cprof.profile.SafeText;
import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.curator.framework.CuratorFramework;

/**
 * {@code attach --service S --zk …}: registers the session's audit znode, watches
 * {@code /cprof/v1/services/S}, and asks each instance's host peer to attach it, one
 * {@link PeerClient} connection per host. Instances that join during the session are attached as
 * soon as their znode appears; those that leave keep what they sent. The peers' envelopes are
 * relayed into the session's merger.
 */
public final class FleetSource implements InstanceSource {
    private static final Duration PEER_TIMEOUT = Duration.ofSeconds(5);
    private static final long ZK_WAIT_MS = 5_000;

    private final CuratorFramework zk;
    private final String zkConnect;
    private final String service;
    private final PeerSecurity security;
    private final long plannedMs;
    private final PrintWriter log;
    private final FleetView fleet;
    /** --instances: which instances to profile; null for all. */
    private final InstanceSubset subset;
    /** With a subset: the instances present at the start, until the choice among them is made; the lock of both. */
    private final Map<String, InstanceRecord> atStart = new java.util.HashMap<>();
    /** A JVM still starting may refuse the agent: ask again this many times, a second apart. */
    private static final int ATTACH_RETRIES = 2;
    private static final long RETRY_MS = 1_000;

    /** Attach work off Curator's event thread, in order. */
    private final ScheduledExecutorService attacher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cprof-fleet-attach");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, PeerLink> links = new ConcurrentHashMap<>();
    private final Set<String> found = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> retries = new ConcurrentHashMap<>();
    private final Map<String, InstanceSource.Failed> failed = new ConcurrentHashMap<>();
    /** The latest stream of each attached instance (by key): a rejoining instance is attached again only once it ended. */
    private final Map<String, SessionMerger.Stream> streamsByKey = new ConcurrentHashMap<>();
    /** Peer warnings already shown (one line per distinct message). */
    private final Set<String> warned = ConcurrentHashMap.newKeySet();
    private SessionNode sessionNode;
    private AutoCloseable watch;
    private StartRequest request;
    private SessionMerger merger;
    private volatile boolean stopping;
    /** --instances: the choice among the instances present at the start is made (guarded by atStart). */
    private boolean started;
    /** --instances: the choice in case the cache never says it has started (guarded by atStart). */
    private java.util.concurrent.ScheduledFuture<?> startFallback;

    /** {@code log} gets one line per joining or leaving instance; null for none. */
    FleetSource(CuratorFramework zk, String zkConnect, String service, InstanceShare share, PeerSecurity security, long plannedMs,
            PrintWriter log) {
        this.subset = share == null ? null : new InstanceSubset(share);
        this.zk = zk;
        this.zkConnect = zkConnect;
        this.service = ZkPaths.checkName(service);
        this.security = security;
        this.plannedMs = plannedMs;
        this.log = log;
        this.fleet = new FleetView(zk);
    }

    /** The session's id (its znode name): peers stop profiling for it when the znode goes. */
    public static String newSessionId() {
        return SessionNode.newId();
    }

    @Override
    public void start(StartRequest request, SessionMerger merger) throws InterruptedException {
        this.request = request;
        this.merger = merger;
        long now = System.currentTimeMillis();
        String events = request.getEventsList().stream().map(Events::name).collect(Collectors.joining(","));
        SessionRecord record = new SessionRecord(request.getSessionId(), System.getProperty("user.name", ""),
                Peer.defaultHost(), service, events, now, now + plannedMs);
        try {
            sessionNode = SessionNode.create(zk, record, ZK_WAIT_MS);
        } catch (IllegalStateException e) {
            throw new SessionException(ExitCodes.FAILED, e.getMessage()
                    + " (with ZooKeeper ACLs, give the fleet's --zk-auth)");
        }
        watch = fleet.watch(service, new FleetView.InstanceListener() {
            @Override
            public void added(InstanceRecord instance) {
                if (stopping) {
                    return;
                }
                if (found.add(instance.key())) {
                    offer(instance);
                } else if (ended(instance.key())) {
                    // registered again (its peer restarted, or re-registered it after a ZooKeeper
                    // session loss) after its stream ended: profile it again, in a new stream
                    say("rejoined: " + instance.key() + " (attaching again; its earlier samples are kept)");
                    retries.remove(instance.key());
                    attacher.execute(() -> attach(instance));
                }
            }

            @Override
            public void removed(InstanceRecord instance) {
                say("left: " + instance.key() + " (its samples so far are kept)");
            }

            @Override
            public void initialized() {
                chooseAtStart();
            }
        });
        if (subset != null) {
            // should the cache never report its start (it does, with or without the service), choose anyway
            synchronized (atStart) {
                if (!started) {
                    startFallback = attacher.schedule(this::chooseAtStart, ZK_WAIT_MS, TimeUnit.MILLISECONDS);
                }
            }
        }
    }

    /**
     * A newly seen instance: attached, unless --instances leaves it out. Before the choice at the
     * start it only waits (under the same lock as the choice, which may run on the attach thread).
     */
    private void offer(InstanceRecord instance) {
        if (subset == null) {
            attacher.execute(() -> attach(instance));
            return;
        }
        synchronized (atStart) {
            boolean admitted = subset.offer(candidate(instance));
            if (!started) {
                atStart.put(instance.key(), instance);
            } else if (admitted) {
                attacher.execute(() -> attach(instance)); // which says it joined
            } else {
                say("not profiled: " + instance.key() + " (--instances " + subset.share().describe() + ": " + subset.summary() + ")");
            }
        }
    }

    /** --instances: the instances present at the start are known; choose among them and attach the chosen. */
    private void chooseAtStart() {
        if (subset == null) {
            return;
        }
        synchronized (atStart) {
            if (started || stopping) {
                return;
            }
            started = true;
            cancelStartFallback();
            List<InstanceSubset.Candidate> chosen = subset.ready();
            say("--instances " + subset.share().describe() + ": " + subset.summary().replace("profiled", "profiling")
                    + " present at the start; joiners at the same rate");
            for (InstanceSubset.Candidate c : chosen) {
                InstanceRecord r = atStart.get(c.key());
                attacher.execute(() -> attach(r));
            }
            atStart.clear();
        }
    }

    /** Under the atStart lock. A pending fallback would hold up the attach thread's shutdown at the end. */
    private void cancelStartFallback() {
        if (startFallback != null) {
            startFallback.cancel(false);
            startFallback = null;
        }
    }

    private InstanceSubset.Candidate candidate(InstanceRecord r) {
        String label = subset.share().spreadBy() == null ? "" : r.labels().getOrDefault(subset.share().spreadBy(), "");
        return new InstanceSubset.Candidate(r.key(), r.host(), label);
    }

    /** True when the instance was attached and its latest stream has ended or failed. */
    private boolean ended(String key) {
        SessionMerger.Stream s = streamsByKey.get(key);
        return s != null && (s.endReason() != null || s.error() != null);
    }

    /** Finds the host's peer, connects once per host, and asks it to attach the instance. */
    private void attach(InstanceRecord instance) {
        if (stopping) {
            return;
        }
        String key = instance.key();
        PeerLink link = links.get(instance.host());
        try {
            if (link == null) {
                PeerRecord peer = fleet.peer(instance.host());
                if (peer == null) {
                    fail(key, instance.pid(), "no cprof peer registered for host " + instance.host()
                            + " (" + ZkPaths.peer(instance.host()) + "); run 'cprof peer' there");
                    return;
                }
                PeerClient client;
                try {
                    client = PeerClient.connect(peer.address(), peer.port(), security, PEER_TIMEOUT);
                } catch (IOException e) {
                    fail(key, instance.pid(), "peer of " + instance.host() + " at " + peer.address() + ":" + peer.port()
                            + ": " + message(e));
                    return;
                }
                link = new PeerLink(this, instance.host(), client);
                links.put(instance.host(), link);
                link.start();
            }
            say("joined: " + key);
            link.pending.put(key, instance);
            link.client.attach(List.of(key), request);
        } catch (IOException e) {
            fail(key, instance.pid(), "peer of " + instance.host() + ": " + message(e));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            fail(key, instance.pid(), "ZooKeeper: " + message(e));
        }
    }

    // ---- for PeerLink ----

    SessionMerger merger() {
        return merger;
    }

    StartRequest request() {
        return request;
    }

    boolean stopping() {
        return stopping;
    }

    /** The peer attached {@code key}: its stream, in a new one where an earlier attempt failed or ended. */
    SessionMerger.Stream attached(String key, dev.cprof.wire.proto.InstanceInfo info) {
        failed.remove(key); // an earlier attempt failed, this one is profiled
        SessionMerger.Stream s = merger.open(info);
        streamsByKey.put(key, s);
        return s;
    }

    /** A peer's warning, shown once per distinct message. */
    void warnOnce(String message) {
        if (warned.add(message)) {
            say(message);
        }
    }

    /** Whether a refused attach of {@code key} may be asked again (a JVM still starting refuses). */
    boolean mayRetry(String key) {
        return retries.merge(key, 1, Integer::sum) <= ATTACH_RETRIES;
    }

    /** Runs {@code task} after {@link #RETRY_MS} on the attach thread; nothing once the session ends. */
    void later(Runnable task) {
        try {
            attacher.schedule(task, RETRY_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // the session is ending: the instance stays pending and is listed as not attached
        }
    }

    /** The connection to {@code link}'s peer is gone: the next instance there connects anew. */
    void lost(PeerLink link) {
        links.remove(link.host, link);
    }

    void fail(String key, long pid, String why) {
        failed.putIfAbsent(key, new InstanceSource.Failed(key, pid, why));
    }

    void say(String line) {
        if (log != null) {
            synchronized (log) {
                log.println("cprof: " + SafeText.escape(line)); // peers' errors and ZooKeeper names are remote data
                log.flush();
            }
        }
    }

    static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    @Override
    public int found() {
        return found.size();
    }

    @Override
    public InstanceSubset subset() {
        return subset;
    }

    @Override
    public void stop(long waitMs) {
        stopping = true;
        synchronized (atStart) {
            cancelStartFallback();
        }
        long deadline = System.currentTimeMillis() + waitMs;
        closeWatch();
        attacher.shutdown();
        try {
            attacher.awaitTermination(1, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (PeerLink l : links.values()) {
            l.stopping = true;
            try {
                l.client.stop();
            } catch (IOException e) {
                // the connection is gone: the reader has ended or will
            }
        }
        for (PeerLink l : links.values()) {
            try {
                l.reader.join(Math.max(1, deadline - System.currentTimeMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            boolean stalled = l.reader.isAlive();
            l.close();
            if (stalled) {
                // the peer neither ended its instances nor closed: the connection stalled (a network
                // cut). Its instances sent nothing since; say so rather than pass them as complete.
                try {
                    l.reader.join(1000); // closed: the reader ends, and its streams are ours to mark
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                l.stalled("no answer from the peer of " + l.host + " when the session ended (connection stalled);"
                        + " its samples until then are kept");
            }
        }
    }

    @Override
    public List<InstanceSource.Failed> failed() {
        List<InstanceSource.Failed> out = new ArrayList<>(failed.values());
        for (PeerLink l : links.values()) {
            for (InstanceRecord r : l.pending.values()) {
                if (!failed.containsKey(r.key())) {
                    out.add(new InstanceSource.Failed(r.key(), r.pid(), "not attached before the session ended"));
                }
            }
        }
        out.sort(java.util.Comparator.comparing(InstanceSource.Failed::label));
        return out;
    }

    @Override
    public String nothingFound() {
        return "no instance of service '" + service + "' under " + ZkPaths.service(service) + " on ZooKeeper " + zkConnect;
    }

    @Override
    public boolean earlyEndIsPartial() {
        return true;
    }

    @Override
    public String describe() {
        return "--service " + service + (subset == null ? "" : " --instances " + subset.share().describe());
    }

    private void closeWatch() {
        if (watch != null) {
            try {
                watch.close();
            } catch (Exception e) {
                // closing a cache does not fail in practice
            }
            watch = null;
        }
    }

    @Override
    public void close() {
        stopping = true;
        closeWatch();
        attacher.shutdownNow();
        links.values().forEach(PeerLink::close);
        if (sessionNode != null) {
            sessionNode.close();
            sessionNode = null;
        }
    }
}

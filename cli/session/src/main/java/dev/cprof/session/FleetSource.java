package dev.cprof.session;

import dev.cprof.session.SessionException;

import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.peer.PeerClient;
import dev.cprof.discovery.registry.PeerRecord;
import dev.cprof.discovery.peer.PeerSecurity;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.registry.SessionNode;
import dev.cprof.discovery.registry.SessionRecord;
import dev.cprof.discovery.registry.ZkPaths;
import dev.cprof.profile.Events;
import dev.cprof.profile.SafeText;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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

    /** {@code log} gets one line per joining or leaving instance; null for none. */
    FleetSource(CuratorFramework zk, String zkConnect, String service, PeerSecurity security, long plannedMs, PrintWriter log) {
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
                    attacher.execute(() -> attach(instance));
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
        });
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
                link = new PeerLink(instance.host(), client);
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

    private void fail(String key, long pid, String why) {
        failed.putIfAbsent(key, new InstanceSource.Failed(key, pid, why));
    }

    private void say(String line) {
        if (log != null) {
            synchronized (log) {
                log.println("cprof: " + SafeText.escape(line)); // peers' errors and ZooKeeper names are remote data
                log.flush();
            }
        }
    }

    private static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    @Override
    public int found() {
        return found.size();
    }

    @Override
    public void stop(long waitMs) {
        stopping = true;
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
        return "--service " + service;
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

    /** One peer connection and its reader thread; maps the connection's instance ids to merger streams. */
    private final class PeerLink {
        final String host;
        final PeerClient client;
        final Thread reader;
        /** Asked for, neither attached nor refused yet, by key. */
        final Map<String, InstanceRecord> pending = new ConcurrentHashMap<>();
        final Map<Integer, SessionMerger.Stream> streams = new LinkedHashMap<>();
        volatile boolean stopping;

        PeerLink(String host, PeerClient client) {
            this.host = host;
            this.client = client;
            this.reader = new Thread(this::read, "cprof-peer-" + host);
            reader.setDaemon(true);
        }

        void start() {
            reader.start();
        }

        private void read() {
            try {
                Envelope e;
                while ((e = client.next()) != null) {
                    handle(e);
                }
                if (!stopping) {
                    lost("the peer of " + host + " closed the connection");
                }
            } catch (IOException ex) {
                if (!stopping) {
                    lost("connection to the peer of " + host + " lost: " + message(ex));
                }
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }

        private void handle(Envelope e) throws InterruptedException {
            switch (e.getMsgCase()) {
                case INSTANCE -> {
                    var info = e.getInstance();
                    if (info.getParentInstanceId() != 0) { // a Python child of one of our JVMs (--python)
                        streams.put(info.getInstanceId(), merger.open(info, streams.get(info.getParentInstanceId())));
                        return;
                    }
                    String key = InstanceRecord.key(info.getHost(), info.getPid());
                    pending.remove(key);
                    failed.remove(key); // an earlier attempt failed, this one is profiled
                    SessionMerger.Stream s = merger.open(info);
                    streams.put(info.getInstanceId(), s);
                    streamsByKey.put(key, s);
                }
                case BATCH -> {
                    SessionMerger.Stream s = streams.get(e.getBatch().getInstanceId());
                    if (s != null) {
                        s.offer(e.getBatch(), e.getSerializedSize());
                    }
                }
                case ERROR -> {
                    var err = e.getError();
                    if (err.getCode() == dev.cprof.wire.proto.Error.Code.WARNING) {
                        if (warned.add(err.getMessage())) {
                            say(err.getMessage());
                        }
                        return;
                    }
                    SessionMerger.Stream s = err.getInstanceId() != 0 ? streams.get(err.getInstanceId()) : null;
                    if (s != null) {
                        s.fail(err.getMessage());
                    } else {
                        String key = err.getInstanceKey().isEmpty() ? host : err.getInstanceKey();
                        if (err.getCode() == dev.cprof.wire.proto.Error.Code.ATTACH_FAILED && pending.containsKey(key)
                                && !stopping && retries.merge(key, 1, Integer::sum) <= ATTACH_RETRIES) {
                            retry(key);
                            return;
                        }
                        InstanceRecord r = pending.remove(key);
                        fail(key, r != null ? r.pid() : 0, err.getMessage());
                    }
                }
                case INSTANCE_ENDED -> {
                    SessionMerger.Stream s = streams.get(e.getInstanceEnded().getInstanceId());
                    if (s != null) {
                        s.ended(e.getInstanceEnded().getReason());
                        if (s.info().getRuntime() == dev.cprof.wire.proto.FrameKind.PYTHON && !stopping) {
                            say("python pid " + s.info().getPid() + " on " + host + " ended mid-session ("
                                    + e.getInstanceEnded().getReason() + "); its samples are kept");
                        }
                    }
                }
                default -> {
                    // nothing else is sent to clients
                }
            }
        }

        private void retry(String key) {
            try {
                attacher.schedule(() -> {
                    if (!stopping && !FleetSource.this.stopping) {
                        try {
                            client.attach(List.of(key), request);
                        } catch (IOException e) {
                            InstanceRecord r = pending.remove(key);
                            fail(key, r != null ? r.pid() : 0, "peer of " + host + ": " + message(e));
                        }
                    }
                }, RETRY_MS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // the session is ending: the instance stays pending and is listed as not attached
            }
        }

        /** What was merged stays; instances still open on this peer end with the reason. */
        private void lost(String why) {
            links.remove(host, this); // a restarted peer gets a new connection
            for (SessionMerger.Stream s : streams.values()) {
                if (s.endReason() == null) {
                    s.fail(why);
                }
            }
            for (InstanceRecord r : pending.values()) {
                fail(r.key(), r.pid(), why);
            }
            pending.clear();
        }

        /** At the session's end, on a connection that stopped answering: open streams fail with {@code why}. */
        void stalled(String why) {
            for (SessionMerger.Stream s : streams.values()) {
                if (s.endReason() == null) {
                    s.fail(why);
                }
            }
        }

        void close() {
            try {
                client.close();
            } catch (IOException e) {
                // closed
            }
        }
    }
}

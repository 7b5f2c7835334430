package dev.cprof.session;

import dev.cprof.discovery.peer.PeerClient;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.wire.proto.Envelope;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One peer connection of a {@link FleetSource} and its reader thread: maps the connection's
 * instance ids to merger streams and hands the peer's answers (attached, refused, ended, lost) to
 * the source.
 */
final class PeerLink {
    private final FleetSource fleet;
    final String host;
    final PeerClient client;
    final Thread reader;
    /** Asked for, neither attached nor refused yet, by key. */
    final Map<String, InstanceRecord> pending = new ConcurrentHashMap<>();
    final Map<Integer, SessionMerger.Stream> streams = new LinkedHashMap<>();
    volatile boolean stopping;

    PeerLink(FleetSource fleet, String host, PeerClient client) {
        this.fleet = fleet;
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
                lost("connection to the peer of " + host + " lost: " + FleetSource.message(ex));
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
                    streams.put(info.getInstanceId(), fleet.merger().open(info, streams.get(info.getParentInstanceId())));
                    return;
                }
                String key = InstanceRecord.key(info.getHost(), info.getPid());
                pending.remove(key);
                streams.put(info.getInstanceId(), fleet.attached(key, info));
            }
            case BATCH -> {
                SessionMerger.Stream s = streams.get(e.getRelayInstanceId());
                if (s != null) {
                    s.offer(e.getBatch(), e.getSerializedSize());
                }
            }
            case ERROR -> {
                var err = e.getError();
                if (err.getCode() == dev.cprof.wire.proto.Error.Code.WARNING) {
                    fleet.warnOnce(err.getMessage());
                    return;
                }
                SessionMerger.Stream s = err.getInstanceId() != 0 ? streams.get(err.getInstanceId()) : null;
                if (s != null) {
                    s.fail(err.getMessage());
                } else {
                    String key = err.getInstanceKey().isEmpty() ? host : err.getInstanceKey();
                    if (err.getCode() == dev.cprof.wire.proto.Error.Code.ATTACH_FAILED && pending.containsKey(key)
                            && !stopping && fleet.mayRetry(key)) {
                        retry(key);
                        return;
                    }
                    InstanceRecord r = pending.remove(key);
                    fleet.fail(key, r != null ? r.pid() : 0, err.getMessage());
                }
            }
            case INSTANCE_ENDED -> {
                SessionMerger.Stream s = streams.get(e.getInstanceEnded().getInstanceId());
                if (s != null) {
                    s.ended(e.getInstanceEnded().getReason());
                    if (s.info().getRuntime() == dev.cprof.wire.proto.FrameKind.PYTHON && !stopping) {
                        fleet.say("python pid " + s.info().getPid() + " on " + host + " ended mid-session ("
                                + e.getInstanceEnded().getReason() + "); its samples are kept");
                    }
                }
            }
            default -> {
                // nothing else is sent to clients
            }
        }
    }

    /** Asks the peer again, a little later, unless the session or this connection is ending by then. */
    private void retry(String key) {
        fleet.later(() -> {
            if (!stopping && !fleet.stopping()) {
                try {
                    client.attach(List.of(key), fleet.request());
                } catch (IOException e) {
                    InstanceRecord r = pending.remove(key);
                    fleet.fail(key, r != null ? r.pid() : 0, "peer of " + host + ": " + FleetSource.message(e));
                }
            }
        });
    }

    /** What was merged stays; instances still open on this peer end with the reason. */
    private void lost(String why) {
        fleet.lost(this); // a restarted peer gets a new connection
        for (SessionMerger.Stream s : streams.values()) {
            if (s.endReason() == null) {
                s.fail(why);
            }
        }
        for (InstanceRecord r : pending.values()) {
            fleet.fail(r.key(), r.pid(), why);
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

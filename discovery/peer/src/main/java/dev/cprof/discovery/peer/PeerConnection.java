package dev.cprof.discovery.peer;

import dev.cprof.discovery.registry.InstanceDirectory;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.SessionWatch;
import dev.cprof.wire.FrameReader;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.Limits;
import dev.cprof.wire.proto.AttachRequest;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.Error;
import dev.cprof.wire.proto.Hello;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.curator.framework.CuratorFramework;

/**
 * One client of the peer, on its own thread: handshake, then AttachRequests (any number, at any
 * time: the CLI asks for new instances as they join) and Stop. Whatever ends the connection, every
 * agent it started is stopped: on Stop gracefully (last batches are relayed), on disconnect by
 * closing the agent sockets.
 */
final class PeerConnection implements Runnable {
    /**
     * A client must have authenticated this long after connecting, or it is dropped (the peer
     * enforces it as a deadline, not per read). A CLI needs two round trips: milliseconds.
     */
    static final int HANDSHAKE_TIMEOUT_MS = 3_000;

    /** What the server learns of a connection's life. */
    interface Listener {
        void authenticated(PeerConnection c);

        void refused(PeerConnection c, String reason);

        void closed(PeerConnection c);
    }

    private final Socket socket;
    private final ServerHandshake handshake;
    private final InstanceDirectory directory;
    private final AgentConnector agents;
    private final CuratorFramework zk;
    private final Listener listener;
    private final AtomicInteger nextId = new AtomicInteger(1);
    private final Map<Integer, AgentRelay> relays = new HashMap<>();
    private final Map<String, SessionWatch> sessions = new HashMap<>();
    private FrameWriter out;

    PeerConnection(Socket socket, ServerHandshake handshake, InstanceDirectory directory, AgentConnector agents,
                   CuratorFramework zk, Listener listener) {
        this.socket = socket;
        this.handshake = handshake;
        this.directory = directory;
        this.agents = agents;
        this.zk = zk;
        this.listener = listener;
    }

    @Override
    public void run() {
        boolean graceful = false;
        try {
            socket.setSoTimeout(HANDSHAKE_TIMEOUT_MS);
            FrameReader in = new FrameReader(new BufferedInputStream(socket.getInputStream()), true);
            in.limitMessages(Limits.MAX_HANDSHAKE_BYTES); // no one decompresses 64 MB for a stranger
            out = new FrameWriter(new BufferedOutputStream(socket.getOutputStream()), true);
            Hello hello = handshake.run(in, out);
            if (hello == null) {
                listener.refused(this, handshake.refusal());
                return; // refused: not one request is read
            }
            listener.authenticated(this);
            in.limitMessages(Limits.MAX_DECOMPRESSED_BYTES);
            socket.setSoTimeout(0);
            graceful = serve(in);
        } catch (SocketTimeoutException e) {
            // silent client: dropped
        } catch (IOException e) {
            // client gone or sent garbage: the finally block cleans up
        } finally {
            finish(graceful);
        }
    }

    /** Request loop; true when the client ended it with Stop. */
    private boolean serve(FrameReader in) throws IOException {
        Envelope e;
        while ((e = in.read()) != null) {
            if (e.hasAttach()) {
                attach(e.getAttach());
            } else if (e.hasStop()) {
                String session = e.getStop().getSessionId();
                if (session.isEmpty()) {
                    return true;
                }
                stopSession(session, "stopped by client");
            } else {
                out.write(error(Error.Code.BAD_REQUEST, "unexpected " + e.getMsgCase() + " after the handshake", ""));
            }
        }
        return false;
    }

    private void attach(AttachRequest req) throws IOException {
        String session = req.getStart().getSessionId();
        for (String key : req.getInstanceKeysList()) {
            InstanceRecord instance = directory.registered(key);
            if (instance == null) {
                out.write(error(Error.Code.NOT_FOUND, "no instance " + key + " registered by this peer", key));
                continue;
            }
            AgentRelay relay;
            synchronized (this) {
                if (relays.values().stream().anyMatch(r -> r.key().equals(key))) {
                    out.write(error(Error.Code.BAD_REQUEST, key + " is already attached on this connection", key));
                    continue;
                }
                int id = nextId.getAndIncrement();
                relay = new AgentRelay(id, instance, req.getStart(), agents, out, () -> removed(id), nextId::getAndIncrement);
                relays.put(id, relay);
                if (zk != null && !session.isEmpty() && !sessions.containsKey(session)) {
                    sessions.put(session, new SessionWatch(zk, session, () -> stopSession(session, "session ended")));
                }
            }
            relay.start();
        }
    }

    private synchronized void removed(int id) {
        relays.remove(id);
        notifyAll();
    }

    private void stopSession(String session, String reason) {
        List<AgentRelay> matching;
        synchronized (this) {
            matching = relays.values().stream().filter(r -> r.sessionId().equals(session)).toList();
        }
        matching.forEach(r -> r.stop(reason));
    }

    /** Stop (graceful) waits for the agents' last batches; a disconnect just closes their sockets. */
    private void finish(boolean graceful) {
        List<AgentRelay> all;
        synchronized (this) {
            all = new ArrayList<>(relays.values());
            sessions.values().forEach(SessionWatch::close);
            sessions.clear();
        }
        for (AgentRelay r : all) {
            if (graceful) {
                r.stop("stopped by client");
            } else {
                r.kill("client disconnected");
            }
        }
        for (AgentRelay r : all) {
            r.awaitDone(AgentRelay.STOP_GRACE_MS + 500);
        }
        try {
            socket.close();
        } catch (IOException e) {
            // closed
        }
        listener.closed(this);
    }

    /** The client has said Hello (it is authenticating, not idling). */
    boolean spoke() {
        return handshake.helloRead();
    }

    java.net.InetAddress remote() {
        return socket.getInetAddress();
    }

    /** Ends the connection now (peer shutting down). */
    void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closed
        }
    }

    private static Envelope error(Error.Code code, String message, String key) {
        return Envelope.newBuilder().setError(Error.newBuilder().setCode(code).setMessage(message).setInstanceKey(key)).build();
    }
}

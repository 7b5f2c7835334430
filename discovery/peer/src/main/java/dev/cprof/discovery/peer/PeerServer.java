package dev.cprof.discovery.peer;

import dev.cprof.discovery.registry.InstanceDirectory;
import dev.cprof.discovery.registry.PeerRecord;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.net.ssl.SSLServerSocket;
import org.apache.curator.framework.CuratorFramework;

/**
 * The peer's TCP listener. Loopback (127.0.0.0/8, ::1) without a token answers every local
 * client; any other listener must authenticate (token or mutual TLS) or it refuses to start, so a peer is never
 * open to the network by accident.
 */
public final class PeerServer implements AutoCloseable {
    /** How long {@link #close} waits for the connections to release their agents. */
    private static final long CLOSE_WAIT_MS = 1_000;

    private final InetSocketAddress listen;
    private final PeerSecurity security;
    private final InstanceDirectory directory;
    private final AgentConnector agents;
    private final CuratorFramework zk;
    private final NonceLedger ledger = new NonceLedger();
    private final Set<PeerConnection> connections = ConcurrentHashMap.newKeySet();
    private final PreAuthGate gate = new PreAuthGate();
    private final RefusalLog refusals = new RefusalLog();
    /** Drops connections that did not authenticate in time; flushes the refusal log. */
    private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "cprof-peer-reaper");
        t.setDaemon(true);
        return t;
    });
    private final PeerConnection.Listener listener = new PeerConnection.Listener() {
        @Override
        public void authenticated(PeerConnection c) {
            gate.authenticated(c);
        }

        @Override
        public void refused(PeerConnection c, String reason) {
            gate.authenticated(c); // no longer waiting: it is being closed
            refusals.refused("refused a client from " + c.remote().getHostAddress() + ": " + reason);
        }

        @Override
        public void closed(PeerConnection c) {
            if (gate.isWaiting(c)) {
                refusals.refused("a connection from " + c.remote().getHostAddress() + " ended without authenticating (hung up,"
                        + " or silent for " + PeerConnection.HANDSHAKE_TIMEOUT_MS / 1000 + " s)");
            }
            gate.closed(c);
            connections.remove(c);
        }
    };
    private ServerSocket server;
    private Thread acceptor;

    /** {@code zk} may be null: then sessions are not watched (the connection bounds them). */
    public PeerServer(InetSocketAddress listen, PeerSecurity security, InstanceDirectory directory,
                      AgentConnector agents, CuratorFramework zk) {
        this.listen = listen;
        this.security = security;
        this.directory = directory;
        this.agents = agents;
        this.zk = zk;
    }

    /** Parses {@code HOST:PORT}, {@code [v6]:PORT} or {@code PORT} (loopback). */
    public static InetSocketAddress parseListen(String spec) {
        String host = "127.0.0.1";
        String port = spec;
        int colon = spec.lastIndexOf(':');
        if (colon >= 0) {
            host = spec.substring(0, colon);
            port = spec.substring(colon + 1);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
        }
        try {
            int p = Integer.parseInt(port);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host.isEmpty() ? "0.0.0.0" : host, p);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen must be HOST:PORT, got '" + spec + "'");
        }
    }

    /**
     * The addresses a peer may listen on without a token or TLS: loopback, that is all of
     * 127.0.0.0/8 and ::1 (only this host reaches them; the kernel routes no packet from the
     * network to them). The wildcard (0.0.0.0, ::) and every other address need authentication.
     */
    public static boolean isLoopback(InetAddress a) {
        return a.isLoopbackAddress();
    }

    public synchronized PeerServer start() throws IOException {
        InetAddress addr = listen.getAddress();
        if (addr == null) {
            throw new IOException("cannot resolve listen address " + listen.getHostString());
        }
        if (!isLoopback(addr) && security.mode() == PeerRecord.AuthMode.NONE) {
            throw new IOException("refusing to listen on " + listen.getHostString()
                    + " without authentication: give --token-file or --tls-cert/--tls-key/--tls-ca, or listen on loopback"
                    + " (127.0.0.0/8 or ::1, e.g. 127.0.0.1)");
        }
        if (security.tls() != null) {
            SSLServerSocket s = (SSLServerSocket) security.tls().getServerSocketFactory().createServerSocket();
            s.setNeedClientAuth(true);
            server = s;
        } else {
            server = new ServerSocket();
        }
        server.setReuseAddress(true);
        server.bind(listen, 50);
        reaper.scheduleAtFixedRate(refusals::flush, RefusalLog.INTERVAL_MS, RefusalLog.INTERVAL_MS, TimeUnit.MILLISECONDS);
        acceptor = new Thread(this::acceptLoop, "cprof-peer-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return this;
    }

    public int port() {
        return server.getLocalPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (server.isClosed()) {
                    return;
                }
                continue;
            }
            try {
                s.setTcpNoDelay(true);
                s.setKeepAlive(true); // a vanished CLI is noticed, and its agents stopped
            } catch (IOException e) {
                closeQuietly(s);
                continue;
            }
            // A token is asked for whenever one is configured, on loopback too.
            ServerHandshake handshake = new ServerHandshake(security.token(), ledger);
            PeerConnection c = new PeerConnection(s, handshake, directory, agents, zk, listener);
            InetAddress from = s.getInetAddress();
            PreAuthGate.Admission a = gate.admit(c, from);
            if (!a.admitted()) {
                closeQuietly(s);
                refusals.refused("refused a connection from " + from.getHostAddress() + ": " + a.refusal());
                continue;
            }
            if (a.evicted() != null) {
                a.evicted().close();
                refusals.refused("dropped an unauthenticated connection from " + a.evicted().remote().getHostAddress()
                        + " for a new one (" + PreAuthGate.MAX_PRE_AUTH + " unauthenticated connections at once)");
            }
            connections.add(c);
            try {
                reaper.schedule(() -> {
                    if (gate.isWaiting(c)) {
                        c.close(); // not authenticated in time, however slowly it trickled bytes
                    }
                }, PeerConnection.HANDSHAKE_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                c.close(); // closing down
            }
            Thread t = new Thread(c, "cprof-peer-conn-" + s.getRemoteSocketAddress());
            t.setDaemon(true);
            t.start();
        }
    }

    /** Unauthenticated connections held now (for tests and figures). */
    int preAuthConnections() {
        return gate.waiting();
    }

    /** Where refused and dropped connections are logged, at most one line per 10 s; none by default. */
    public PeerServer log(Consumer<String> sink) {
        refusals.sink(sink);
        return this;
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // closed
        }
    }

    @Override
    public synchronized void close() {
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException e) {
            // closed
        }
        reaper.shutdownNow();
        connections.forEach(PeerConnection::close);
        // each connection closes its agents' sockets as it ends (the agents disarm on that);
        // wait for that briefly, so a stopping peer has let go of its agents before it exits
        long deadline = System.nanoTime() + CLOSE_WAIT_MS * 1_000_000L;
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}

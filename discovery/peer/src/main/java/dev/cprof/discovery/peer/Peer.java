package dev.cprof.discovery.peer;

import dev.cprof.discovery.local.LocalJvms;
import dev.cprof.discovery.local.NamingRules;
import dev.cprof.discovery.local.ServiceNamer;
import dev.cprof.discovery.registry.CuratorDiscoveryIndex;
import dev.cprof.discovery.registry.PeerRecord;
import dev.cprof.discovery.registry.Registry;
import dev.cprof.discovery.registry.RegistrySync;
import dev.cprof.discovery.registry.ZkPaths;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;

/**
 * The per-host daemon behind {@code cprof peer}: local JVM scan → service names → ephemeral
 * znodes, and the TCP server that attaches registered instances for authenticated clients.
 * Without ZooKeeper ({@code zk == null}) it still names and serves local JVMs, for the CLI's
 * in-process mode.
 */
public final class Peer implements AutoCloseable {
    public static final String VERSION = "0.1.0";
    public static final int DEFAULT_PORT = 7878;
    private static final long RENAME_MS = 2_000;

    /**
     * What {@code cprof peer} options say. {@code zk} (a started client) and {@code discovery}
     * ({@code curator:/basePath}) may be null; {@code agents} null means the real agent.
     */
    public record Config(CuratorFramework zk, String host, InetSocketAddress listen, NamingRules rules,
                         String discovery, PeerSecurity security, AgentConnector agents) {

        public static Config defaults(CuratorFramework zk) {
            return new Config(zk, defaultHost(), new InetSocketAddress("127.0.0.1", DEFAULT_PORT), NamingRules.none(),
                    null, PeerSecurity.none(), null);
        }

        public Config withListen(InetSocketAddress a) {
            return new Config(zk, host, a, rules, discovery, security, agents);
        }

        public Config withRules(NamingRules r) {
            return new Config(zk, host, listen, r, discovery, security, agents);
        }

        public Config withRulesFile(Path file) throws IOException {
            return withRules(file == null ? NamingRules.none() : NamingRules.load(file));
        }

        public Config withDiscovery(String spec) {
            return new Config(zk, host, listen, rules, spec, security, agents);
        }

        public Config withSecurity(PeerSecurity s) {
            return new Config(zk, host, listen, rules, discovery, s, agents);
        }

        public Config withAgents(AgentConnector a) {
            return new Config(zk, host, listen, rules, discovery, security, a);
        }

        public Config withHost(String h) {
            return new Config(zk, ZkPaths.checkName(h), listen, rules, discovery, security, agents);
        }
    }

    private final Config config;
    private final Registry registry;
    private final CuratorDiscoveryIndex discoveryIndex;
    private final LocalJvms jvms;
    private final PeerServer server;
    private final ScheduledExecutorService timer;

    private Peer(Config c) throws IOException {
        this.config = c;
        this.registry = new Registry(c.zk());
        this.discoveryIndex = c.discovery() != null && c.zk() != null
                ? new CuratorDiscoveryIndex(c.zk(), CuratorDiscoveryIndex.basePathOf(c.discovery())) : null;
        RegistrySync sync = new RegistrySync(registry, new ServiceNamer(c.rules(), discoveryIndex), c.host());
        this.jvms = new LocalJvms();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cprof-peer-rename");
            t.setDaemon(true);
            return t;
        });
        try {
            AgentConnector agents = c.agents() != null ? c.agents() : new NativeAgentConnector();
            // listen first: a port in use fails the start before anything is registered
            this.server = new PeerServer(c.listen(), c.security(), registry, agents, c.zk()).start();
        } catch (IOException | RuntimeException e) {
            closeParts();
            throw e;
        }
        jvms.start();
        jvms.addListener(sync);
        timer.scheduleWithFixedDelay(sync::renameUnnamed, RENAME_MS, RENAME_MS, TimeUnit.MILLISECONDS);
        registry.registerPeer(new PeerRecord(c.host(), advertised(c, server), server.port(), VERSION, c.security().mode()));
    }

    /** Starts everything; the caller closes it (cprof peer: on SIGTERM via a shutdown hook). */
    public static Peer start(Config config) throws IOException {
        return new Peer(config);
    }

    public int port() {
        return server.port();
    }

    public String host() {
        return config.host();
    }

    /** Where the peer logs refused and dropped client connections (rate-limited); nowhere by default. */
    public Peer logTo(java.util.function.Consumer<String> sink) {
        server.log(sink);
        return this;
    }

    public Registry registry() {
        return registry;
    }

    public LocalJvms jvms() {
        return jvms;
    }

    /** The host name instance keys carry: the machine's name, as other hosts resolve it. */
    public static String defaultHost() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }

    /** A wildcard listener is reached through the host name; a specific one through its address. */
    private static String advertised(Config c, PeerServer server) {
        InetAddress a = server.address().getAddress();
        return a.isAnyLocalAddress() ? c.host() : a.getHostAddress();
    }

    @Override
    public void close() {
        server.close();
        closeParts();
    }

    private void closeParts() {
        timer.shutdownNow();
        jvms.close();
        registry.close();
        if (discoveryIndex != null) {
            discoveryIndex.close();
        }
    }
}

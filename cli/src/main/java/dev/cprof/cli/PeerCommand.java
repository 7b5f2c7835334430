package dev.cprof.cli;

import dev.cprof.discovery.local.JvmInfo;
import dev.cprof.discovery.local.LocalJvms;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.peer.PeerServer;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.ZkPaths;
import dev.cprof.profile.SafeText;
import dev.cprof.session.ExitCodes;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.curator.framework.CuratorFramework;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cprof peer}: the per-host daemon, until SIGTERM or Ctrl-C. */
@Command(
        name = "peer",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Runs the per-host daemon: finds the JVMs of this host, names their services, registers them"
                    + " in ZooKeeper (/cprof/v1/services/<service>/<host>:<pid>) and attaches them when an"
                    + " authenticated 'cprof attach --service' asks.",
            "",
            "Runs until SIGTERM or Ctrl-C, then stops every agent it started and removes its znodes"
                    + " (with ZooKeeper unreachable they expire with its ZooKeeper session, within 10 s)."
                    + " Logs one line per event to stderr. A service is named by -Dcprof.service, the"
                    + " environment variable CPROF_SERVICE, --rules, or --discovery, in that order.",
        })
final class PeerCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Mixin
    ZkOptions zk;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:" + Peer.DEFAULT_PORT,
            description = "Where clients connect (default: ${DEFAULT-VALUE}). Anything but loopback (127.0.0.0/8"
                    + " or ::1) needs --token-file or --tls-cert/--tls-key/--tls-ca.")
    String listen;

    @Option(names = "--host", paramLabel = "NAME",
            description = "This host's name in ZooKeeper and in instance keys (default: the machine's host name).")
    String host;

    @Option(names = "--rules", paramLabel = "FILE",
            description = "Naming rules, lines 'regex = service' matched against the main class or jar; first match wins.")
    Path rules;

    @Option(names = "--discovery", paramLabel = "curator:/BASE",
            description = "Name JVMs after their Curator x-discovery registration under BASE, matched by listening port.")
    String discovery;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!zk.hasZk()) {
            throw new CliException(ExitCodes.USAGE, "missing --zk CONNECT: the ZooKeeper the fleet registers in");
        }
        if (discovery != null && !discovery.startsWith("curator:/")) {
            throw new CliException(ExitCodes.USAGE, "--discovery must be curator:/basePath, got '" + discovery + "'");
        }
        InetSocketAddress address;
        try {
            address = PeerServer.parseListen(listen);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        PrintWriter err = spec.commandLine().getErr();
        Peer.Config config;
        try {
            config = Peer.Config.defaults(null).withListen(address).withRulesFile(rules)
                    .withDiscovery(discovery).withSecurity(zk.peerSecurity());
            if (host != null) {
                config = config.withHost(host);
            }
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        CuratorFramework client = zk.connectOrFail();
        config = new Peer.Config(client, config.host(), config.listen(), config.rules(), config.discovery(),
                config.security(), config.agents());
        Peer peer;
        try {
            peer = Peer.start(config);
        } catch (java.io.IOException e) {
            client.close();
            throw new CliException(ExitCodes.FAILED, "peer: " + e.getMessage(), e);
        }
        peer.logTo(line -> log(err, line));
        CountDownLatch closed = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            log(err, "stopping: stopping agents, removing znodes");
            peer.close();
            client.close();
            log(err, "stopped");
            closed.countDown();
        }, "cprof-peer-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        log(err, "peer of host " + peer.host() + " listening on " + address.getHostString() + ":" + peer.port()
                + " (auth " + config.security().mode().name().toLowerCase(java.util.Locale.ROOT) + "), ZooKeeper "
                + zk.connectString() + ", registered at " + ZkPaths.peer(peer.host()));
        peer.jvms().addListener(new LocalJvms.Listener() {
            @Override
            public void started(JvmInfo jvm) {
                InstanceRecord r = peer.registry().registered(InstanceRecord.key(peer.host(), jvm.pid()));
                log(err, "jvm " + jvm.pid() + " started (" + describe(jvm) + "): "
                        + (r != null ? "registered as " + ZkPaths.instance(r.service(), r.key()) : "no service name, not registered"));
            }

            @Override
            public void changed(JvmInfo before, JvmInfo after) {
                InstanceRecord r = peer.registry().registered(InstanceRecord.key(peer.host(), after.pid()));
                if (r != null && !before.ports().equals(after.ports())) {
                    log(err, "jvm " + after.pid() + " listens on " + after.ports() + " (service " + r.service() + ")");
                }
            }

            @Override
            public void exited(JvmInfo jvm) {
                log(err, "jvm " + jvm.pid() + " exited (" + describe(jvm) + ")");
            }
        });
        closed.await();
        return ExitCodes.OK;
    }

    private static String describe(JvmInfo jvm) {
        String main = jvm.mainClass().isEmpty() ? "main class unknown" : jvm.mainClass();
        return jvm.jdkVersion().isEmpty() ? main : main + ", JDK " + jvm.jdkVersion();
    }

    private static void log(PrintWriter err, String line) {
        synchronized (err) {
            err.println(LocalTime.now().format(TIME) + " cprof peer: " + SafeText.escape(line)); // lines quote clients' and agents' data
            err.flush();
        }
    }
}

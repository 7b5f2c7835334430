package dev.cprof.cli;

import dev.cprof.discovery.peer.PeerSecurity;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.session.ExitCodes;
import dev.cprof.session.InstanceSources;
import java.io.IOException;
import java.nio.file.Path;
import org.apache.curator.framework.CuratorFramework;
import picocli.CommandLine.Option;

/**
 * Where the fleet lives and how to talk to it: {@code --zk}, {@code --zk-auth} (ZooKeeper digest
 * ACLs), and the credentials for peers ({@code --token-file}, or mutual TLS with
 * {@code --tls-cert/--tls-key/--tls-ca}). Shared by attach, list, sessions and peer.
 */
public final class ZkOptions implements InstanceSources.Fleet {
    static final long CONNECT_TIMEOUT_MS = 5_000;

    @Option(names = "--zk", paramLabel = "CONNECT",
            description = "ZooKeeper connect string (host:port[,host:port…][/chroot]). Without it, only this host is looked at.")
    String connect;

    @Option(names = "--zk-auth", paramLabel = "USER:PASSWORD",
            description = "Authenticate to ZooKeeper with the digest scheme; nodes created get ACL creator-all, world-read."
                    + " Every peer and CLI of a fleet uses the same credential.")
    String auth;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "Shared token file for peers that require a token (HMAC challenge).")
    Path tokenFile;

    @Option(names = "--tls-cert", paramLabel = "PEM", description = "Our certificate (PEM), for peers that use mutual TLS.")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "PEM", description = "The private key of --tls-cert (PEM, PKCS#8).")
    Path tlsKey;

    @Option(names = "--tls-ca", paramLabel = "PEM", description = "The CA certificate(s) that sign the other side's certificate (PEM).")
    Path tlsCa;

    public boolean hasZk() {
        return connect != null && !connect.isBlank();
    }

    @Override
    public String connectString() {
        return connect;
    }

    /** Connects (waiting up to 5 s) or fails with one line naming the connect string. */
    @Override
    public CuratorFramework connectOrFail() throws InterruptedException {
        CuratorFramework client;
        try {
            client = ZkClients.start(connect, auth);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.USAGE, e.getMessage());
        }
        try {
            ZkClients.awaitConnected(client, CONNECT_TIMEOUT_MS);
        } catch (IllegalStateException e) {
            client.close();
            throw new CliException(ExitCodes.FAILED, "cannot reach ZooKeeper at " + connect + " within "
                    + CONNECT_TIMEOUT_MS / 1000 + " s");
        }
        return client;
    }

    /** The credentials for peers: none, a token, TLS, or both. */
    @Override
    public PeerSecurity peerSecurity() {
        boolean anyTls = tlsCert != null || tlsKey != null || tlsCa != null;
        if (anyTls && (tlsCert == null || tlsKey == null || tlsCa == null)) {
            throw new CliException(ExitCodes.USAGE, "TLS needs all three of --tls-cert, --tls-key and --tls-ca");
        }
        try {
            PeerSecurity s = anyTls ? PeerSecurity.tls(tlsCert, tlsKey, tlsCa) : PeerSecurity.none();
            if (tokenFile != null) {
                s = s.withToken(PeerSecurity.tokenFile(tokenFile).token());
            }
            return s;
        } catch (IOException | RuntimeException e) {
            throw new CliException(ExitCodes.FAILED, e.getMessage() != null ? e.getMessage() : e.toString(), e);
        }
    }
}

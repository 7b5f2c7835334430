package dev.cprof.discovery.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.cprof.discovery.registry.InstanceDirectory;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.testkit.Await;
import dev.cprof.testkit.TargetJvm;
import dev.cprof.testkit.TestZk;
import dev.cprof.wire.FrameReader;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.Limits;
import dev.cprof.wire.proto.AttachRequest;
import dev.cprof.wire.proto.AuthResponse;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.Hello;
import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peer's authentication with a real target JVM behind it: clients without the token, with a
 * wrong one, replaying a recorded handshake, or with a certificate of another CA are refused
 * before any request is read, and the target's memory map proves no agent was loaded for them.
 */
class PeerAuthTest {
    static final byte[] TOKEN = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    static TargetJvm target;
    static String key;
    static InstanceDirectory directory;

    @BeforeAll
    static void startTarget() throws IOException {
        target = TargetJvm.service("checkout");
        key = InstanceRecord.key("test-host", target.pid());
        InstanceRecord rec = new InstanceRecord("checkout", "test-host", target.pid(), "", 0, "", Map.of());
        directory = k -> k.equals(key) ? rec : null;
    }

    @AfterAll
    static void stopTarget() {
        target.close();
    }

    private static StartRequest start() {
        return StartRequest.newBuilder().setSessionId("s1").addEvents(EventType.CPU).setIntervalNs(10_000_000).build();
    }

    private PeerServer server(PeerSecurity security, AgentConnector agents) throws IOException {
        return new PeerServer(new InetSocketAddress("127.0.0.1", 0), security, directory, agents, null).start();
    }

    @Test
    void refusesToListenOnTheNetworkWithoutAuthentication() {
        PeerServer s = new PeerServer(new InetSocketAddress("0.0.0.0", 0), PeerSecurity.none(), directory, null, null);
        IOException e = assertThrows(IOException.class, s::start);
        assertTrue(e.getMessage().contains("without authentication"), e.getMessage());
    }

    @Test
    void aTokenFileOthersMayReadOrAnEmptyOneIsRefused(@TempDir Path dir) throws Exception {
        Path open = Files.writeString(dir.resolve("open"), "secret\n");
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        IOException e = assertThrows(IOException.class, () -> HmacAuth.readToken(open));
        assertTrue(e.getMessage().contains("readable by others; chmod 600 it"), e.getMessage());
        Path empty = Files.writeString(dir.resolve("empty"), " \n");
        Files.setPosixFilePermissions(empty, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertTrue(assertThrows(IOException.class, () -> HmacAuth.readToken(empty)).getMessage().contains("is empty"));
        Files.setPosixFilePermissions(open, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals("secret", new String(HmacAuth.readToken(open), StandardCharsets.UTF_8));
    }

    @Test
    void tokenClientsWithoutOrWithWrongOrReplayedAuthAreRefusedAndNothingIsAttached() throws Exception {
        CountingConnector agents = new CountingConnector((pid, s) -> {
            throw new IOException("refused clients must never reach the agent");
        });
        try (PeerServer server = server(PeerSecurity.token(TOKEN), agents)) {
            int port = server.port();
            Duration t = Duration.ofSeconds(5);

            // no token at all
            var none = assertThrows(PeerClient.PeerAuthException.class, () -> PeerClient.connect("127.0.0.1", port, PeerSecurity.none(), t));
            assertTrue(none.getMessage().contains("requires a token"), none.getMessage());
            // wrong token
            var wrong = assertThrows(PeerClient.PeerAuthException.class,
                    () -> PeerClient.connect("127.0.0.1", port, PeerSecurity.token("wrong".getBytes(StandardCharsets.UTF_8)), t));
            assertTrue(wrong.getMessage().contains("authentication failed"), wrong.getMessage());

            // skipping the challenge and sending a request straight away
            try (Raw raw = new Raw(port)) {
                raw.hello("mallory");
                assertTrue(raw.in.readRequired().hasChallenge());
                raw.attach();
                assertRefusedAndClosed(raw);
            }

            // record one valid handshake...
            byte[] clientNonce = HmacAuth.nonce();
            byte[] mac;
            try (Raw raw = new Raw(port)) {
                raw.hello("alice");
                byte[] serverNonce = raw.in.readRequired().getChallenge().getServerNonce().toByteArray();
                mac = HmacAuth.mac(TOKEN, serverNonce, clientNonce, "alice");
                raw.answer(clientNonce, mac);
                assertTrue(raw.in.readRequired().getAuthResult().getOk());
            }
            // ...and replay it on a new connection: the fresh server nonce makes the old mac wrong
            try (Raw raw = new Raw(port)) {
                raw.hello("alice");
                assertTrue(raw.in.readRequired().hasChallenge());
                raw.answer(clientNonce, mac);
                raw.attach();
                assertRefusedAndClosed(raw);
            }
            // even a correct mac over a reused client nonce is refused: every nonce is single use
            try (Raw raw = new Raw(port)) {
                raw.hello("alice");
                byte[] serverNonce = raw.in.readRequired().getChallenge().getServerNonce().toByteArray();
                raw.answer(clientNonce, HmacAuth.mac(TOKEN, serverNonce, clientNonce, "alice"));
                raw.attach();
                assertRefusedAndClosed(raw);
            }
            // a wrong protocol version is refused too
            try (Raw raw = new Raw(port)) {
                raw.out.write(Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(99)).build());
                assertRefusedAndClosed(raw);
            }
        }
        assertEquals(0, agents.opened.get(), "no refused client reached the agent connector");
        assertFalse(CountingConnector.agentLoaded(target.pid()), "no agent was loaded into the target");
        System.out.println("RELIABILITY: security-token refused=" + (refusals + 2)
                + " (no token, wrong token, request before auth, replayed handshake, reused client nonce, wrong protocol)"
                + " frames_after_refusal=0 reached_agent_connector=0 agent_loaded=false");
    }

    @Test
    void mutualTlsRefusesClientsWithoutACertificateOfTheFleetCa(@TempDir Path dir) throws Exception {
        Certs.make(dir, "ca", "server", "client");
        Certs.make(dir, "rogue-ca", "rogue");
        CountingConnector agents = new CountingConnector((pid, s) -> {
            throw new IOException("refused clients must never reach the agent");
        });
        PeerSecurity serverTls = PeerSecurity.tls(dir.resolve("server.crt"), dir.resolve("server.key"), dir.resolve("ca.crt"));
        try (PeerServer server = server(serverTls, agents)) {
            Duration t = Duration.ofSeconds(5);
            PeerSecurity good = PeerSecurity.tls(dir.resolve("client.crt"), dir.resolve("client.key"), dir.resolve("ca.crt"));
            try (PeerClient c = PeerClient.connect("127.0.0.1", server.port(), good, t)) {
                c.attach(List.of("test-host:1"), start()); // not registered: the peer answers NOT_FOUND
                assertEquals(dev.cprof.wire.proto.Error.Code.NOT_FOUND, c.next().getError().getCode());
            }
            // a certificate signed by another CA, trusted by the client but not by the peer
            PeerSecurity rogue = PeerSecurity.tls(dir.resolve("rogue.crt"), dir.resolve("rogue.key"), dir.resolve("ca.crt"));
            assertThrows(IOException.class, () -> {
                try (PeerClient c = PeerClient.connect("127.0.0.1", server.port(), rogue, t)) {
                    c.attach(List.of(key), start());
                    c.next();
                }
            });
            // plain TCP to a TLS peer
            assertThrows(IOException.class, () -> PeerClient.connect("127.0.0.1", server.port(), PeerSecurity.none(), t));
        }
        assertEquals(0, agents.opened.get());
        assertFalse(CountingConnector.agentLoaded(target.pid()));
        System.out.println("RELIABILITY: security-tls refused=2 (certificate of another CA, plain TCP) reached_agent_connector=0"
                + " agent_loaded=false");
    }

    /**
     * The refused client gets exactly one frame, AuthResult{ok=false}, then end of stream: nothing
     * revealed, neither the instance list nor a pid, service name or profile byte.
     */
    /**
     * Before it has authenticated, a client's message may be 64 KB at most: a Hello of 1 MB (or a
     * few KB of zstd declaring 64 MB) is not decompressed for it, the connection is just closed.
     */
    @Test
    void aHandshakeMessageOverTheLimitIsNotReadForAStranger() throws Exception {
        CountingConnector agents = new CountingConnector((pid, s) -> {
            throw new IOException("refused clients must never reach the agent");
        });
        try (PeerServer server = server(PeerSecurity.token(TOKEN), agents)) {
            try (Raw raw = new Raw(server.port())) {
                raw.out.write(Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(Limits.PROTOCOL_VERSION)
                        .setUser("m".repeat(1 << 20))).build());
                Envelope reply;
                try {
                    reply = raw.in.read();
                } catch (IOException closed) {
                    reply = null; // reset: the peer closed with our bytes unread
                }
                assertNull(reply, "no challenge for a 1 MB Hello: " + reply);
            }
            // a normal client still gets through the same server
            try (Raw raw = new Raw(server.port())) {
                raw.hello("alice");
                assertTrue(raw.in.readRequired().hasChallenge());
            }
        }
        assertEquals(0, agents.opened.get());
    }

    private static void assertRefusedAndClosed(Raw raw) throws IOException {
        Envelope e = raw.in.readRequired();
        assertTrue(e.hasAuthResult() && !e.getAuthResult().getOk(), "expected a refusal, got " + e);
        String reason = e.getAuthResult().getReason();
        assertFalse(reason.contains(Long.toString(target.pid())) || reason.contains("checkout") || reason.contains("test-host"),
                "the refusal names nothing of the peer's: " + reason);
        assertNull(raw.in.read(), "the peer closes the connection after refusing");
        refusals++;
    }

    static int refusals;

    /**
     * A real peer (its real registry, fed by its scan of this host) is asked by an authenticated
     * client to attach JVMs it has not registered: a running JVM without a service name, the
     * registered JVM's pid under another host's name, a pid that does not exist, a malformed key.
     * Each gets NOT_FOUND and never reaches the agent connector; only the registered instance does.
     */
    @Test
    void aPeerAttachesOnlyWhatItRegisteredItself() throws Exception {
        CountingConnector agents = new CountingConnector((pid, s) -> {
            throw new IOException("not in this test: only counted");
        });
        try (org.apache.curator.test.TestingServer zkServer = TestZk.server();
             org.apache.curator.framework.CuratorFramework zk = ZkClients.start(zkServer.getConnectString(), null, TestZk.SESSION_MS);
             TargetJvm unnamed = TargetJvm.start(List.of(), Map.of());
             Peer peer = Peer.start(Peer.Config.defaults(zk).withHost("test-host").withListen(new InetSocketAddress("127.0.0.1", 0))
                     .withSecurity(PeerSecurity.token(TOKEN)).withAgents(agents))) {
            assertTrue(Await.until(10_000, () -> peer.registry().registered(key) != null), "the named JVM registered");
            assertTrue(Await.until(5_000, () -> peer.jvms().snapshot().stream().anyMatch(j -> j.pid() == unnamed.pid())),
                    "the unnamed JVM is seen");
            assertNull(peer.registry().registered(InstanceRecord.key("test-host", unnamed.pid())), "but not registered");
            List<String> refused = List.of(InstanceRecord.key("test-host", unnamed.pid()), InstanceRecord.key("other-host", target.pid()),
                    "test-host:" + Integer.MAX_VALUE, "test-host:" + target.pid() + "/../1", "");
            try (PeerClient c = PeerClient.connect("127.0.0.1", peer.port(), PeerSecurity.token(TOKEN), Duration.ofSeconds(5))) {
                c.attach(refused, start());
                for (String k : refused) {
                    Envelope e = c.next();
                    assertEquals(dev.cprof.wire.proto.Error.Code.NOT_FOUND, e.getError().getCode(), k + ": " + e);
                    assertEquals(k, e.getError().getInstanceKey());
                }
                assertEquals(0, agents.opened.get(), "no unregistered pid reached the agent connector");
                // the positive control: the registered instance does reach it (and fails there, by design of this test)
                c.attach(List.of(key), start());
                Envelope e = c.next();
                assertEquals(dev.cprof.wire.proto.Error.Code.ATTACH_FAILED, e.getError().getCode(), e.toString());
                assertEquals(1, agents.opened.get());
            }
            assertFalse(CountingConnector.agentLoaded(unnamed.pid()), "no agent in the unregistered JVM");
            System.out.println("RELIABILITY: security-unregistered-pid requests=" + refused.size()
                    + " (unnamed JVM, another host's key, no such pid, malformed, empty) refused=NOT_FOUND each"
                    + " reached_agent_connector=0 positive_control_reached=1");
        }
    }

    /** A hand-driven client, to send what PeerClient never would. */
    private static final class Raw implements AutoCloseable {
        final Socket socket;
        final FrameReader in;
        final FrameWriter out;

        Raw(int port) throws IOException {
            socket = new Socket("127.0.0.1", port);
            socket.setSoTimeout(5000);
            in = new FrameReader(socket.getInputStream(), true);
            out = new FrameWriter(socket.getOutputStream(), true);
        }

        void hello(String user) throws IOException {
            out.write(Envelope.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(Limits.PROTOCOL_VERSION).setUser(user)).build());
        }

        void answer(byte[] clientNonce, byte[] mac) throws IOException {
            out.write(Envelope.newBuilder().setAuthResponse(AuthResponse.newBuilder()
                    .setClientNonce(ByteString.copyFrom(clientNonce)).setMac(ByteString.copyFrom(mac))).build());
        }

        void attach() {
            try {
                out.write(Envelope.newBuilder().setAttach(AttachRequest.newBuilder().setStart(start()).addInstanceKeys(key)).build());
            } catch (IOException e) {
                // the peer may have closed already: fine, that is the point
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** Test certificates made with the real openssl: a CA and leaf certificates for 127.0.0.1/localhost. */
    static final class Certs {
        static void make(Path dir, String ca, String... leaves) throws Exception {
            run(dir, "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-keyout", ca + ".key", "-out", ca + ".crt", "-subj", "/CN=" + ca, "-days", "2");
            Files.writeString(dir.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
            for (String leaf : leaves) {
                run(dir, "openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", leaf + ".key", "-out", leaf + ".csr", "-subj", "/CN=" + leaf);
                run(dir, "openssl", "x509", "-req", "-in", leaf + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
                        "-CAcreateserial", "-out", leaf + ".crt", "-days", "2", "-extfile", "san.ext");
            }
        }

        private static void run(Path dir, String... cmd) throws Exception {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed: " + out);
            }
        }
    }
}

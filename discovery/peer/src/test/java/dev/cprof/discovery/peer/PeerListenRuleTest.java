package dev.cprof.discovery.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.discovery.registry.InstanceDirectory;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What a peer may listen on without a token or TLS, and that README.md and docs/SECURITY.md say
 * the same: loopback is all of 127.0.0.0/8 and ::1 (only this host reaches them); the wildcard
 * and every address of a network interface need authentication.
 */
class PeerListenRuleTest {
    static final String RULE = "127.0.0.0/8";

    @Test
    void loopbackIsAllOf127Slash8AndV6LoopbackAndNothingElse() throws Exception {
        InstanceDirectory none = k -> null;
        // loopback without authentication: served, to clients without a token
        List<String> loopback = new ArrayList<>(List.of("127.0.0.1", "127.0.0.2", "127.255.255.254"));
        if (bindable("::1")) {
            loopback.add("::1");
        }
        for (String host : loopback) {
            try (PeerServer s = new PeerServer(new InetSocketAddress(host, 0), PeerSecurity.none(), none, null, null).start();
                 PeerClient c = PeerClient.connect(host, s.port(), PeerSecurity.none(), Duration.ofSeconds(5))) {
                c.attach(List.of("h:1"), StartRequest.newBuilder().setSessionId("s").build());
                Envelope e = c.next();
                assertEquals(dev.cprof.wire.proto.Error.Code.NOT_FOUND, e.getError().getCode(), host + ": " + e);
            }
        }
        // the wildcard and this host's own network addresses: refused without authentication
        List<String> network = new ArrayList<>(List.of("0.0.0.0", "::"));
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (!a.isLoopbackAddress() && !a.isLinkLocalAddress() && a instanceof Inet4Address) {
                    network.add(a.getHostAddress());
                }
            }
        }
        for (String host : network) {
            PeerServer s = new PeerServer(new InetSocketAddress(host, 0), PeerSecurity.none(), none, null, null);
            IOException e = assertThrows(IOException.class, s::start, host);
            assertTrue(e.getMessage().contains("without authentication") && e.getMessage().contains(RULE), e.getMessage());
        }
        System.out.println("RELIABILITY: listen-rule served_without_auth=" + loopback + " refused_without_auth=" + network);
    }

    /** The documents state the rule the code applies (they said "anything but 127.0.0.1" while 127.0.0.2 was served). */
    @Test
    void readmeAndSecurityMdStateTheSameRule() throws IOException {
        for (Path doc : List.of(Path.of("../..", "README.md"), Path.of("../..", "docs", "SECURITY.md"))) {
            String text = Files.readString(doc);
            assertTrue(text.contains("loopback (" + RULE + " or ::1)"), doc + " states the listening rule as 'loopback ("
                    + RULE + " or ::1)'");
        }
    }

    private static boolean bindable(String host) {
        try (java.net.ServerSocket s = new java.net.ServerSocket()) {
            s.bind(new InetSocketAddress(host, 0));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}

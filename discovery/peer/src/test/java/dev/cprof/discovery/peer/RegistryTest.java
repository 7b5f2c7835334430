package dev.cprof.discovery.peer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.PeerRecord;
import dev.cprof.discovery.registry.SessionNode;
import dev.cprof.discovery.registry.SessionRecord;
import dev.cprof.discovery.registry.ZkClients;
import dev.cprof.discovery.registry.ZkPaths;
import dev.cprof.testkit.Await;
import dev.cprof.testkit.TargetJvm;
import dev.cprof.testkit.TestZk;
import dev.cprof.testkit.Workload;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.KillSession;
import org.apache.curator.test.TestingServer;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.data.ACL;
import org.junit.jupiter.api.Test;

/** The peer's znodes against a real ZooKeeper server and real JVMs. */
class RegistryTest {

    private static Peer.Config config(CuratorFramework zk) {
        // no agent is attached in these tests; a connector that refuses keeps the native one unloaded
        return Peer.Config.defaults(zk).withHost("test-host").withListen(new InetSocketAddress("127.0.0.1", 0))
                .withAgents((pid, start) -> {
                    throw new java.io.IOException("not in this test");
                });
    }

    @Test
    void instancesComeAndGoWithTheirJvmsAndSurviveSessionExpiry() throws Exception {
        try (TestingServer server = TestZk.server();
             CuratorFramework zk = ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS);
             CuratorFramework cli = ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS);
             Peer peer = Peer.start(config(zk))) {
            FleetView fleet = new FleetView(cli);
            Set<String> added = ConcurrentHashMap.newKeySet();
            Set<String> removed = ConcurrentHashMap.newKeySet();
            try (AutoCloseable watch = fleet.watch("checkout", new FleetView.InstanceListener() {
                @Override
                public void added(InstanceRecord i) {
                    added.add(i.key());
                }

                @Override
                public void removed(InstanceRecord i) {
                    removed.add(i.key());
                }
            })) {
                assertTrue(Await.until(5000, () -> exists(fleet, "test-host")), "peer node");
                PeerRecord pr = fleet.peer("test-host");
                assertEquals(peer.port(), pr.port());
                assertEquals(PeerRecord.AuthMode.NONE, pr.auth());

                TargetJvm named = TargetJvm.service("checkout");
                TargetJvm unnamed = TargetJvm.start(List.of(), Map.of());
                String key = InstanceRecord.key("test-host", named.pid());
                try {
                    assertTrue(Await.until(3000, () -> added.contains(key)), "watch saw the instance");
                    InstanceRecord r = fleet.instances("checkout").get(0);
                    assertEquals(named.pid(), r.pid());
                    assertEquals(Workload.class.getName(), r.mainClass());
                    assertTrue(r.jdkVersion().startsWith(Integer.toString(Runtime.version().feature())), r.jdkVersion());
                    assertTrue(r.startTimeMs() > 0);
                    // the unnamed JVM is seen but never registered
                    assertTrue(Await.until(1000, () -> peer.jvms().snapshot().stream().anyMatch(j -> j.pid() == unnamed.pid())));
                    assertEquals(List.of("checkout"), fleet.services());
                    assertNull(peer.registry().registered(InstanceRecord.key("test-host", unnamed.pid())));

                    // ZooKeeper session of the peer expires: its ephemeral nodes die with it and are
                    // re-created in the new session (the owner session id proves they are new nodes)
                    String path = ZkPaths.instance("checkout", key);
                    long oldOwner = cli.checkExists().forPath(path).getEphemeralOwner();
                    KillSession.kill(zk.getZookeeperClient().getZooKeeper());
                    assertTrue(Await.until(15_000, () -> {
                        try {
                            var stat = cli.checkExists().forPath(path);
                            var peerStat = cli.checkExists().forPath(ZkPaths.peer("test-host"));
                            long newSession = zk.getZookeeperClient().getZooKeeper().getSessionId();
                            return stat != null && stat.getEphemeralOwner() != oldOwner && stat.getEphemeralOwner() == newSession
                                    && peerStat != null && peerStat.getEphemeralOwner() == newSession;
                        } catch (Exception e) {
                            return false;
                        }
                    }), "re-registered in the new session after expiry");
                    assertEquals(1, instanceCount(fleet));
                } finally {
                    unnamed.close();
                    named.close();
                }
                removed.clear();
                assertTrue(Await.until(3000, () -> removed.contains(key)), "instance removed after its JVM exited");
                assertEquals(0, instanceCount(fleet));
            }
        }
    }

    @Test
    void digestAclLetsEveryoneReadButOnlyTheCredentialWrite() throws Exception {
        try (TestingServer server = TestZk.server();
             CuratorFramework owner = ZkClients.start(server.getConnectString(), "cprof:s3cret");
             CuratorFramework anon = ZkClients.start(server.getConnectString(), null)) {
            SessionRecord rec = new SessionRecord(SessionNode.newId(), "alice", "laptop", "checkout", "cpu", 1000, 31000);
            try (SessionNode s = SessionNode.create(owner, rec, 5000)) {
                List<ACL> acl = anon.getACL().forPath(ZkPaths.session(rec.id()));
                assertTrue(acl.stream().anyMatch(a -> a.getPerms() == ZooDefs.Perms.READ && a.getId().equals(ZooDefs.Ids.ANYONE_ID_UNSAFE)), acl.toString());
                assertTrue(acl.stream().anyMatch(a -> a.getPerms() == ZooDefs.Perms.ALL && a.getId().getScheme().equals("digest")), acl.toString());
                assertEquals(List.of(rec), SessionNode.list(anon));
                assertThrows(KeeperException.NoAuthException.class, () -> anon.delete().forPath(ZkPaths.session(rec.id())));
                assertThrows(KeeperException.NoAuthException.class, () -> anon.create().forPath(ZkPaths.SESSIONS + "/forged"));
            }
            assertTrue(Await.until(3000, () -> {
                try {
                    return SessionNode.list(anon).isEmpty();
                } catch (Exception e) {
                    return false;
                }
            }), "closing the session removes its node");
        }
    }

    /**
     * A fleet with --zk-auth: a real peer registers a real JVM with the credential. A client
     * without credentials and one with another password may read (list the fleet) but neither
     * create, delete, change nor re-ACL a service, instance, peer or session node; the fleet's
     * own credential can (the positive control). A CLI without it cannot open a session at all.
     */
    @Test
    void digestAclKeepsClientsWithoutTheCredentialFromWritingServiceAndSessionNodes() throws Exception {
        try (TestingServer server = TestZk.server();
             CuratorFramework owner = ZkClients.start(server.getConnectString(), "cprof:s3cret", TestZk.SESSION_MS);
             CuratorFramework cli = ZkClients.start(server.getConnectString(), "cprof:s3cret", TestZk.SESSION_MS);
             CuratorFramework anon = ZkClients.start(server.getConnectString(), null, TestZk.SESSION_MS);
             CuratorFramework wrong = ZkClients.start(server.getConnectString(), "cprof:guess", TestZk.SESSION_MS);
             Peer peer = Peer.start(config(owner));
             TargetJvm named = TargetJvm.service("aclcheck")) {
            String key = InstanceRecord.key("test-host", named.pid());
            String instance = ZkPaths.instance("aclcheck", key);
            FleetView anonView = new FleetView(anon);
            assertTrue(Await.until(10_000, () -> {
                try {
                    return anonView.instances("aclcheck").size() == 1;
                } catch (Exception e) {
                    return false;
                }
            }), "registered, and readable without credentials");
            SessionRecord rec = new SessionRecord(SessionNode.newId(), "alice", "laptop", "aclcheck", "cpu", 1000, 31000);
            int refused = 0;
            try (SessionNode session = SessionNode.create(cli, rec, 5000)) {
                String sessionPath = ZkPaths.session(rec.id());
                List<String> existing = List.of(ZkPaths.ROOT, ZkPaths.SERVICES, ZkPaths.service("aclcheck"), instance,
                        ZkPaths.PEERS, ZkPaths.peer("test-host"), ZkPaths.SESSIONS, sessionPath);
                for (CuratorFramework intruder : List.of(anon, wrong)) {
                    for (String path : existing) {
                        assertThrows(KeeperException.NoAuthException.class, () -> intruder.setData().forPath(path, new byte[] {1}), path);
                        assertThrows(KeeperException.NoAuthException.class, () -> intruder.setACL()
                                .withACL(ZooDefs.Ids.OPEN_ACL_UNSAFE).forPath(path), path);
                        refused += 2;
                    }
                    for (String path : List.of(instance, ZkPaths.peer("test-host"), sessionPath)) {
                        assertThrows(KeeperException.NoAuthException.class, () -> intruder.delete().forPath(path), path);
                        refused++;
                    }
                    for (String path : List.of(ZkPaths.service("aclcheck") + "/test-host:1", ZkPaths.SERVICES + "/forged",
                            ZkPaths.PEERS + "/forged", ZkPaths.SESSIONS + "/forged", ZkPaths.ROOT + "/forged")) {
                        assertThrows(KeeperException.NoAuthException.class, () -> intruder.create().forPath(path), path);
                        refused++;
                    }
                    assertThrows(IllegalStateException.class, () -> SessionNode.create(intruder,
                            new SessionRecord(SessionNode.newId(), "mallory", "x", "aclcheck", "cpu", 1, 2), 2000).close());
                    refused++;
                }
                // everything is still there and unchanged
                assertEquals(List.of(rec), SessionNode.list(anon));
                assertEquals(named.pid(), anonView.instances("aclcheck").get(0).pid());
                assertEquals(peer.port(), anonView.peer("test-host").port());
                // positive control: the credential may write
                owner.create().forPath(ZkPaths.SESSIONS + "/allowed");
                owner.delete().forPath(ZkPaths.SESSIONS + "/allowed");
            }
            System.out.println("RELIABILITY: security-zk-acl intruders=2 (no credential, wrong password) writes_refused=" + refused
                    + " (create/delete/setData/setACL on root, services, instance, peers, sessions) nodes_changed=0 reads_allowed=yes");
        }
    }

    private static boolean exists(FleetView fleet, String host) {
        try {
            return fleet.peer(host) != null;
        } catch (Exception e) {
            return false;
        }
    }

    private static int instanceCount(FleetView fleet) {
        try {
            return fleet.instances("checkout").size();
        } catch (Exception e) {
            return -1;
        }
    }

    @Test
    void badNamesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> ZkPaths.service("a/b"));
        assertThrows(IllegalArgumentException.class, () -> ZkPaths.session(".."));
        assertNotNull(ZkPaths.instance("checkout", "h:1"));
    }
}

package dev.cprof.bench;

import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.PeerRecord;
import dev.cprof.discovery.registry.ZkPaths;
import dev.cprof.wire.FrameReader;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.Limits;
import dev.cprof.wire.proto.AuthResult;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.InstanceEnded;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.curator.framework.CuratorFramework;
import org.apache.zookeeper.CreateMode;

/**
 * The load generator of the 1,000-instance benchmark: N fake peers that speak the real peer
 * protocol (Hello → AuthResult on loopback; AttachRequest → InstanceInfo; then one Batch per
 * instance per second, its instance id in relay_instance_id, zstd frames as the real peer sends; Stop →
 * InstanceEnded and close), each registered in ZooKeeper as {@code peers/<host>} with its
 * instances under {@code services/<service>/<host>:<pid>}. The batches are SyntheticFleet's
 * (seed 42): the first one of an instance carries the dictionary, then {@link #ROUNDS}
 * pre-built 1 s rounds of 100 cpu samples are replayed in a loop with sequence 0.
 */
final class FleetFakePeers implements AutoCloseable {
    static final int ROUNDS = 8;

    private final List<FakePeer> peers = new ArrayList<>();
    final AtomicLong batchesSent = new AtomicLong();
    final AtomicLong attached = new AtomicLong();
    /** Serialized size of the first batch (dictionary + 1 s of samples) and mean of the later ones. */
    long dictionaryBytes;
    long roundBytes;

    FleetFakePeers(CuratorFramework zk, String service, int instances, int peerCount) throws Exception {
        SyntheticFleet fleet = new SyntheticFleet(42);
        int perPeer = (instances + peerCount - 1) / peerCount;
        for (int p = 0; p < peerCount; p++) {
            String host = "fake-host-" + p;
            Map<String, Integer> keys = new HashMap<>();
            List<Batch[]> batches = new ArrayList<>();
            List<Integer> ids = new ArrayList<>();
            for (int i = p * perPeer; i < Math.min(instances, (p + 1) * perPeer); i++) {
                SyntheticFleet.Stream s = fleet.stream(i);
                Batch[] b = new Batch[ROUNDS + 1];
                b[0] = s.next();
                for (int r = 1; r <= ROUNDS; r++) {
                    b[r] = s.next(0);
                }
                if (i == 0) {
                    dictionaryBytes = b[0].getSerializedSize();
                    long sum = 0;
                    for (int r = 1; r <= ROUNDS; r++) {
                        sum += b[r].getSerializedSize();
                    }
                    roundBytes = sum / ROUNDS;
                }
                long pid = 100_000 + i;
                keys.put(InstanceRecord.key(host, pid), batches.size());
                batches.add(b);
                ids.add(i + 1); // the instance's id on its connection (a real peer counts per connection; unique is enough)
                InstanceRecord rec = new InstanceRecord(service, host, pid, "17", System.currentTimeMillis(),
                        "com.example.Checkout", Map.of());
                zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL)
                        .forPath(ZkPaths.instance(service, rec.key()), rec.encode());
            }
            FakePeer fp = new FakePeer(host, service, keys, batches, ids);
            zk.create().creatingParentsIfNeeded().withMode(CreateMode.EPHEMERAL).forPath(ZkPaths.peer(host),
                    new PeerRecord(host, "127.0.0.1", fp.port(), "fake", PeerRecord.AuthMode.NONE).encode());
            peers.add(fp);
        }
    }

    @Override
    public void close() {
        peers.forEach(FakePeer::close);
    }

    private final class FakePeer {
        final String host;
        final String service;
        final Map<String, Integer> keys;
        final List<Batch[]> batches;
        final List<Integer> ids;
        final ServerSocket server;

        FakePeer(String host, String service, Map<String, Integer> keys, List<Batch[]> batches, List<Integer> ids) throws IOException {
            this.ids = ids;
            this.host = host;
            this.service = service;
            this.keys = keys;
            this.batches = batches;
            this.server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread t = new Thread(this::accept, "fake-peer-" + host);
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    s.setTcpNoDelay(true);
                    Thread t = new Thread(() -> serve(s), "fake-peer-conn-" + host);
                    t.setDaemon(true);
                    t.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket s) {
            boolean[] on = new boolean[batches.size()];
            int[] round = new int[batches.size()];
            try (s) {
                FrameReader in = new FrameReader(new BufferedInputStream(s.getInputStream()), true);
                FrameWriter out = new FrameWriter(new BufferedOutputStream(s.getOutputStream()), true);
                Envelope hello = in.readRequired();
                if (!hello.hasHello() || hello.getHello().getProtocolVersion() != Limits.PROTOCOL_VERSION) {
                    return;
                }
                out.write(Envelope.newBuilder().setAuthResult(AuthResult.newBuilder().setOk(true)).build());
                Thread sender = new Thread(() -> send(out, on, round), "fake-peer-send-" + host);
                sender.setDaemon(true);
                sender.start();
                Envelope e;
                while ((e = in.read()) != null) {
                    if (e.hasAttach()) {
                        for (String key : e.getAttach().getInstanceKeysList()) {
                            Integer idx = keys.get(key);
                            if (idx == null) {
                                continue;
                            }
                            Batch first = batches.get(idx)[0];
                            InstanceInfo info = InstanceInfo.newBuilder().setInstanceId(ids.get(idx)).setHost(host)
                                    .setPid(Integer.parseInt(key.substring(key.lastIndexOf(':') + 1))).setService(service)
                                    .setJdkVersion("17").setMainClass("com.example.Checkout").build();
                            synchronized (out) {
                                out.write(Envelope.newBuilder().setInstance(info).build());
                                out.write(Envelope.newBuilder().setBatch(first).setRelayInstanceId(ids.get(idx)).build()); // the dictionary comes first
                                on[idx] = true;
                            }
                            attached.incrementAndGet();
                        }
                    } else if (e.hasStop()) {
                        synchronized (out) {
                            for (int i = 0; i < on.length; i++) {
                                if (on[i]) {
                                    on[i] = false;
                                    out.write(Envelope.newBuilder().setInstanceEnded(InstanceEnded.newBuilder()
                                            .setInstanceId(ids.get(i)).setReason("stopped by client")).build());
                                }
                            }
                        }
                        return;
                    }
                }
            } catch (IOException e) {
                // client gone
            }
        }

        /** One batch per attached instance per second, spread evenly over the second. */
        private void send(FrameWriter out, boolean[] on, int[] round) {
            int n = on.length;
            long start = System.nanoTime();
            long tick = 0;
            try {
                while (!server.isClosed()) {
                    int i = (int) (tick % n);
                    long due = start + tick * 1_000_000_000L / n;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    }
                    tick++;
                    synchronized (out) {
                        if (on[i]) {
                            round[i] = round[i] % ROUNDS + 1;
                            out.write(Envelope.newBuilder().setBatch(batches.get(i)[round[i]]).setRelayInstanceId(ids.get(i)).build());
                            batchesSent.incrementAndGet();
                        }
                    }
                }
            } catch (IOException | InterruptedException e) {
                // connection closed
            }
        }

        void close() {
            try {
                server.close();
            } catch (IOException e) {
                // closed
            }
        }
    }
}

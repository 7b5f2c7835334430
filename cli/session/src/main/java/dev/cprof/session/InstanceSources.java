package dev.cprof.session;

import dev.cprof.discovery.local.NodeNames;
import dev.cprof.discovery.peer.PeerSecurity;
import java.io.PrintWriter;
import java.util.List;
import java.util.UUID;
import org.apache.curator.framework.CuratorFramework;

/**
 * Chooses the instances of a session, the same way for every command: the given pids of this
 * host; else every instance of a service across the fleet, through ZooKeeper and its peers, when
 * there is a fleet; else the service's JVMs on this host.
 */
public final class InstanceSources {
    /** How to reach the fleet. */
    public interface Fleet {
        /** ZooKeeper's connect string (the peers are told where the session is). */
        String connectString();

        /** The peers' credentials; checked before connecting, so a bad key file fails first. */
        PeerSecurity peerSecurity();

        /** A connected client, or a {@link SessionException} naming what could not be reached. */
        CuratorFramework connectOrFail() throws InterruptedException;
    }

    /** The chosen source, the session's id, and the ZooKeeper client it uses (null on one host), closed with it. */
    public record Chosen(InstanceSource source, String sessionId, CuratorFramework client) implements AutoCloseable {
        @Override
        public void close() {
            if (client != null) {
                client.close();
            }
        }
    }

    private InstanceSources() {}

    /**
     * @param pids     JVMs of this host, or null for a service
     * @param service  the service's name when {@code pids} is null
     * @param fleet    null: no ZooKeeper, only this host
     * @param plannedMs the session's planned length (peers end an abandoned session after it)
     * @param log      one line per instance found or lost; null for none
     */
    public static Chosen choose(List<Long> pids, String service, Fleet fleet, long plannedMs, PrintWriter log)
            throws InterruptedException {
        return choose(pids, service, null, fleet, plannedMs, log);
    }

    /**
     * The same, profiling only {@code share} of the service's instances ({@code --instances}; null:
     * all of them). A share with {@code pids} is a usage error: pids are named one by one.
     */
    public static Chosen choose(List<Long> pids, String service, InstanceShare share, Fleet fleet, long plannedMs,
            PrintWriter log) throws InterruptedException {
        if (pids != null) {
            if (share != null) {
                throw new SessionException(ExitCodes.USAGE, "--instances applies to --service, not to --pid");
            }
            return new Chosen(new PidSource(PidSource.checked(pids), log), UUID.randomUUID().toString(), null);
        }
        String name = checkService(service);
        if (fleet == null) {
            return new Chosen(new LocalServiceSource(name, share, log), UUID.randomUUID().toString(), null);
        }
        PeerSecurity security = fleet.peerSecurity();
        CuratorFramework client = fleet.connectOrFail();
        return new Chosen(fleet(client, fleet.connectString(), name, share, security, plannedMs, log), FleetSource.newSessionId(),
                client);
    }

    /** Every instance of {@code service} across the fleet, through a client the caller holds (the demo's own ZooKeeper). */
    public static InstanceSource fleet(CuratorFramework client, String connectString, String service, PeerSecurity security,
            long plannedMs, PrintWriter log) {
        return fleet(client, connectString, service, null, security, plannedMs, log);
    }

    /** {@code share} of the instances of {@code service} across the fleet (null: all of them). */
    public static InstanceSource fleet(CuratorFramework client, String connectString, String service, InstanceShare share,
            PeerSecurity security, long plannedMs, PrintWriter log) {
        return new FleetSource(client, connectString, service, share, security, plannedMs, log);
    }

    private static String checkService(String service) {
        try {
            return NodeNames.check(service.strip());
        } catch (IllegalArgumentException e) {
            throw new SessionException(ExitCodes.USAGE, "--service: '" + service + "' is not a service name");
        }
    }
}

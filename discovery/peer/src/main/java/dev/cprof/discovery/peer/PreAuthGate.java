package dev.cprof.discovery.peer;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Who may take one of the peer's connection slots. Connections that have not authenticated yet
 * are bounded per source address and in all, so an idle flood cannot hold every slot: past the
 * per-address bound a newcomer from that address is refused; past the overall bound a newcomer
 * displaces a connection of an address holding more than its own (see {@link #victim}). A real
 * client says Hello at once and authenticates within milliseconds; the slots beyond
 * {@link #MAX_PRE_AUTH} serve authenticated clients only.
 */
final class PreAuthGate {
    /** Every connection, authenticated or not: enough for every CLI of a team at once. */
    static final int MAX_CONNECTIONS = 64;
    /** Unauthenticated connections in all: half of the slots stay for authenticated clients. */
    static final int MAX_PRE_AUTH = 32;
    /** Unauthenticated connections from one address (a NAT of a team's CLIs needs a few at most). */
    static final int MAX_PRE_AUTH_PER_ADDRESS = 8;

    /** A refusal (the newcomer is closed) or an admission, possibly at the cost of an older connection. */
    record Admission(String refusal, PeerConnection evicted) {
        boolean admitted() {
            return refusal == null;
        }
    }

    private final Set<PeerConnection> live = new HashSet<>();
    /** Unauthenticated connections, oldest first, with their source address. */
    private final LinkedHashMap<PeerConnection, InetAddress> waiting = new LinkedHashMap<>();
    private final Map<InetAddress, Integer> waitingFrom = new HashMap<>();

    synchronized Admission admit(PeerConnection c, InetAddress from) {
        int fromThere = waitingFrom.getOrDefault(from, 0);
        if (fromThere >= MAX_PRE_AUTH_PER_ADDRESS) {
            return new Admission(fromThere + " unauthenticated connections from that address already", null);
        }
        PeerConnection evicted = null;
        if (live.size() >= MAX_CONNECTIONS || waiting.size() >= MAX_PRE_AUTH) {
            if (waiting.isEmpty()) {
                return new Admission(MAX_CONNECTIONS + " authenticated connections already", null);
            }
            evicted = victim(fromThere);
            if (evicted == null) {
                return new Admission(MAX_PRE_AUTH + " unauthenticated connections already, none from an address"
                        + " holding more than this one", null);
            }
            leaveWaiting(evicted);
            live.remove(evicted); // its slot is the newcomer's now; the caller closes it
        }
        live.add(c);
        waiting.put(c, from);
        waitingFrom.merge(from, 1, Integer::sum);
        return new Admission(null, evicted);
    }

    /** The connection authenticated: it no longer counts against the bounds for unauthenticated ones. */
    synchronized void authenticated(PeerConnection c) {
        leaveWaiting(c);
    }

    synchronized boolean isWaiting(PeerConnection c) {
        return waiting.containsKey(c);
    }

    synchronized void closed(PeerConnection c) {
        leaveWaiting(c);
        live.remove(c);
    }

    synchronized int waiting() {
        return waiting.size();
    }

    synchronized int waitingFrom(InetAddress from) {
        return waitingFrom.getOrDefault(from, 0);
    }

    /**
     * Whom a newcomer whose address holds {@code fromThere} unauthenticated connections may
     * displace: the oldest connection of the address holding the most, when that is more than
     * the newcomer's would then hold (fair shares: a flood spread over addresses keeps refusing
     * its own newcomers instead of churning, and a client from an address of its own gets in).
     * When every address holds as little, the oldest connection that has not said Hello yet
     * (idle; a real client says Hello at once); null when there is none: the newcomer is refused.
     */
    private PeerConnection victim(int fromThere) {
        InetAddress heaviest = null;
        int most = 0;
        for (Map.Entry<InetAddress, Integer> e : waitingFrom.entrySet()) {
            if (e.getValue() > most) {
                heaviest = e.getKey();
                most = e.getValue();
            }
        }
        if (most > fromThere + 1) {
            PeerConnection oldest = null;
            for (Map.Entry<PeerConnection, InetAddress> e : waiting.entrySet()) {
                if (e.getValue().equals(heaviest)) {
                    if (!e.getKey().spoke()) {
                        return e.getKey();
                    }
                    if (oldest == null) {
                        oldest = e.getKey();
                    }
                }
            }
            return oldest;
        }
        for (PeerConnection c : waiting.keySet()) {
            if (!c.spoke()) {
                return c;
            }
        }
        return null;
    }

    private void leaveWaiting(PeerConnection c) {
        InetAddress from = waiting.remove(c);
        if (from != null) {
            waitingFrom.computeIfPresent(from, (a, n) -> n <= 1 ? null : n - 1);
        }
    }
}

package dev.cprof.discovery.registry;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What {@code /cprof/v1/peers/<host>} says: where the host's peer listens and how it authenticates.
 * {@code clockMs} is the peer's wall clock when it wrote the record (0 = unknown: an older peer);
 * against the znode's mtime, which the ZooKeeper server stamps, it shows the peer's clock skew.
 */
public record PeerRecord(String host, String address, int port, String version, AuthMode auth, long clockMs) {

    /** How a client must authenticate to a peer. */
    public enum AuthMode { NONE, TOKEN, TLS }

    /** A record stamped with this machine's clock now. */
    public PeerRecord(String host, String address, int port, String version, AuthMode auth) {
        this(host, address, port, version, auth, System.currentTimeMillis());
    }

    /** The same record stamped with this machine's clock now, to write again. */
    public PeerRecord restamped() {
        return new PeerRecord(host, address, port, version, auth, System.currentTimeMillis());
    }

    public byte[] encode() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("host", host);
        m.put("address", address);
        m.put("port", Integer.toString(port));
        m.put("version", version);
        m.put("auth", auth.name().toLowerCase(java.util.Locale.ROOT));
        if (clockMs > 0) {
            m.put("clock_ms", Long.toString(clockMs));
        }
        return KeyValues.encode(m);
    }

    public static PeerRecord decode(byte[] data) {
        Map<String, String> m = KeyValues.decode(data);
        AuthMode auth;
        try {
            auth = AuthMode.valueOf(m.getOrDefault("auth", "none").toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            auth = AuthMode.NONE;
        }
        return new PeerRecord(m.getOrDefault("host", ""), m.getOrDefault("address", ""),
                (int) KeyValues.parseLong(m.get("port")), m.getOrDefault("version", ""), auth,
                Math.max(0, KeyValues.parseLong(m.get("clock_ms"))));
    }
}

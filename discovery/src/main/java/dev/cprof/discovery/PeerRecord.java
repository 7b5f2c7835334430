package dev.cprof.discovery;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code /cprof/v1/peers/<host>} says: where the host's peer listens and how it authenticates. */
public record PeerRecord(String host, String address, int port, String version, AuthMode auth) {

    /** How a client must authenticate to a peer. */
    public enum AuthMode { NONE, TOKEN, TLS }

    public byte[] encode() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("host", host);
        m.put("address", address);
        m.put("port", Integer.toString(port));
        m.put("version", version);
        m.put("auth", auth.name().toLowerCase(java.util.Locale.ROOT));
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
                (int) KeyValues.parseLong(m.get("port")), m.getOrDefault("version", ""), auth);
    }
}

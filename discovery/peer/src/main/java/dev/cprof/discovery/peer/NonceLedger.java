package dev.cprof.discovery.peer;

import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Nonces already used, so none is accepted twice: a recorded handshake replayed against the
 * peer is refused. Bounded (oldest forgotten first) and time-limited, because a nonce is 32
 * random bytes and a replay of a forgotten one still fails the HMAC against the fresh server nonce.
 */
final class NonceLedger {
    private static final int MAX = 100_000;
    private static final long KEEP_MS = 3_600_000;
    private final Map<String, Long> used = new LinkedHashMap<>();

    /** Records the nonce; false when it was seen before. */
    synchronized boolean firstUse(byte[] nonce) {
        long now = System.currentTimeMillis();
        expire(now);
        return used.putIfAbsent(Base64.getEncoder().encodeToString(nonce), now) == null;
    }

    private void expire(long now) {
        Iterator<Map.Entry<String, Long>> it = used.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (used.size() <= MAX && now - e.getValue() < KEEP_MS) {
                break;
            }
            it.remove();
        }
    }
}

package dev.cprof.discovery.peer;

import dev.cprof.discovery.registry.PeerRecord;
import java.io.IOException;
import java.nio.file.Path;
import javax.net.ssl.SSLContext;

/**
 * How a peer (or a client of one) authenticates: nothing (loopback only), a shared token
 * (HMAC challenge), or mutual TLS. A token may be combined with TLS; then both must pass.
 */
public record PeerSecurity(byte[] token, SSLContext tls) {

    public static PeerSecurity none() {
        return new PeerSecurity(null, null);
    }

    public static PeerSecurity token(byte[] token) {
        return new PeerSecurity(token.clone(), null);
    }

    public static PeerSecurity tokenFile(Path file) throws IOException {
        return new PeerSecurity(HmacAuth.readToken(file), null);
    }

    public static PeerSecurity tls(Path cert, Path key, Path ca) throws IOException {
        return new PeerSecurity(null, Pem.context(cert, key, ca));
    }

    public PeerSecurity withToken(byte[] t) {
        return new PeerSecurity(t == null ? null : t.clone(), tls);
    }

    public PeerRecord.AuthMode mode() {
        return tls != null ? PeerRecord.AuthMode.TLS : token != null ? PeerRecord.AuthMode.TOKEN : PeerRecord.AuthMode.NONE;
    }
}

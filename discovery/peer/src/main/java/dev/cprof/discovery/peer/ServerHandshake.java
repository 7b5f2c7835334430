package dev.cprof.discovery.peer;

import com.google.protobuf.ByteString;
import dev.cprof.wire.FrameReader;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.Limits;
import dev.cprof.wire.proto.AuthResponse;
import dev.cprof.wire.proto.AuthResult;
import dev.cprof.wire.proto.Challenge;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.Hello;
import java.io.IOException;

/**
 * The peer's side of the connection start: Hello, then (when a token is configured) Challenge /
 * AuthResponse, then AuthResult. Nothing else is read before it succeeds; on failure the client
 * gets AuthResult{ok=false} and the caller closes the connection.
 */
final class ServerHandshake {
    private final byte[] token;
    private final NonceLedger ledger;
    private String refusal = "";
    private volatile boolean helloRead;

    /** {@code token} null: no challenge (loopback listener, or TLS already authenticated the client). */
    ServerHandshake(byte[] token, NonceLedger ledger) {
        this.token = token;
        this.ledger = ledger;
    }

    /** The authenticated client's Hello, or null when it was refused (AuthResult{ok=false} already sent). */
    Hello run(FrameReader in, FrameWriter out) throws IOException {
        Envelope first = in.read();
        if (first == null || !first.hasHello()) {
            return refuse(out, "Hello expected");
        }
        Hello hello = first.getHello();
        helloRead = true;
        if (hello.getProtocolVersion() != Limits.PROTOCOL_VERSION) {
            return refuse(out, "protocol version " + hello.getProtocolVersion() + " not supported; this peer speaks " + Limits.PROTOCOL_VERSION);
        }
        if (token != null) {
            byte[] serverNonce;
            do {
                serverNonce = HmacAuth.nonce();
            } while (!ledger.firstUse(serverNonce));
            out.write(Envelope.newBuilder().setChallenge(Challenge.newBuilder().setServerNonce(ByteString.copyFrom(serverNonce))).build());
            Envelope answer = in.read();
            if (answer == null || !answer.hasAuthResponse()) {
                return refuse(out, "authentication required");
            }
            AuthResponse r = answer.getAuthResponse();
            byte[] clientNonce = r.getClientNonce().toByteArray();
            if (clientNonce.length < 16) {
                return refuse(out, "client nonce too short");
            }
            // verify first, then burn the nonce: a forged answer must not use up a real client's nonce
            if (!HmacAuth.verify(token, serverNonce, clientNonce, hello.getUser(), r.getMac().toByteArray())) {
                return refuse(out, "authentication failed");
            }
            if (!ledger.firstUse(clientNonce)) {
                return refuse(out, "replayed authentication refused");
            }
        }
        out.write(Envelope.newBuilder().setAuthResult(AuthResult.newBuilder().setOk(true)).build());
        return hello;
    }

    /** True once the client's Hello arrived: it speaks the protocol, unlike an idle flood. */
    boolean helloRead() {
        return helloRead;
    }

    /** Why {@link #run} refused, for the peer's log. */
    String refusal() {
        return refusal;
    }

    private Hello refuse(FrameWriter out, String reason) {
        refusal = reason;
        try {
            out.write(Envelope.newBuilder().setAuthResult(AuthResult.newBuilder().setOk(false).setReason(reason)).build());
        } catch (IOException e) {
            // the client is gone already
        }
        return null;
    }
}

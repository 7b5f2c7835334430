package dev.cprof.discovery.peer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The shared-token challenge: mac = HMAC-SHA256(token, server_nonce || client_nonce || user).
 * The token never crosses the wire; both nonces are single use, so a recorded answer is worthless.
 */
public final class HmacAuth {
    public static final int NONCE_BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private HmacAuth() {}

    public static byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    public static byte[] mac(byte[] token, byte[] serverNonce, byte[] clientNonce, String user) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(token, "HmacSHA256"));
            mac.update(serverNonce);
            mac.update(clientNonce);
            mac.update(user.getBytes(StandardCharsets.UTF_8));
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e); // every JDK has it
        }
    }

    /** Constant time, so the comparison leaks nothing about how much of a forged mac was right. */
    public static boolean verify(byte[] token, byte[] serverNonce, byte[] clientNonce, String user, byte[] mac) {
        return MessageDigest.isEqual(mac(token, serverNonce, clientNonce, user), mac);
    }

    /**
     * Reads a token file: its content with surrounding whitespace stripped. Refuses an empty token
     * and a file others may read, like ssh does for keys.
     */
    public static byte[] readToken(Path file) throws IOException {
        try {
            var perms = Files.getPosixFilePermissions(file);
            if (perms.contains(java.nio.file.attribute.PosixFilePermission.OTHERS_READ)) {
                throw new IOException("token file " + file + " is readable by others; chmod 600 it");
            }
        } catch (UnsupportedOperationException e) {
            // not a POSIX file system: no check
        }
        byte[] token = Files.readString(file, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
        if (token.length == 0) {
            throw new IOException("token file " + file + " is empty");
        }
        return token;
    }
}

package dev.cprof.agent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The agent library {@code libcprof.so}, carried in this jar as a resource and extracted once
 * per content (the file name holds its SHA-256) into a per-user cache directory:
 * {@code $XDG_CACHE_HOME/cprof} or {@code ~/.cache/cprof}. A JVM keeps a loaded library
 * mapped, so an extracted file is never rewritten in place: a new build gets a new name. {@link
 * #path()} also writes the jdbc hooks jar beside it as {@code libcprof-<hash>.jar} (the same
 * hash: the agent finds the jar from its own path, and a JVM keeps that jar open once it is on
 * its bootstrap class path).
 */
public final class AgentLibrary {
    /** Resource path of the library for this platform. */
    public static final String RESOURCE = "/native/linux-x86_64/libcprof.so";
    /** Resource path of the jdbc hooks jar, extracted beside the library with the same name but .jar. */
    public static final String HOOKS_RESOURCE = "/native/linux-x86_64/libcprof.jar";

    private static Path extracted;

    private AgentLibrary() {}

    /** The extracted library (and its hooks jar beside it), extracting them on first use. */
    public static synchronized Path path() throws IOException {
        if (extracted == null || !Files.isRegularFile(extracted)) {
            Path library = extract(cacheDir());
            extractHooks(library);
            extracted = library;
        }
        return extracted;
    }

    /**
     * Writes the jdbc hooks jar beside {@code library} ({@code libcprof-<hash>.so} gets
     * {@code libcprof-<hash>.jar}), unless it is there already; the agent looks for it there.
     */
    public static void extractHooks(Path library) throws IOException {
        byte[] hooks = hooksBytes();
        if (hooks == null) {
            return; // a build without the hooks: jdbc sessions say the jar is missing
        }
        String name = library.getFileName().toString();
        Path jar = library.resolveSibling(name.substring(0, name.length() - ".so".length()) + ".jar");
        write(library.getParent(), jar, hooks, "rw-r--r--");
    }

    private static byte[] hooksBytes() throws IOException {
        try (InputStream in = AgentLibrary.class.getResourceAsStream(HOOKS_RESOURCE)) {
            return in != null ? in.readAllBytes() : null;
        }
    }

    /** {@code $XDG_CACHE_HOME/cprof}, else {@code ~/.cache/cprof}. */
    public static Path cacheDir() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("cprof");
    }

    /** Extracts into {@code dir} unless a file with the same content is already there. */
    public static Path extract(Path dir) throws IOException {
        checkPlatform();
        byte[] bytes;
        try (InputStream in = AgentLibrary.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IOException("agent library " + RESOURCE + " is missing from the classpath (native-agent not built?)");
            }
            bytes = in.readAllBytes();
        }
        byte[] hooks = hooksBytes();
        // The library's name covers the hooks jar too: a new jar must not pair with a library a JVM has loaded.
        String sha = hooks != null ? sha256(concat(bytes, hooks)) : sha256(bytes);
        Path target = dir.resolve("libcprof-" + sha.substring(0, 16) + ".so");
        write(dir, target, bytes, "rwxr-xr-x");
        return target;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Writes {@code bytes} to {@code target} atomically, unless the same content is there already. */
    private static void write(Path dir, Path target, byte[] bytes, String mode) throws IOException {
        if (Files.isRegularFile(target) && java.util.Arrays.equals(bytes, Files.readAllBytes(target))) {
            return;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "libcprof-", ".tmp");
        try {
            Files.write(tmp, bytes);
            // Readable by all: a target JVM may run as another user (attach through jattach).
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString(mode));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void checkPlatform() throws IOException {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            throw new IOException("the cprof agent is built for linux-x86_64 only, not " + os + "/" + arch);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }
}

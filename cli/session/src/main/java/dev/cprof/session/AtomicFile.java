package dev.cprof.session;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;

/** Writes a file all or nothing: a temporary file in the same directory, renamed over the target. */
public final class AtomicFile {
    private AtomicFile() {}

    public interface Body {
        void write(OutputStream out) throws IOException;
    }

    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        if (Files.isSymbolicLink(abs) && Files.exists(abs)) {
            abs = abs.toRealPath(); // write the file the link points to, keep the link
        }
        if (Files.isDirectory(abs)) {
            throw new SessionException(target + " is a directory");
        }
        if (Files.exists(abs) && !Files.isRegularFile(abs, LinkOption.NOFOLLOW_LINKS)) {
            // a device or a pipe (-o /dev/null, a fifo): write straight into it, never rename over it
            try (OutputStream out = Files.newOutputStream(abs, StandardOpenOption.WRITE)) {
                body.write(out);
            }
            return;
        }
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            Path shown = target.getParent() != null ? target.getParent() : dir;
            throw new SessionException("no such directory: " + shown);
        }
        Path tmp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16) + ".tmp");
        boolean done = false;
        try {
            OutputStream file;
            try {
                file = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            } catch (java.nio.file.AccessDeniedException e) {
                throw new SessionException("permission denied: cannot write " + target + " (the directory is not writable)");
            }
            try (OutputStream out = new BufferedOutputStream(file, 1 << 16)) {
                body.write(out);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}

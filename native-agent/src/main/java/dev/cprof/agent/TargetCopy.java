package dev.cprof.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

/**
 * A copy of the agent library in a target JVM's own /tmp, for a JVM that cannot read ours (another
 * user's: root's home is 0700; a container's). As async-profiler and jattach do, but the copy must
 * also be one nobody else can swap between our copy and the JVM's dlopen, since the JVM runs it:
 * <ul>
 * <li>the copy is {@code /tmp/libcprof-<sha>.so}, owned by us (root), mode 0444; /tmp must be
 *     sticky (or writable by its owner only), so no other user can rename, replace or remove it;</li>
 * <li>every step goes through one open descriptor of /tmp (openat, {@link SecureDirectoryStream})
 *     that is checked to be the directory lstat saw: a /tmp that is a symlink (resolved in our
 *     root, not the container's) is refused, never followed;</li>
 * <li>a file already there is reused only when it is a regular file of ours, not writable by
 *     others, with the library's exact bytes (the same path: the JVM reuses a loaded library);
 *     otherwise a new one is written under a random name (O_EXCL, no links followed), its mode
 *     set on the file itself, and renamed into place. A name held by another user that we may not
 *     replace (not root) leaves the copy under its random name.</li>
 * </ul>
 */
final class TargetCopy {
    private static final Set<PosixFilePermission> READ_ONLY = PosixFilePermissions.fromString("r--r--r--");
    private static final SecureRandom RANDOM = new SecureRandom();

    private TargetCopy() {}

    /**
     * Installs {@code library} into {@code tmpAsSeen} (the target's /tmp as we reach it, e.g.
     * {@code /proc/<pid>/root/tmp}), which the target calls {@code tmpInTarget}; returns the
     * path for the target.
     */
    static String install(Path library, Path tmpAsSeen, String tmpInTarget) throws IOException {
        BasicFileAttributes seen = Files.readAttributes(tmpAsSeen, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!seen.isDirectory()) {
            throw new IOException(tmpAsSeen + " is not a directory" + (seen.isSymbolicLink() ? " (a symbolic link)" : ""));
        }
        int mode = (Integer) Files.getAttribute(tmpAsSeen, "unix:mode", LinkOption.NOFOLLOW_LINKS);
        if ((mode & 0022) != 0 && (mode & 01000) == 0) {
            throw new IOException(tmpAsSeen + " is writable by other users and not sticky (mode "
                    + Integer.toOctalString(mode & 07777) + "): any of them could replace the copy");
        }
        byte[] bytes = Files.readAllBytes(library);
        Path name = Path.of(library.getFileName().toString());
        try (DirectoryStream<Path> opened = Files.newDirectoryStream(tmpAsSeen)) {
            if (!(opened instanceof SecureDirectoryStream<Path> dir)) {
                throw new IOException("this platform cannot open files relative to a directory (openat)");
            }
            Object key = dir.getFileAttributeView(BasicFileAttributeView.class).readAttributes().fileKey();
            if (key == null || !key.equals(seen.fileKey())) {
                throw new IOException(tmpAsSeen + " was replaced while it was opened");
            }
            UserPrincipal self = Files.getOwner(Path.of("/proc/self"));
            if (isTrustedCopy(dir, name, bytes, self)) {
                return tmpInTarget + "/" + name;
            }
            Path fresh = Path.of(name + "." + HexFormat.of().formatHex(randomBytes()) + ".tmp");
            try (SeekableByteChannel ch = dir.newByteChannel(fresh, Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS), PosixFilePermissions.asFileAttribute(READ_ONLY))) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
            }
            try {
                // the umask may have taken the others' read bit: set the mode on the file, not through a link
                dir.getFileAttributeView(fresh, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setPermissions(READ_ONLY);
            } catch (IOException e) {
                deleteQuietly(dir, fresh);
                throw e;
            }
            try {
                dir.move(fresh, dir, name);
                return tmpInTarget + "/" + name;
            } catch (IOException e) {
                // the name is another user's that we may not replace (not root), or a directory: ours stays unique
                return tmpInTarget + "/" + fresh;
            }
        }
    }

    private static void deleteQuietly(SecureDirectoryStream<Path> dir, Path name) {
        try {
            dir.deleteFile(name);
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** A regular file of ours, writable by nobody else, with exactly {@code bytes}: safe to load again. */
    private static boolean isTrustedCopy(SecureDirectoryStream<Path> dir, Path name, byte[] bytes, UserPrincipal self) throws IOException {
        PosixFileAttributes a;
        try {
            a = dir.getFileAttributeView(name, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).readAttributes();
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        }
        Set<PosixFilePermission> p = a.permissions();
        if (!a.isRegularFile() || !a.owner().equals(self) || a.size() != bytes.length
                || p.contains(PosixFilePermission.GROUP_WRITE) || p.contains(PosixFilePermission.OTHERS_WRITE)
                || !p.contains(PosixFilePermission.OTHERS_READ)) {
            return false;
        }
        // Ours in a sticky /tmp: nobody else can swap it now, so what we read is what the JVM loads.
        try (SeekableByteChannel ch = dir.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
            ByteBuffer buf = ByteBuffer.allocate(bytes.length + 1);
            while (buf.hasRemaining() && ch.read(buf) >= 0) {
                // fill
            }
            return buf.position() == bytes.length && Arrays.equals(Arrays.copyOf(buf.array(), bytes.length), bytes);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return b;
    }
}

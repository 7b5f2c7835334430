package dev.cprof.agent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.util.Optional;

/** Facts about a local process read from /proc, as jattach's psutil gathers them. */
public final class JvmProcess {
    private final long pid;
    private final Path proc;

    public JvmProcess(long pid) {
        this.pid = pid;
        this.proc = Path.of("/proc", Long.toString(pid));
    }

    public long pid() {
        return pid;
    }

    /** Running: a zombie (exited, not yet reaped by its parent) is not. */
    public boolean alive() {
        try {
            String stat = Files.readString(proc.resolve("stat"));
            int close = stat.lastIndexOf(')'); // the name may contain spaces and parentheses
            char state = close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : '?';
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return Files.isDirectory(proc); // gone, or unreadable (then it exists)
        }
    }

    /** Waits up to {@code millis} for the process to end; true when it has. */
    public boolean awaitExit(long millis) throws InterruptedException {
        long end = System.nanoTime() + millis * 1_000_000L;
        while (alive()) {
            if (System.nanoTime() >= end) {
                return false;
            }
            Thread.sleep(20);
        }
        return true;
    }

    /** The process's command line, arguments separated by spaces; empty if unreadable. */
    public String commandLine() {
        try {
            byte[] raw = Files.readAllBytes(proc.resolve("cmdline"));
            return new String(raw, StandardCharsets.UTF_8).replace('\0', ' ').trim();
        } catch (IOException e) {
            return "";
        }
    }

    /** Whether libjvm is mapped: true for every HotSpot/OpenJ9 JVM, whatever its launcher. */
    public boolean isJvm() throws IOException {
        try (var lines = Files.lines(proc.resolve("maps"), StandardCharsets.ISO_8859_1)) {
            return lines.anyMatch(l -> l.endsWith("/libjvm.so") || l.endsWith("/libj9vm29.so"));
        }
    }

    /**
     * The effective uid the process runs as (what its agent's socket and file accesses carry).
     * From the status file rather than the owner of /proc/pid: a process that changed its uid
     * without exec (jsvc, daemons that drop root) is not dumpable, and then /proc/pid is root's.
     */
    public int uid() throws IOException {
        for (String line : Files.readAllLines(proc.resolve("status"))) {
            if (line.startsWith("Uid:")) {
                String[] ids = line.substring(4).trim().split("\\s+"); // real, effective, saved, filesystem
                return Integer.parseInt(ids[ids.length > 1 ? 1 : 0]);
            }
        }
        return (Integer) Files.getAttribute(proc, "unix:uid");
    }

    /** The user name of the process's effective uid, or null when it has none we can tell (or it is gone). */
    public String ownerName() {
        try {
            if ((Integer) Files.getAttribute(proc, "unix:uid") != uid()) {
                return null; // not dumpable: /proc/pid is root's, and the JDK names no other uid
            }
            String name = Files.getOwner(proc).getName();
            return name.chars().allMatch(Character::isDigit) ? null : name; // the JDK gives the number when unnamed
        } catch (IOException e) {
            return null;
        }
    }

    public static int selfUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException e) {
            return -1;
        }
    }

    /** True when the process sees another filesystem root than we do (a container). */
    public boolean otherMountNamespace() {
        try {
            return !Files.readSymbolicLink(proc.resolve("ns/mnt")).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")));
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    /** The process's view of the filesystem root, for copying files into a container. */
    public Path root() {
        return proc.resolve("root");
    }

    /** The pid inside the process's own pid namespace (last NSpid entry), or empty. */
    public Optional<Long> namespacePid() {
        try {
            for (String line : Files.readAllLines(proc.resolve("status"))) {
                if (line.startsWith("NSpid:")) {
                    String[] parts = line.substring(6).trim().split("\\s+");
                    return Optional.of(Long.parseLong(parts[parts.length - 1]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return Optional.empty();
    }

    /** Owner facts of a file, used to check the agent's socket. */
    static PosixFileAttributes attributes(Path p) throws IOException {
        return Files.readAttributes(p, PosixFileAttributes.class);
    }
}

package dev.cprof.discovery.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Reads one process's facts from /proc. Every method tolerates a process that exits while it is
 * being read: it returns an empty answer, and the next scan sees the process gone.
 */
final class ProcFacts {
    /** USER_HZ: the unit of /proc/<pid>/stat times; 100 on every Linux ABI the JDK runs on. */
    private static final long TICKS_PER_SECOND = 100;
    private static final long BOOT_TIME_MS = readBootTimeMs();

    private final long pid;
    private final Path dir;

    ProcFacts(Path procRoot, long pid) {
        this.pid = pid;
        this.dir = procRoot.resolve(Long.toString(pid));
    }

    /** starttime (field 22 of stat), or -1 when the process is gone. */
    long startTicks() {
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.ISO_8859_1);
            // comm (field 2) may contain spaces and ')': fields are counted after the last ')'.
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            return Long.parseLong(f[22 - 3]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** ppid (field 4 of stat), or -1 when the process is gone. */
    long parentPid() {
        try {
            String stat = Files.readString(dir.resolve("stat"), StandardCharsets.ISO_8859_1);
            return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ")[1]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    static long startTimeMs(long startTicks) {
        return BOOT_TIME_MS + startTicks * 1000 / TICKS_PER_SECOND;
    }

    /** TRUE/FALSE whether libjvm is mapped; null when maps is not readable (another uid without root). */
    Boolean mapsLibjvm() {
        try (var lines = Files.lines(dir.resolve("maps"), StandardCharsets.ISO_8859_1)) {
            return lines.anyMatch(l -> l.endsWith("/libjvm.so") || l.endsWith("/libj9vm29.so"));
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;
        }
    }

    /** The network namespace (the ns/net link, e.g. {@code net:[4026531840]}), or null when unreadable. */
    String netNamespace() {
        try {
            return Files.readSymbolicLink(dir.resolve("ns/net")).toString();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    int uid() {
        try {
            return (Integer) Files.getAttribute(dir, "unix:uid");
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    List<String> cmdline() {
        return nulSeparated("cmdline");
    }

    /** The value of one environment variable, or null when absent or unreadable (other uid). */
    String env(String name) {
        String prefix = name + "=";
        for (String kv : nulSeparated("environ")) {
            if (kv.startsWith(prefix)) {
                return kv.substring(prefix.length());
            }
        }
        return null;
    }

    /** JAVA_VERSION of the release file next to the executable's bin/, seen through the process's root. */
    String jdkVersion() {
        try {
            Path exe = Files.readSymbolicLink(dir.resolve("exe"));
            Path home = exe.getParent() == null ? null : exe.getParent().getParent();
            if (home == null) {
                return "";
            }
            Path release = dir.resolve("root").resolve(home.toString().substring(1)).resolve("release");
            for (String line : Files.readAllLines(release, StandardCharsets.UTF_8)) {
                if (line.startsWith("JAVA_VERSION=")) {
                    return line.substring("JAVA_VERSION=".length()).replace("\"", "").trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // unknown: not fatal, the instance is still listed
        }
        return "";
    }

    /** TCP ports in LISTEN state on sockets this process holds open. */
    Set<Integer> listeningPorts() {
        Set<Long> inodes = socketInodes();
        Set<Integer> ports = new HashSet<>();
        if (inodes.isEmpty()) {
            return ports;
        }
        for (String table : List.of("net/tcp", "net/tcp6")) {
            try {
                List<String> lines = Files.readAllLines(dir.resolve(table), StandardCharsets.ISO_8859_1);
                for (int i = 1; i < lines.size(); i++) {
                    String[] f = lines.get(i).trim().split("\\s+");
                    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                    if (f.length > 9 && f[3].equals("0A") && inodes.contains(Long.parseLong(f[9]))) {
                        String local = f[1];
                        ports.add(Integer.parseInt(local.substring(local.indexOf(':') + 1), 16));
                    }
                }
            } catch (IOException | RuntimeException e) {
                // table missing (no IPv6) or process gone
            }
        }
        return ports;
    }

    private Set<Long> socketInodes() {
        Set<Long> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(dir.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(Long.parseLong(target.substring(8, target.length() - 1)));
                    }
                } catch (IOException | RuntimeException e) {
                    // fd closed meanwhile
                }
            }
        } catch (IOException | RuntimeException e) {
            // not ours to read, or gone
        }
        return inodes;
    }

    private List<String> nulSeparated(String file) {
        List<String> out = new ArrayList<>();
        try {
            byte[] raw = Files.readAllBytes(dir.resolve(file));
            int start = 0;
            for (int i = 0; i < raw.length; i++) {
                if (raw[i] == 0) {
                    out.add(new String(raw, start, i - start, StandardCharsets.UTF_8));
                    start = i + 1;
                }
            }
            if (start < raw.length) {
                out.add(new String(raw, start, raw.length - start, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            // unreadable: empty
        }
        return out;
    }

    private static long readBootTimeMs() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("btime ")) {
                    return Long.parseLong(line.substring(6).trim()) * 1000;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return 0;
    }

    long pid() {
        return pid;
    }
}

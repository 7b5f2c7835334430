package dev.cprof.python;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Python processes descending from one process (a JVM running PySpark, say): children,
 * grandchildren through shells and daemons, found by walking the ppid chains of /proc/PID/stat.
 * {@link #rescan()} reports only the ones not seen before, so the peer can call it every
 * second and attach the newcomers.
 */
public final class PythonChildren {
    /** "python", "python3", "python3.11", "python3.12d": not "pythonw-helper" or "ipython". */
    private static final Pattern PYTHON = Pattern.compile("python[0-9.]*[a-z]?");

    private final int root;
    private final long rootStartTime;
    private final Set<Long> seen = new HashSet<>(); // pid << 32 ^ start time: survives pid reuse

    public PythonChildren(int rootPid) {
        this.root = rootPid;
        ProcStat s = ProcStat.read(rootPid);
        this.rootStartTime = s == null ? -1 : s.startTime();
    }

    public int root() {
        return root;
    }

    /** False once the root process has exited (or its pid was reused). */
    public boolean rootAlive() {
        ProcStat s = ProcStat.read(root);
        return s != null && s.alive() && s.startTime() == rootStartTime;
    }

    /** All Python processes currently descending from the root, by pid. */
    public Set<Integer> scan() {
        Map<Integer, ProcStat> all = processes();
        Map<Integer, List<Integer>> children = new HashMap<>();
        for (ProcStat s : all.values()) {
            children.computeIfAbsent(s.ppid(), k -> new ArrayList<>()).add(s.pid());
        }
        Set<Integer> found = new TreeSet<>();
        List<Integer> queue = new ArrayList<>(children.getOrDefault(root, List.of()));
        Set<Integer> visited = new HashSet<>();
        while (!queue.isEmpty()) {
            int pid = queue.remove(queue.size() - 1);
            if (!visited.add(pid)) {
                continue; // a ppid cycle is impossible, but /proc is read non-atomically
            }
            ProcStat s = all.get(pid);
            if (s != null && s.alive() && isPython(pid, s)) {
                found.add(pid);
            }
            queue.addAll(children.getOrDefault(pid, List.of()));
        }
        return found;
    }

    /** The Python descendants that appeared since the previous call (all of them the first time). */
    public List<Integer> rescan() {
        List<Integer> fresh = new ArrayList<>();
        for (int pid : scan()) {
            ProcStat s = ProcStat.read(pid);
            if (s != null && seen.add(((long) pid << 32) ^ s.startTime())) {
                fresh.add(pid);
            }
        }
        return fresh;
    }

    /** Executable name, else the kernel's comm (15 chars, enough for "python3.11"). */
    static boolean isPython(int pid, ProcStat s) {
        try {
            Path exe = Files.readSymbolicLink(Path.of("/proc/" + pid + "/exe"));
            Path name = exe.getFileName();
            if (name != null) {
                return PYTHON.matcher(name.toString()).matches();
            }
        } catch (IOException | UnsupportedOperationException e) {
            // another user's process: fall back to comm
        }
        return PYTHON.matcher(s.comm()).matches();
    }

    private static Map<Integer, ProcStat> processes() {
        Map<Integer, ProcStat> all = new HashMap<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
            for (Path p : dir) {
                ProcStat s = ProcStat.read(p.getFileName().toString());
                if (s != null) {
                    all.put(s.pid(), s);
                }
            }
        } catch (IOException e) {
            // /proc unreadable: nothing found, the caller retries next second
        }
        return all;
    }
}

package dev.cprof.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** CPU time and peak RSS of a process from /proc: "self" or a pid. */
final class ProcStats {
    private ProcStats() {}

    /** utime + stime from /proc/PID/stat (clock ticks of 10 ms), in seconds. */
    static double cpuSeconds(String pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", pid, "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after "pid (comm) ": state is f[0]; utime is field 14 overall = f[11], stime f[12]
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    }

    /** A field of /proc/PID/status in kB (VmHWM, VmRSS), 0 when absent. */
    static long statusKb(String pid, String field) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
            if (line.startsWith(field + ":")) {
                return Long.parseLong(line.split("\\s+")[1]);
            }
        }
        return 0;
    }
}

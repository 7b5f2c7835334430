package dev.cprof.python;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One line of /proc/PID/stat (or /proc/PID/task/TID/stat), parsed after the last ')' because
 * the command name in parentheses may itself contain spaces and parentheses.
 *
 * @param state R running, S sleeping, Z zombie, ...
 * @param startTime clock ticks since boot: with the pid, identifies a process across pid reuse
 */
record ProcStat(int pid, String comm, char state, int ppid, long startTime) {

    /** The stat of {@code /proc/<path>/stat}, or null when it is gone or unreadable. */
    static ProcStat read(String procPath) {
        String s;
        try {
            s = Files.readString(Path.of("/proc", procPath, "stat"), StandardCharsets.ISO_8859_1);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return parse(s);
    }

    static ProcStat read(int pid) {
        return read(Integer.toString(pid));
    }

    static ProcStat parse(String s) {
        int open = s.indexOf('(');
        int close = s.lastIndexOf(')');
        if (open < 0 || close < open || close + 2 >= s.length()) {
            return null;
        }
        String[] f = s.substring(close + 2).trim().split(" ");
        // f[0] = field 3 (state), f[1] = field 4 (ppid), f[19] = field 22 (starttime)
        if (f.length < 20) {
            return null;
        }
        try {
            return new ProcStat(Integer.parseInt(s.substring(0, open).trim()), s.substring(open + 1, close),
                    f[0].charAt(0), Integer.parseInt(f[1]), Long.parseLong(f[19]));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    boolean alive() {
        return state != 'Z' && state != 'X';
    }
}

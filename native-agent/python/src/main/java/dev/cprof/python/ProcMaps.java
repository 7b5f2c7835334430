package dev.cprof.python;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** File-backed mappings of a process, from /proc/pid/maps. */
final class ProcMaps {
    /** One line: [start, end) mapped from {@code offset} of {@code path}. */
    record Mapping(long start, long end, long offset, String path) {}

    private ProcMaps() {}

    static List<Mapping> read(int pid) throws IOException {
        List<Mapping> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/maps"))) {
            Mapping m = parse(line);
            if (m != null) {
                out.add(m);
            }
        }
        return out;
    }

    /** "start-end perms offset dev inode path"; null for anonymous mappings. */
    static Mapping parse(String line) {
        String[] f = line.trim().split("\\s+", 6);
        if (f.length < 6 || !f[5].startsWith("/")) {
            return null;
        }
        int dash = f[0].indexOf('-');
        String path = f[5];
        if (path.endsWith(" (deleted)")) {
            path = path.substring(0, path.length() - " (deleted)".length());
        }
        return new Mapping(Long.parseUnsignedLong(f[0].substring(0, dash), 16),
                Long.parseUnsignedLong(f[0].substring(dash + 1), 16),
                Long.parseUnsignedLong(f[2], 16), path);
    }
}

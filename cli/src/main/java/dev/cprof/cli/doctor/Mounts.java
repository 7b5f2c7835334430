package dev.cprof.cli.doctor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** The mount options of a path, from /proc/self/mountinfo. */
public final class Mounts {
    private Mounts() {
    }

    /** The mount options of the mount holding {@code path} (longest mount point that contains it), from /proc/self/mountinfo. */
    public static Optional<String> options(String path) {
        try {
            return options(path, Files.readAllLines(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The same from the lines of a mountinfo file (proc(5)); a later mount over the same point wins. */
    public static Optional<String> options(String path, List<String> mountinfo) {
        String best = null;
        String bestOptions = null;
        for (String line : mountinfo) {
            String[] f = line.split(" ");
            if (f.length < 6) {
                continue;
            }
            String mountPoint = f[4].replace("\\040", " ");
            boolean contains = path.equals(mountPoint) || mountPoint.equals("/") || path.startsWith(mountPoint + "/");
            if (contains && (best == null || mountPoint.length() >= best.length())) {
                best = mountPoint;
                bestOptions = f[5];
            }
        }
        return Optional.ofNullable(bestOptions);
    }
}

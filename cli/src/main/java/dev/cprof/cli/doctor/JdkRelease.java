package dev.cprof.cli.doctor;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** A JDK's {@code release} file and the feature number of a Java version. */
public final class JdkRelease {
    private JdkRelease() {
    }

    /** The KEY="value" lines of a JDK's {@code release} file; empty when it has none. */
    static Map<String, String> read(Path home) {
        Map<String, String> m = new TreeMap<>();
        Path f = home.resolve("release");
        if (!Files.isRegularFile(f)) {
            return m;
        }
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            return m;
        }
        for (String k : p.stringPropertyNames()) {
            String v = p.getProperty(k).strip();
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                v = v.substring(1, v.length() - 1);
            }
            m.put(k, v);
        }
        return m;
    }

    /** 17 for "17.0.15", 8 for "1.8.0_392", -1 when not a version. */
    public static int feature(String version) {
        String[] parts = version.split("[._+-]");
        try {
            int first = Integer.parseInt(parts[0]);
            return first == 1 && parts.length > 1 ? Integer.parseInt(parts[1]) : first;
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}

package dev.cprof.cli.doctor;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One line per JDK found (the running one, JAVA_HOME, /usr/lib/jvm/*): its version, and whether cprof supports it. */
public final class JdkCheck implements Check {
    static final String NAME = "jdk";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public List<Result> run() throws IOException {
        Map<Path, List<String>> homes = new LinkedHashMap<>();
        Path running = Path.of(System.getProperty("java.home"));
        addJdk(homes, running, "running");
        String javaHome = System.getenv("JAVA_HOME");
        if (javaHome != null && !javaHome.isBlank()) {
            addJdk(homes, Path.of(javaHome), "JAVA_HOME");
        }
        Path jvmDir = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvmDir)) {
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(jvmDir)) {
                List<Path> sorted = new ArrayList<>();
                dir.forEach(sorted::add);
                sorted.sort(null);
                for (Path p : sorted) {
                    if (Files.isDirectory(p) && Files.isRegularFile(p.resolve("release"))) {
                        addJdk(homes, p, null);
                    }
                }
            }
        }
        List<Result> out = new ArrayList<>();
        for (Map.Entry<Path, List<String>> e : homes.entrySet()) {
            Path home = e.getKey();
            Map<String, String> release = JdkRelease.read(home);
            String version = release.getOrDefault("JAVA_VERSION", "");
            String vendor = release.getOrDefault("IMPLEMENTOR", "");
            String tags = e.getValue().isEmpty() ? "" : " (" + String.join(", ", e.getValue()) + ")";
            String detail = (version.isEmpty() ? "version unknown" : version) + (vendor.isEmpty() ? "" : " " + vendor)
                    + " at " + home + tags + (Files.isExecutable(home.resolve("bin/jcmd")) ? "" : "; no jcmd (a JRE)");
            int feature = JdkRelease.feature(version);
            if (version.isEmpty()) {
                out.add(new Result(NAME, Status.WARN, detail, "no readable 'release' file in " + home));
            } else if (feature < 17) {
                out.add(new Result(NAME, Status.WARN, detail, "cprof runs on and profiles JDK 17 and newer;"
                        + " JVMs of this JDK cannot be profiled"));
            } else {
                out.add(Result.ok(NAME, detail));
            }
        }
        return out;
    }

    /** Adds {@code home} under its real path (links and JAVA_HOME name the same JDK once), with {@code tag} if not null. */
    private static void addJdk(Map<Path, List<String>> homes, Path home, String tag) {
        Path real;
        try {
            real = home.toRealPath();
        } catch (IOException e) {
            real = home.toAbsolutePath().normalize();
        }
        List<String> tags = homes.computeIfAbsent(real, k -> new ArrayList<>());
        if (tag != null) {
            tags.add(tag);
        }
    }
}

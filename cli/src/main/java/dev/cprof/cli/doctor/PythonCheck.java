package dev.cprof.cli.doctor;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The Pythons of this host (python3 on PATH, pyenv's versions), and whether --python can read them. */
public final class PythonCheck implements Check.Single {
    static final String NAME = "python";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() {
        List<String> found = new ArrayList<>();
        boolean supported = false;
        boolean unsupported = false;
        Optional<String> onPath = Probes.which("python3");
        if (onPath.isPresent()) {
            Optional<String> v = Probes.run(List.of(onPath.get(), "--version")).flatMap(Probes::firstLine)
                    .map(s -> s.replaceFirst("^Python\\s+", ""));
            String version = v.orElse("?");
            boolean ok = supported(version);
            supported |= ok;
            unsupported |= !ok;
            found.add("python3 " + version + " (" + onPath.get() + ")" + (ok ? "" : " unsupported"));
        }
        String pyenvRoot = System.getenv("PYENV_ROOT");
        Path versions = (pyenvRoot != null && !pyenvRoot.isBlank() ? Path.of(pyenvRoot)
                : Path.of(System.getProperty("user.home"), ".pyenv")).resolve("versions");
        if (Files.isDirectory(versions)) {
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(versions)) {
                for (Path p : dir) {
                    if (Files.isDirectory(p)) {
                        names.add(p.getFileName().toString());
                    }
                }
            } catch (IOException e) {
                // unreadable: report what python3 said
            }
            names.sort(PythonCheck::compareVersions);
            List<String> good = names.stream().filter(PythonCheck::supported).toList();
            List<String> bad = names.stream().filter(n -> !supported(n)).toList();
            supported |= !good.isEmpty();
            if (!names.isEmpty()) {
                found.add("pyenv " + (good.isEmpty() ? "" : String.join(", ", good))
                        + (bad.isEmpty() ? "" : (good.isEmpty() ? "" : ", ") + "unsupported " + String.join(", ", bad)));
            }
        }
        if (found.isEmpty()) {
            return Result.ok(NAME, "no python3 found (needed only to sample PySpark workers with --python)");
        }
        String detail = String.join("; ", found);
        if (!supported || unsupported) {
            return new Result(NAME, Status.WARN, detail, "--python reads CPython 3.11, 3.12 and 3.13;"
                    + " workers on other versions are not sampled");
        }
        return Result.ok(NAME, detail + "; --python supports 3.11–3.13");
    }

    /** Orders "3.9.18" before "3.10.13": numeric runs compare as numbers. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        String[] y = b.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = x[i].matches("\\d+") && y[i].matches("\\d+")
                    ? new BigInteger(x[i]).compareTo(new BigInteger(y[i])) : x[i].compareTo(y[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }

    /** CPython 3.11, 3.12 or 3.13 ("3.12.4", "3.13.0rc1"); pyenv names like "pypy3.10-7.3" are not. */
    public static boolean supported(String version) {
        return version.matches("3\\.(11|12|13)(\\.\\d+.*)?");
    }
}

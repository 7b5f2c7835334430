package dev.cprof.python;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Real Python interpreters and scripts for the tests. */
final class Pythons {
    private Pythons() {}

    /**
     * "python3" from PATH, then any other supported CPython installed by pyenv; the system
     * property {@code cprof.test.pythons} (comma-separated commands) overrides the list.
     */
    static List<String> supported() {
        String forced = System.getProperty("cprof.test.pythons");
        if (forced != null && !forced.isBlank()) {
            return List.of(forced.split(","));
        }
        List<String> out = new ArrayList<>(List.of("python3"));
        String v3 = version("python3");
        for (String minor : List.of("3.11", "3.12", "3.13")) {
            if (minor.equals(v3)) {
                continue;
            }
            pyenv(minor).ifPresent(out::add);
        }
        return out;
    }

    /** The newest pyenv install of {@code minor}, e.g. ~/.pyenv/versions/3.12.1/bin/python3.12. */
    static Optional<String> pyenv(String minor) {
        Path versions = Path.of(System.getProperty("user.home"), ".pyenv", "versions");
        if (!Files.isDirectory(versions)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(versions)) {
            return s.filter(p -> p.getFileName().toString().matches(Pattern.quote(minor) + "\\.\\d+"))
                    .map(p -> p.resolve("bin/python" + minor))
                    .filter(Files::isExecutable)
                    .map(Path::toString)
                    .max(String::compareTo);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** "3.11" for a python command, or "" when it does not run. */
    static String version(String python) {
        try {
            Process p = new ProcessBuilder(python, "-c", "import sys;print('%d.%d' % sys.version_info[:2])")
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** split.py (hot_a 75 % / hot_b 25 % of CPU) copied out of the test resources. */
    static Path splitScript() throws IOException {
        return script("split.py");
    }

    /** A script of src/test/resources/python copied to a temp dir (the file name shows in frames). */
    static Path script(String name) throws IOException {
        Path dir = Files.createTempDirectory("cprof-py");
        Path script = dir.resolve(name);
        try (InputStream in = Pythons.class.getResourceAsStream("/python/" + name)) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        script.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        return script;
    }

    /** Starts {@code python split.py seconds} and returns once it printed "ready". */
    static Process startSplit(String python, double seconds) throws IOException, InterruptedException {
        return start(python, "split.py", Double.toString(seconds));
    }

    /** Starts {@code python script args...} and returns once it printed "ready". */
    static Process start(String python, String script, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(python, script(script).toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine(); // blocks until the interpreter runs the script
        if (!"ready".equals(line)) {
            p.destroyForcibly();
            throw new IOException(python + " did not start " + script + ": " + line);
        }
        return p;
    }

    static void await(String what, long timeoutMs, BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    static void kill(long pid) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }
}

package dev.cprof.cli;

import dev.cprof.session.ExitCodes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** {@code --continuous --rotate T --keep-html N}: a long session writing one file per interval into a directory. */
public final class LongSessionOptions {
    /** "Unlimited" duration of a long session: 1000 days, far from overflowing System.nanoTime arithmetic. */
    static final long UNLIMITED_NANOS = 1000L * 86_400 * 1_000_000_000L;

    @Option(names = "--continuous",
            description = "Long session: with -o DIR/, write one .cprof per --rotate interval into DIR plus DIR/latest.html"
                    + " (the last --keep-html intervals merged). -d is then the total duration (default: until Ctrl-C).")
    boolean continuous;

    @Option(names = "--rotate", paramLabel = "TIME", defaultValue = "1m", converter = DurationConverter.Rotate.class,
            description = "With --continuous: length of each interval (default: ${DEFAULT-VALUE}, at least 1s).")
    Duration rotate;

    @Option(names = "--keep-html", paramLabel = "N", defaultValue = "10",
            description = "With --continuous: intervals merged into latest.html (default: ${DEFAULT-VALUE}).")
    int keepHtml;

    /** At least 1 s: DurationConverter.Rotate. */
    long rotateNanos() {
        return rotate.toNanos();
    }

    /** Checks the options against -o and creates the directory; returns it. */
    Path directory(OutputOptions output) {
        if (output.format != null && output.format != dev.cprof.profile.Format.CPROF) {
            throw new CliException(ExitCodes.USAGE, "--continuous writes .cprof intervals and latest.html; --format does not apply");
        }
        if (output.toStdout()) {
            throw new CliException(ExitCodes.USAGE, "--continuous needs -o DIR/ (a directory), not -o -");
        }
        Path dir = Path.of(output.output());
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CliException(ExitCodes.USAGE, "--continuous needs -o DIR/ (a directory): " + dir + " is a file");
        }
        if (keepHtml < 1) {
            throw new CliException(ExitCodes.USAGE, "--keep-html must be at least 1");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILED, "cannot create " + dir + ": " + e.getMessage());
        }
        return dir;
    }
}

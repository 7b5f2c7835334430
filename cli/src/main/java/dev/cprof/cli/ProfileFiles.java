package dev.cprof.cli;

import dev.cprof.profile.Format;
import dev.cprof.profile.Profile;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Reads a profile file named on the command line, with one-line errors for every bad case. */
final class ProfileFiles {
    private ProfileFiles() {}

    static Profile read(String file) throws IOException {
        Path in;
        try {
            in = Path.of(file);
        } catch (InvalidPathException e) {
            throw new CliException("not a valid file name: " + file);
        }
        if (!Files.exists(in)) {
            throw new CliException("no such file: " + file);
        }
        if (Files.isDirectory(in)) {
            throw new CliException(file + " is a directory, not a profile");
        }
        Format f;
        try {
            f = Format.byFileName(file);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        if (!f.canRead()) {
            throw new CliException(file + ": cprof cannot read " + f.formatName + " files (it reads .cprof, collapsed and pprof)");
        }
        try (InputStream s = new BufferedInputStream(Files.newInputStream(in), 1 << 16)) {
            return f.read(s, file);
        } catch (OutOfMemoryError e) {
            // a profile of more distinct entries than the heap holds (bombs are refused by the
            // readers' limits first); what was read is garbage now, so one line, not a stack trace
            throw new CliException(file + ": out of memory reading it (a very large profile); give the JVM more with CPROF_JAVA_OPTS=-Xmx4g");
        }
    }
}

package dev.cprof.cli;

import dev.cprof.profile.Profile;
import dev.cprof.profile.SafeText;
import dev.cprof.session.ExitCodes;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --export otlp=URL} and {@code --export-header-file FILE}: send the written profile to an
 * OpenTelemetry Collector as well ({@link OtlpExporter}). The export comes after the local file is
 * written and never replaces it: a failed export is one line on stderr and leaves the exit code as
 * it would be without --export.
 */
public final class ExportOptions {
    /** Attempts per profile: the first and 4 retries, 0.5 s, 1 s, 2 s, 4 s apart (or as Retry-After asks). */
    static final int ATTEMPTS = 5;
    static final Duration FIRST_BACKOFF = Duration.ofMillis(500);
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    @Option(names = "--export", paramLabel = "otlp=URL",
            description = "Also send the profile to an OpenTelemetry Collector over OTLP/HTTP (protobuf, gzip): otlp=http://HOST:4318"
                    + " (the path defaults to /v1development/profiles; https for TLS). With --continuous every interval is sent."
                    + " Retried with backoff; a failed export is reported on stderr and the local file is kept.")
    String export;

    @Option(names = "--export-header-file", paramLabel = "FILE",
            description = "HTTP headers for --export, one 'Name: value' a line (e.g. 'Authorization: Bearer …'), kept out of the command line.")
    Path headerFile;

    private OtlpExporter exporter;

    boolean enabled() {
        return export != null;
    }

    /** Checks the options and reads the header file; a usage error for a bad URL or file. Null without --export. */
    OtlpExporter exporter() {
        if (export == null) {
            if (headerFile != null) {
                throw new CliException(ExitCodes.USAGE, "--export-header-file needs --export otlp=URL");
            }
            return null;
        }
        if (exporter == null) {
            URI uri;
            try {
                uri = OtlpExporter.endpoint(export);
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.USAGE, e.getMessage());
            }
            Map<String, String> headers = Map.of();
            if (headerFile != null) {
                try {
                    headers = OtlpExporter.headers(headerFile);
                } catch (IOException e) {
                    throw new CliException(ExitCodes.USAGE, e.getMessage());
                }
            }
            exporter = new OtlpExporter(uri, headers, ATTEMPTS, FIRST_BACKOFF, TIMEOUT);
        }
        return exporter;
    }

    /**
     * Sends the profile; true when it was accepted (or had no samples, so nothing to send). One line on {@code err} either way (the
     * success line only when {@code verbose}); {@code what} names the profile in it.
     */
    boolean send(Profile profile, String what, PrintWriter err, boolean verbose) {
        OtlpExporter e = exporter();
        if (samples(profile) == 0) {
            // nothing a receiver would keep (a Collector drops a request without samples): no request
            if (verbose) {
                err.println("cprof: " + SafeText.escape(what) + " has no samples: nothing exported");
                err.flush();
            }
            return true;
        }
        try {
            String sent = e.send(profile);
            if (verbose) {
                err.println("cprof: exported " + SafeText.escape(what) + " to " + e.uri() + " (" + sent + ")");
                err.flush();
            }
            return true;
        } catch (IOException | RuntimeException x) {
            err.println("cprof: export of " + SafeText.escape(what) + " to " + e.uri() + " failed: "
                    + SafeText.escape(String.valueOf(x.getMessage())) + "; the local file is kept");
            err.flush();
            return false;
        }
    }

    private static long samples(Profile p) {
        long n = 0;
        for (var e : p.events()) {
            n += p.total(e, -1);
        }
        return n;
    }
}

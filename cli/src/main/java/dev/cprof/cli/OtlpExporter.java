package dev.cprof.cli;

import dev.cprof.profile.OtlpWriter;
import dev.cprof.profile.Profile;
import dev.cprof.profile.SafeText;
import dev.cprof.profile.WriteOptions;
import io.opentelemetry.proto.collector.profiles.v1development.ExportProfilesServiceResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPOutputStream;

/**
 * Sends profiles to an OpenTelemetry Collector (or any OTLP/HTTP receiver of profiles): one
 * POST of a binary, gzip-compressed {@code ExportProfilesServiceRequest} ({@link OtlpWriter}) to
 * {@code URL/v1development/profiles}, over TLS for an https URL (the JVM's trust store). Retries what the
 * OTLP specification calls retryable (connection failures, 429, 502, 503, 504) with exponential
 * backoff, honouring Retry-After; gives up at once on other answers (400, 401, 404, 413...).
 */
final class OtlpExporter {
    /** Where OTLP/HTTP receives profiles when the URL names no path. */
    static final String PROFILES_PATH = "/v1development/profiles";
    private static final Set<Integer> RETRYABLE = Set.of(429, 502, 503, 504);
    /** Headers a file may not set: the exporter's own, or the HTTP client's. */
    private static final Set<String> RESERVED = Set.of("content-type", "content-encoding", "content-length", "host",
            "connection", "expect", "upgrade", "transfer-encoding");

    private final URI uri;
    private final Map<String, String> headers;
    private final int attempts;
    private final Duration firstBackoff;
    private final Duration timeout;
    private final HttpClient client;

    OtlpExporter(URI uri, Map<String, String> headers, int attempts, Duration firstBackoff, Duration timeout) {
        this.uri = uri;
        this.headers = headers;
        this.attempts = attempts;
        this.firstBackoff = firstBackoff;
        this.timeout = timeout;
        this.client = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    URI uri() {
        return uri;
    }

    /**
     * The endpoint of {@code otlp=URL}: http or https with a host; no path (or "/") means
     * {@value #PROFILES_PATH}. A usage error names what is wrong.
     */
    static URI endpoint(String spec) {
        int eq = spec.indexOf('=');
        if (eq < 0 || !spec.substring(0, eq).strip().equalsIgnoreCase("otlp")) {
            throw new IllegalArgumentException("--export takes otlp=URL (e.g. otlp=http://localhost:4318), not '" + spec + "'");
        }
        String url = spec.substring(eq + 1).strip();
        URI u;
        try {
            u = new URI(url);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--export: not a URL: '" + url + "'");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            throw new IllegalArgumentException("--export: an OTLP/HTTP URL starts with http:// or https://, not '" + url + "'");
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new IllegalArgumentException("--export: no host in '" + url + "'");
        }
        if (u.getUserInfo() != null) {
            throw new IllegalArgumentException("--export: put credentials in --export-header-file, not in the URL");
        }
        String path = u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/") ? PROFILES_PATH : u.getRawPath();
        try {
            return new URI(scheme, null, u.getHost(), u.getPort(), path, u.getQuery(), null);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--export: not a URL: '" + url + "'");
        }
    }

    /**
     * Headers from a file, one {@code Name: value} a line (blank lines and lines starting with #
     * ignored), e.g. {@code Authorization: Bearer …}. The file is read once; its content never
     * goes into a message.
     */
    static Map<String, String> headers(Path file) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot read --export-header-file " + file + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int colon = line.indexOf(':');
            String name = colon > 0 ? line.substring(0, colon).strip() : "";
            if (name.isEmpty() || !name.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
                throw new IOException(file + " line " + (i + 1) + ": expected 'Name: value'");
            }
            if (RESERVED.contains(name.toLowerCase(Locale.ROOT))) {
                throw new IOException(file + " line " + (i + 1) + ": cprof sets " + name + " itself");
            }
            String value = line.substring(colon + 1).strip();
            if (value.chars().anyMatch(c -> c < 0x20 && c != '\t')) {
                throw new IOException(file + " line " + (i + 1) + ": control characters in the value of " + name);
            }
            out.put(name, value);
        }
        return out;
    }

    /** The request body: the profile's OTLP request, gzip-compressed. */
    static byte[] body(Profile profile) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes, 1 << 16)) {
            OtlpWriter.build(profile, WriteOptions.defaults()).writeTo(gz);
        }
        return bytes.toByteArray();
    }

    /**
     * Sends the profile; returns a short description of what was sent. Throws IOException with a
     * one-line message (the last failure) when every attempt failed or the receiver refused it.
     */
    String send(Profile profile) throws IOException {
        byte[] body = body(profile);
        HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("Content-Type", "application/x-protobuf")
                .header("Content-Encoding", "gzip")
                .header("User-Agent", "cprof/" + VersionProvider.version());
        headers.forEach(rb::header);
        HttpRequest request = rb.POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        String last = null;
        long backoff = firstBackoff.toMillis();
        for (int attempt = 1; attempt <= attempts; attempt++) {
            long wait = backoff;
            HttpResponse<byte[]> r;
            try {
                r = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            } catch (IOException e) {
                r = null;
                last = failure(e);
            }
            if (r != null) {
                int status = r.statusCode();
                if (status / 100 == 2) {
                    return describe(body.length, r.body());
                }
                last = "HTTP " + status + reason(r.body());
                if (!RETRYABLE.contains(status)) {
                    throw new IOException(last + " (not retried)");
                }
                long after = r.headers().firstValue("Retry-After").map(OtlpExporter::seconds).orElse(-1L);
                if (after >= 0) {
                    wait = Math.min(after * 1000, 30_000);
                }
            }
            if (attempt < attempts) {
                try {
                    Thread.sleep(wait);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted, after: " + last);
                }
                backoff = Math.min(backoff * 2, 8_000);
            }
        }
        throw new IOException(last + " (after " + attempts + (attempts == 1 ? " attempt)" : " attempts)"));
    }

    /** A connection failure in words (the HTTP client's exceptions often carry no message). */
    static String failure(IOException e) {
        if (e instanceof java.net.http.HttpConnectTimeoutException) {
            return "connection timed out";
        }
        if (e instanceof java.net.http.HttpTimeoutException) {
            return "no answer in time";
        }
        if (e instanceof java.net.ConnectException) {
            return "connection refused" + (e.getMessage() == null || e.getMessage().isBlank() ? "" : " (" + e.getMessage() + ")");
        }
        if (e instanceof java.net.UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        if (e instanceof javax.net.ssl.SSLException) {
            return "TLS: " + e.getMessage();
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? "I/O error" : m;
    }

    private static long seconds(String retryAfter) {
        try {
            return Long.parseLong(retryAfter.strip());
        } catch (NumberFormatException e) {
            return -1; // an HTTP date: use our own backoff
        }
    }

    /** A receiver's refusal: its google.rpc.Status message when it sent one, else nothing. */
    private static String reason(byte[] body) {
        if (body == null || body.length == 0) {
            return "";
        }
        try {
            // google.rpc.Status, whose field 2 is the message (its class is not on cprof's class path)
            List<com.google.protobuf.ByteString> message = com.google.protobuf.UnknownFieldSet.parseFrom(body)
                    .getField(2).getLengthDelimitedList();
            return message.isEmpty() ? "" : ": " + SafeText.escape(truncate(message.get(0).toStringUtf8()));
        } catch (IOException | RuntimeException e) {
            return ""; // not a Status (a proxy's HTML page, say)
        }
    }

    private static String describe(int bytes, byte[] response) {
        String partial = "";
        try {
            ExportProfilesServiceResponse r = ExportProfilesServiceResponse.parseFrom(response == null ? new byte[0] : response);
            if (r.hasPartialSuccess() && (r.getPartialSuccess().getRejectedProfiles() > 0 || !r.getPartialSuccess().getErrorMessage().isEmpty())) {
                partial = ", receiver rejected " + r.getPartialSuccess().getRejectedProfiles() + " profiles: "
                        + SafeText.escape(truncate(r.getPartialSuccess().getErrorMessage()));
            }
        } catch (IOException e) {
            // a 2xx with a body that is not the response message: accepted all the same
        }
        return bytes + " bytes" + partial;
    }

    private static String truncate(String s) {
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }
}

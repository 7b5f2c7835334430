package dev.cprof.session;

import dev.cprof.profile.Format;
import dev.cprof.profile.Profile;
import dev.cprof.profile.SafeText;
import dev.cprof.profile.WriteOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * The output of {@code attach --continuous --rotate T -o DIR/}: one {@code .cprof} per interval
 * ({@code DIR/<name>-<UTC start>.cprof}, that interval's samples only) and {@code DIR/latest.html},
 * the last N intervals merged, rewritten after each interval. Intervals arrive from the merge
 * thread ({@link #submit}) and are written on a thread of their own, so writing never stalls the
 * merge; only the last N interval profiles are kept in memory.
 */
public final class LongSession implements AutoCloseable {
    static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);
    private final Path dir;
    private final String name;
    private final int keepHtml;
    private final UnaryOperator<Profile> view;
    private final String title;
    private final PrintWriter log;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "cprof-interval-writer");
        t.setDaemon(true);
        return t;
    });
    private final Deque<Profile> recent = new ArrayDeque<>();
    private final List<Path> written = new ArrayList<>();
    private volatile String error;
    private volatile java.util.function.BiConsumer<Profile, Path> onWritten;
    /** --instances: "profiled 5 of 100 instances" as of each write (joiners change it); null without. */
    private volatile java.util.function.Supplier<String> profiledOf;
    private Instant intervalStart = Instant.now();

    /**
     * @param view   applied to each interval before writing (--include/--exclude, --per-instance)
     * @param log    one line per interval written, or null
     */
    public LongSession(Path dir, String name, int keepHtml, UnaryOperator<Profile> view, String title, PrintWriter log) {
        this.dir = dir;
        this.name = name;
        this.keepHtml = keepHtml;
        this.view = view;
        this.title = title;
        this.log = log;
    }

    /** Metadata put on every interval's profile (session id, command). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Called on the writer thread with each interval's profile (as written) and its file, after the
     * file and latest.html are written: --export sends it on. Its failures are its own to report.
     */
    public void onWritten(java.util.function.BiConsumer<Profile, Path> hook) {
        this.onWritten = hook;
    }

    /**
     * --instances: how many of how many instances are profiled, read when each interval is written:
     * into its metadata ("instances") and latest.html's title (the page prints no metadata).
     */
    public void profiledOf(java.util.function.Supplier<String> text) {
        this.profiledOf = text;
    }

    /** A full interval, from the merge thread: queued for writing. */
    public synchronized void submit(Profile interval) {
        Instant start = intervalStart;
        Instant end = Instant.now();
        intervalStart = end;
        writer.execute(() -> write(interval, start, end));
    }

    /** The last (partial) interval, at the end of the session: written, then waits for all writes. */
    public void finish(Profile last) throws IOException {
        submit(last);
        writer.shutdown();
        try {
            if (!writer.awaitTermination(5, TimeUnit.MINUTES)) {
                throw new IOException("writing the intervals did not finish in 5 minutes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (error != null) {
            throw new SessionException(ExitCodes.FAILED, error);
        }
    }

    /** Interval files written so far, oldest first. */
    public synchronized List<Path> written() {
        return new ArrayList<>(written);
    }

    /** Interval profiles held for latest.html: at most --keep-html. */
    public int retained() {
        synchronized (recent) {
            return recent.size();
        }
    }

    private void write(Profile interval, Instant start, Instant end) {
        try {
            Profile p = view.apply(interval);
            p.metadata().putAll(metadata);
            p.metadata().put("interval_start", start.toString());
            p.metadata().put("interval_end", end.toString());
            var part = profiledOf;
            String profiled = part == null ? null : part.get();
            if (profiled != null) {
                p.metadata().put("instances", profiled);
            }
            Path file = dir.resolve(name + "-" + STAMP.format(start) + ".cprof");
            for (int i = 2; Files.exists(file); i++) {
                file = dir.resolve(name + "-" + STAMP.format(start) + "-" + i + ".cprof");
            }
            AtomicFile.write(file, o -> Format.CPROF.write(p, o, WriteOptions.defaults()));
            synchronized (this) {
                written.add(file);
            }
            Profile merged;
            synchronized (recent) {
                recent.addLast(p);
                while (recent.size() > keepHtml) {
                    recent.removeFirst();
                }
                merged = ProfileMerge.merge(new ArrayList<>(recent));
            }
            int n = retained();
            WriteOptions html = WriteOptions.defaults().withTitle(title + " · last " + n + (n == 1 ? " interval" : " intervals")
                    + " to " + STAMP.format(end) + (profiled == null ? "" : " · " + profiled));
            AtomicFile.write(dir.resolve("latest.html"), o -> Format.HTML.write(merged, o, html));
            if (log != null) {
                long samples = 0;
                for (var e : p.events()) {
                    samples += p.total(e, -1);
                }
                log.println("cprof: " + file + " (" + samples + " samples)");
                log.flush();
            }
            var hook = onWritten;
            if (hook != null) {
                hook.accept(p, file);
            }
        } catch (IOException | RuntimeException e) {
            error = "writing an interval into " + dir + " failed: " + e.getMessage();
            if (log != null) {
                log.println("cprof: " + SafeText.escape(error));
                log.flush();
            }
        }
    }

    @Override
    public void close() {
        writer.shutdownNow();
    }
}

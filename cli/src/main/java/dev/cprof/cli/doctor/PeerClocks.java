package dev.cprof.cli.doctor;

import dev.cprof.discovery.registry.PeerRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The peer-clocks line of {@link ZooKeeperCheck}: each peer's clock against ZooKeeper's, the
 * {@code clock_ms} the peer wrote into its record minus the record's znode mtime (stamped by the
 * ZooKeeper server), as of the peer's last (re)registration; the write's latency (milliseconds)
 * counts as skew.
 */
public final class PeerClocks {
    static final String NAME = "peer-clocks";
    /** Beyond this a peer's clock counts as skewed. */
    static final long CLOCK_SKEW_WARN_MS = 1_000;

    private PeerClocks() {
    }

    /** The line for {@code peers}, given the mtime of each one's znode by host (absent when unknown). */
    public static Result result(List<PeerRecord> peers, Map<String, Long> mtimes) {
        List<String> parts = new ArrayList<>();
        List<String> skewed = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (PeerRecord p : peers) {
            Long mtime = mtimes.get(p.host());
            if (p.clockMs() <= 0 || mtime == null || mtime <= 0) {
                unknown.add(p.host());
                continue;
            }
            long skew = p.clockMs() - mtime;
            min = Math.min(min, skew);
            max = Math.max(max, skew);
            parts.add(p.host() + " " + String.format(Locale.ROOT, "%+.1f s", skew / 1000.0));
            if (Math.abs(skew) > CLOCK_SKEW_WARN_MS) {
                skewed.add(p.host() + String.format(Locale.ROOT, " is %.1f s %s", Math.abs(skew) / 1000.0,
                        skew > 0 ? "ahead" : "behind"));
            }
        }
        String unknownText = unknown.isEmpty() ? "" : "; unknown for " + String.join(", ", unknown)
                + " (a cprof peer older than clock_ms in its record)";
        if (parts.isEmpty()) {
            return Result.ok(NAME, "clock skew unknown: no peer reports its clock" + unknownText);
        }
        String against = "clock skew against ZooKeeper's clock at registration: " + String.join(", ", parts);
        String spread = parts.size() > 1
                ? String.format(Locale.ROOT, "; spread between peers %.1f s", (max - min) / 1000.0) : "";
        if (!skewed.isEmpty() || max - min > CLOCK_SKEW_WARN_MS) {
            String what = skewed.isEmpty() ? "peers disagree by more than 1 s" : String.join(", ", skewed);
            return new Result(NAME, Status.WARN, what + " (" + against + spread + ")" + unknownText,
                    "synchronise the hosts' clocks with NTP (chronyc tracking or timedatectl show the state);"
                            + " timestamps from different hosts only line up when clocks agree");
        }
        return Result.ok(NAME, against + spread + unknownText);
    }
}

package dev.cprof.bench;

import dev.cprof.profile.Format;
import dev.cprof.profile.Profile;
import dev.cprof.profile.Timeline;
import dev.cprof.profile.WriteOptions;
import dev.cprof.session.SessionMerger;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Size of a session's files with time buckets: {@code instances} × {@code seconds} of
 * {@link SyntheticFleet} batches (1 s, 100 samples at 100 Hz, 5,000 stacks 30..50 deep, per-instance
 * hotness) merged through the session's own merger ({@link SessionMerger}, 1 s buckets as
 * {@code cprof attach} keeps them), then written as {@code .cprof} and as HTML under the default
 * 10 MB cap. Synthetic: a real 10-minute run would measure the same path with the agent's batches.
 * {@code java -cp ... dev.cprof.bench.TimelineSize [instances] [seconds] [htmlMaxBytes]}
 */
public final class TimelineSize {
    private TimelineSize() {}

    public static void main(String[] args) throws Exception {
        int instances = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 600;
        long cap = args.length > 2 ? Long.parseLong(args[2]) : WriteOptions.DEFAULT_HTML_MAX_BYTES;
        SyntheticFleet fleet = new SyntheticFleet(42);
        SessionMerger merger = new SessionMerger();
        SyntheticFleet.Stream[] streams = new SyntheticFleet.Stream[instances];
        SessionMerger.Stream[] open = new SessionMerger.Stream[instances];
        for (int i = 0; i < instances; i++) {
            streams[i] = fleet.stream(i);
            open[i] = merger.open(InstanceInfo.newBuilder().setHost("host-" + i).setPid(1000 + i).setService("checkout").build());
        }
        long wire = 0;
        for (int s = 0; s < seconds; s++) { // interleaved, as the instances' batches arrive
            for (int i = 0; i < instances; i++) {
                Batch b = streams[i].next();
                wire += b.getSerializedSize();
                open[i].offer(b, b.getSerializedSize());
            }
        }
        Profile p = merger.finish();
        Timeline t = p.timeline();
        ByteArrayOutputStream cprof = new ByteArrayOutputStream();
        Format.CPROF.write(p, cprof, WriteOptions.defaults());
        ByteArrayOutputStream html = new ByteArrayOutputStream();
        Format.HTML.write(p, html, WriteOptions.defaults().withHtmlMax(cap));
        Matcher m = Pattern.compile("\"timeline\":\\{[^}]*\\}").matcher(html.toString(StandardCharsets.UTF_8));
        System.out.printf("session: %d instances x %d s at 100 Hz (synthetic, merged by SessionMerger), %,d samples, %,d batch bytes%n",
                instances, seconds, merger.samples(), wire);
        System.out.printf("profile: %,d tree nodes, %,d aggregate values, %,d timed entries in %d buckets of %d ms%n",
                p.tree.size(), p.values.size(), t.size(), t.buckets(), t.bucketNs() / 1_000_000);
        System.out.printf(".cprof: %,d bytes%n", cprof.size());
        System.out.printf("html:   %,d bytes (cap %,d) %s%n", html.size(), cap, m.find() ? m.group() : "(no timeline)");
    }
}

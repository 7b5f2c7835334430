package dev.cprof.cli;

import dev.cprof.profile.Profile;
import java.util.Locale;
import java.util.Map;

/**
 * How every summary says what sampling missed, in the same words: samples <em>lost</em> (the
 * agent's buffer was full, or a table or a read failed: they are in no stack) apart from samples
 * <em>unwalked</em> (the stack could not be walked: they are kept, under a pseudo frame such as
 * {@code [unknown_Java]}, and counted in the totals).
 */
final class Losses {
    private Losses() {}

    /** "115 samples lost (buffer full 115, other 0), 40 unwalked (kept as pseudo frames)", each part only when not 0; "" for none. */
    static String text(Profile p) {
        StringBuilder sb = new StringBuilder();
        if (p.lost() > 0) {
            var d = p.dropped();
            sb.append(String.format(Locale.ROOT, "%,d %s lost (buffer full %,d, other %,d)", p.lost(),
                    p.lost() == 1 ? "sample" : "samples", d.getBufferFull(), d.getOther()));
        }
        if (p.unwalked() > 0) {
            sb.append(sb.length() > 0 ? ", " : "").append(String.format(Locale.ROOT, "%,d unwalked (kept as pseudo frames)", p.unwalked()));
        }
        return sb.toString();
    }

    /** The short form for a status line: "12 lost, 340 unwalked", each part only when not 0; "" for none. */
    static String brief(long lost, long unwalked) {
        String l = lost > 0 ? String.format(Locale.ROOT, "%,d lost", lost) : "";
        String u = unwalked > 0 ? String.format(Locale.ROOT, "%,d unwalked", unwalked) : "";
        return l.isEmpty() || u.isEmpty() ? l + u : l + ", " + u;
    }

    /** The same as members of a --json summary: lost, lost_buffer_full, lost_other, unwalked. */
    static void json(Map<String, Object> into, Profile p) {
        var d = p.dropped();
        into.put("lost", p.lost());
        into.put("lost_buffer_full", d.getBufferFull());
        into.put("lost_other", d.getOther());
        into.put("unwalked", p.unwalked());
    }
}

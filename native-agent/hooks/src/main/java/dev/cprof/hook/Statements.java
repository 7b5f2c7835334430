package dev.cprof.hook;

import java.lang.ref.WeakReference;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Labels of statements, bounded: the text of each prepared statement (a lossy table of weak
 * references, so statements are never kept alive), and the normalised labels by raw text (at
 * most {@link #MAX_DISTINCT}; later ones share one overflow label, since statement texts are
 * unbounded and may carry secrets).
 */
final class Statements {
    static final int MAX_DISTINCT = 1000;
    static final String OVERFLOW = "[other statements]";
    static final String UNKNOWN = "[statement prepared before the session]";
    private static final int SLOTS = 4096; // a power of 2

    private static final Entry[] PREPARED = new Entry[SLOTS];
    /** Raw text to label: a cache, so a repeated statement is normalised once (dropped when full). */
    private static final ConcurrentHashMap<String, String> BY_TEXT = new ConcurrentHashMap<>();
    /** The distinct labels handed out: the bound on what a session can record. */
    private static final ConcurrentHashMap<String, String> LABELS = new ConcurrentHashMap<>();

    private Statements() {}

    private static final class Entry extends WeakReference<Object> {
        final String sql;

        Entry(Object statement, String sql) {
            super(statement);
            this.sql = sql;
        }
    }

    static void prepared(Object statement, String sql) {
        PREPARED[slot(statement)] = new Entry(statement, sql); // a racing writer wins: a lossy cache
    }

    static String label(Object statement, String sql) {
        if (sql == null) {
            Entry e = PREPARED[slot(statement)];
            if (e == null || e.get() != statement) {
                return UNKNOWN; // prepared before the session, or its slot was taken since
            }
            sql = e.sql;
        }
        String label = BY_TEXT.get(sql);
        if (label != null) {
            return label;
        }
        label = SqlNormalizer.normalize(sql);
        String known = LABELS.get(label);
        if (known == null) {
            if (LABELS.size() >= MAX_DISTINCT) {
                return OVERFLOW;
            }
            known = LABELS.putIfAbsent(label, label);
            if (known == null) {
                known = label;
            }
        }
        if (BY_TEXT.size() < MAX_DISTINCT * 4) {
            BY_TEXT.putIfAbsent(sql, known);
        }
        return known;
    }

    /** At session end: nothing of the session's statements stays in the target. */
    static void clear() {
        java.util.Arrays.fill(PREPARED, null);
        BY_TEXT.clear();
        LABELS.clear();
    }

    private static int slot(Object statement) {
        int h = System.identityHashCode(statement);
        return (h ^ (h >>> 16)) & (SLOTS - 1);
    }
}

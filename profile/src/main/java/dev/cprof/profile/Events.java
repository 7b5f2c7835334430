package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;
import java.util.Locale;

/** Names, units and the measure that a flame graph shows for each event type. */
public final class Events {
    private Events() {}

    public static String name(EventType e) {
        return e.name().toLowerCase(Locale.ROOT);
    }

    public static EventType parse(String name) {
        for (EventType e : EventType.values()) {
            if (e != EventType.EVENT_UNSPECIFIED && e != EventType.UNRECOGNIZED && name(e).equals(name.trim().toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown event '" + name + "' (expected cpu, wall, alloc, lock or jdbc)");
    }

    /** Whether this build knows the event type of that number (a newer writer may have more). */
    public static boolean known(int eventNumber) {
        return eventNumber >= EventType.CPU_VALUE && eventNumber <= EventType.JDBC_VALUE;
    }

    /** alloc, lock and jdbc are measured by weight (bytes, ns); cpu and wall by sample count. */
    public static boolean byWeight(EventType e) {
        return e == EventType.ALLOC || e == EventType.LOCK || e == EventType.JDBC;
    }

    /** The value a flame graph shows: count or weight depending on the event. */
    public static long measure(EventType e, long count, long weight) {
        return byWeight(e) ? weight : count;
    }

    public static String unit(EventType e) {
        return switch (e) {
            case ALLOC -> "bytes";
            case LOCK, JDBC -> "nanoseconds";
            default -> "samples";
        };
    }
}

package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;

/**
 * Choices shared by writers. {@code event} null means the profile's first event; formats that
 * hold one event at a time (collapsed, svg) write that one, the others write all events.
 * {@code htmlMaxBytes} caps the HTML page: its time buckets coarsen until the page fits.
 */
public record WriteOptions(String title, EventType event, int instance, long htmlMaxBytes) {
    public static final long DEFAULT_HTML_MAX_BYTES = 10L << 20;

    public WriteOptions(String title, EventType event, int instance) {
        this(title, event, instance, DEFAULT_HTML_MAX_BYTES);
    }

    public static WriteOptions defaults() {
        return new WriteOptions("cprof", null, -1);
    }

    public WriteOptions withTitle(String t) {
        return new WriteOptions(t, event, instance, htmlMaxBytes);
    }

    public WriteOptions withInstance(int i) {
        return new WriteOptions(title, event, i, htmlMaxBytes);
    }

    public WriteOptions withEvent(EventType e) {
        return new WriteOptions(title, e, instance, htmlMaxBytes);
    }

    public WriteOptions withHtmlMax(long bytes) {
        return new WriteOptions(title, event, instance, bytes);
    }

    /** The event to write for a single-event format. */
    public EventType eventOf(Profile profile) {
        if (event != null) {
            return event;
        }
        return profile.events().isEmpty() ? EventType.CPU : profile.events().get(0);
    }
}

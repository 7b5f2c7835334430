package dev.cprof.profile;

import dev.cprof.wire.proto.EventType;

/**
 * Choices shared by writers. {@code event} null means the profile's first event; formats that
 * hold one event at a time (collapsed, svg) write that one, the others write all events.
 */
public record WriteOptions(String title, EventType event, int instance) {
    public static WriteOptions defaults() {
        return new WriteOptions("cprof", null, -1);
    }

    public WriteOptions withTitle(String t) {
        return new WriteOptions(t, event, instance);
    }

    public WriteOptions withInstance(int i) {
        return new WriteOptions(title, event, i);
    }

    public WriteOptions withEvent(EventType e) {
        return new WriteOptions(title, e, instance);
    }

    /** The event to write for a single-event format. */
    public EventType eventOf(Profile profile) {
        if (event != null) {
            return event;
        }
        return profile.events().isEmpty() ? EventType.CPU : profile.events().get(0);
    }
}

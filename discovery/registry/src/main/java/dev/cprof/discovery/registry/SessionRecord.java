package dev.cprof.discovery.registry;

import java.util.LinkedHashMap;
import java.util.Map;

/** What {@code /cprof/v1/sessions/<id>} says, for audit: who profiles what, from where, until when. */
public record SessionRecord(String id, String user, String host, String service, String events,
                            long startMs, long plannedEndMs) {

    public byte[] encode() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("user", user);
        m.put("host", host);
        m.put("service", service);
        m.put("events", events);
        m.put("start", Long.toString(startMs));
        m.put("end", Long.toString(plannedEndMs));
        return KeyValues.encode(m);
    }

    public static SessionRecord decode(byte[] data) {
        Map<String, String> m = KeyValues.decode(data);
        return new SessionRecord(m.getOrDefault("id", ""), m.getOrDefault("user", ""), m.getOrDefault("host", ""),
                m.getOrDefault("service", ""), m.getOrDefault("events", ""),
                KeyValues.parseLong(m.get("start")), KeyValues.parseLong(m.get("end")));
    }
}

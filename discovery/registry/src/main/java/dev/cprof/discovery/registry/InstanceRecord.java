package dev.cprof.discovery.registry;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@code /cprof/v1/services/<service>/<host>:<pid>} says about one JVM.
 * Labels are stored as {@code label.<name>=value}.
 */
public record InstanceRecord(String service, String host, long pid, String jdkVersion, long startTimeMs,
                             String mainClass, Map<String, String> labels) {
    private static final String LABEL = "label.";

    public InstanceRecord {
        labels = Map.copyOf(labels);
    }

    /** The znode name and the key a client asks the peer to attach: {@code <host>:<pid>}. */
    public String key() {
        return key(host, pid);
    }

    public static String key(String host, long pid) {
        return host + ":" + pid;
    }

    public byte[] encode() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("service", service);
        m.put("host", host);
        m.put("pid", Long.toString(pid));
        m.put("jdk", jdkVersion);
        m.put("start", Long.toString(startTimeMs));
        m.put("main", mainClass);
        new TreeMap<>(labels).forEach((k, v) -> m.put(LABEL + k, v));
        return KeyValues.encode(m);
    }

    public static InstanceRecord decode(byte[] data) {
        Map<String, String> m = KeyValues.decode(data);
        Map<String, String> labels = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (k.startsWith(LABEL)) {
                labels.put(k.substring(LABEL.length()), v);
            }
        });
        return new InstanceRecord(m.getOrDefault("service", ""), m.getOrDefault("host", ""),
                KeyValues.parseLong(m.get("pid")), m.getOrDefault("jdk", ""),
                KeyValues.parseLong(m.get("start")), m.getOrDefault("main", ""), labels);
    }
}

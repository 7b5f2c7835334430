package dev.cprof.discovery.local;

/**
 * The names a service, host or session may take: each becomes one ZooKeeper node name, so the
 * rule lives with the naming (here) and the registry's paths use it.
 */
public final class NodeNames {
    private NodeNames() {}

    /** A znode name must not contain '/', nor be "." or ".."; we refuse empty names and control characters too. */
    public static String check(String name) {
        if (name == null || name.isEmpty() || name.indexOf('/') >= 0 || name.equals(".") || name.equals("..")
                || name.chars().anyMatch(c -> c < 0x20)) {
            throw new IllegalArgumentException("not a valid ZooKeeper node name: '" + name + "'");
        }
        return name;
    }
}

package dev.cprof.discovery.local;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Facts about one local JVM, read once when it is first seen (ports are re-read while it runs).
 *
 * @param pid          pid in the peer's pid namespace
 * @param startTicks   /proc/<pid>/stat starttime; with pid it tells a reused pid from the old process
 * @param uid          owner uid
 * @param mainClass    main class, {@code module/class}, or the jar path given to {@code -jar}; "" if unknown
 * @param jdkVersion   JAVA_VERSION from the java home's release file; "" if unknown
 * @param startTimeMs  epoch milliseconds
 * @param properties   {@code -Dkey=value} given on the command line
 * @param envService   CPROF_SERVICE from the environment, or null (absent or unreadable)
 * @param ports        listening TCP ports
 * @param args         the whole command line
 */
public record JvmInfo(long pid, long startTicks, int uid, String mainClass, String jdkVersion, long startTimeMs,
                      Map<String, String> properties, String envService, Set<Integer> ports, List<String> args) {

    public JvmInfo {
        properties = Map.copyOf(properties);
        ports = Set.copyOf(ports);
        args = List.copyOf(args);
    }

    public JvmInfo withPorts(Set<Integer> newPorts) {
        return new JvmInfo(pid, startTicks, uid, mainClass, jdkVersion, startTimeMs, properties, envService, newPorts, args);
    }
}

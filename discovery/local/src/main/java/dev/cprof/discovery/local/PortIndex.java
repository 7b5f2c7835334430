package dev.cprof.discovery.local;

import java.util.Optional;
import java.util.Set;

/** Names a JVM by the ports it listens on, from registrations made elsewhere (e.g. Curator x-discovery). */
public interface PortIndex {
    /** The service registered at one of {@code ports} on this host, if any. */
    Optional<String> serviceFor(Set<Integer> ports);
}

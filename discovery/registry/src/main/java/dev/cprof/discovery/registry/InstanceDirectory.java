package dev.cprof.discovery.registry;

/** Which local instances a peer may attach: exactly those it registered. */
public interface InstanceDirectory {
    /** The instance registered under {@code <host>:<pid>}, or null. */
    InstanceRecord registered(String instanceKey);
}

package dev.cprof.discovery.registry;

import dev.cprof.discovery.local.NodeNames;

/** The ZooKeeper layout under /cprof/v1 (README, Fleet; the project's design card), in one place. */
public final class ZkPaths {
    public static final String ROOT = "/cprof/v1";
    public static final String PEERS = ROOT + "/peers";
    public static final String SERVICES = ROOT + "/services";
    public static final String SESSIONS = ROOT + "/sessions";

    private ZkPaths() {}

    public static String peer(String host) {
        return PEERS + "/" + checkName(host);
    }

    public static String service(String service) {
        return SERVICES + "/" + checkName(service);
    }

    public static String instance(String service, String instanceKey) {
        return service(service) + "/" + checkName(instanceKey);
    }

    public static String session(String id) {
        return SESSIONS + "/" + checkName(id);
    }

    /** See {@link NodeNames#check}. */
    public static String checkName(String name) {
        return NodeNames.check(name);
    }
}

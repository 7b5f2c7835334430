package dev.cprof.discovery.local;

import java.util.Optional;

/**
 * Names a JVM's service, first answer wins: {@code -Dcprof.service=NAME}, env {@code CPROF_SERVICE},
 * the rules file, an existing Curator x-discovery registration on one of its ports. The order goes
 * from what the JVM's owner said explicitly to what we infer. A JVM without a name is not registered.
 */
public final class ServiceNamer {
    public static final String PROPERTY = "cprof.service";
    public static final String ENV = "CPROF_SERVICE";

    private final NamingRules rules;
    private final PortIndex discovery;

    /** {@code discovery} may be null (no --discovery). */
    public ServiceNamer(NamingRules rules, PortIndex discovery) {
        this.rules = rules;
        this.discovery = discovery;
    }

    public Optional<String> name(JvmInfo jvm) {
        Optional<String> n = valid(jvm.properties().get(PROPERTY))
                .or(() -> valid(jvm.envService()))
                .or(() -> rules.match(jvm.mainClass()));
        if (n.isEmpty() && discovery != null) {
            n = discovery.serviceFor(jvm.ports()).flatMap(ServiceNamer::valid);
        }
        return n;
    }

    /** A name that cannot be a znode name (empty, contains '/') counts as none. */
    private static Optional<String> valid(String s) {
        if (s == null || s.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(NodeNames.check(s.strip()));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}

package dev.cprof.discovery.registry;

import dev.cprof.discovery.local.JvmInfo;
import dev.cprof.discovery.local.LocalJvms;
import dev.cprof.discovery.local.ServiceNamer;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the registry equal to "the named local JVMs": registers a JVM when it starts (or when it
 * gets a name later: a server's port, or an x-discovery registration, may come after the JVM),
 * unregisters it when it exits.
 */
public final class RegistrySync implements LocalJvms.Listener {
    private final Registry registry;
    private final ServiceNamer namer;
    private final String host;
    /** JVMs we saw but could not name; re-tried by {@link #renameUnnamed()}. */
    private final Map<Long, JvmInfo> unnamed = new ConcurrentHashMap<>();

    public RegistrySync(Registry registry, ServiceNamer namer, String host) {
        this.registry = registry;
        this.namer = namer;
        this.host = host;
    }

    @Override
    public void started(JvmInfo jvm) {
        tryRegister(jvm);
    }

    @Override
    public void changed(JvmInfo before, JvmInfo after) {
        tryRegister(after);
    }

    @Override
    public void exited(JvmInfo jvm) {
        unnamed.remove(jvm.pid());
        registry.unregister(InstanceRecord.key(host, jvm.pid()));
    }

    /** Periodic: names can appear without the JVM changing (a registration made elsewhere). */
    public void renameUnnamed() {
        unnamed.values().forEach(this::tryRegister);
    }

    private void tryRegister(JvmInfo jvm) {
        Optional<String> name = namer.name(jvm);
        if (name.isEmpty()) {
            unnamed.put(jvm.pid(), jvm);
            return;
        }
        unnamed.remove(jvm.pid());
        registry.register(record(name.get(), jvm));
    }

    private InstanceRecord record(String service, JvmInfo jvm) {
        Map<String, String> labels = new java.util.TreeMap<>();
        jvm.properties().forEach((k, v) -> {
            // -Dcprof.label.zone=eu1 becomes label zone=eu1: a cheap way to tag instances
            if (k.startsWith("cprof.label.")) {
                labels.put(k.substring("cprof.label.".length()), v);
            }
        });
        labels.put("uid", Integer.toString(jvm.uid()));
        return new InstanceRecord(service, host, jvm.pid(), jvm.jdkVersion(), jvm.startTimeMs(), jvm.mainClass(), labels);
    }
}

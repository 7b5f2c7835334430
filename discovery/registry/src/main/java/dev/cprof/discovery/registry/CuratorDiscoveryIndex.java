package dev.cprof.discovery.registry;

import dev.cprof.discovery.local.PortIndex;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.x.discovery.ServiceInstance;
import org.apache.curator.x.discovery.details.JsonInstanceSerializer;

/**
 * Names JVMs after the Curator x-discovery registrations they already have
 * ({@code --discovery curator:/basePath}): an instance registered with an address of this host
 * and a port (or SSL port) the JVM listens on is that service. A CuratorCache mirrors the base
 * path so every lookup is local and registrations made later are seen.
 */
public final class CuratorDiscoveryIndex implements PortIndex, AutoCloseable {
    private final String basePath;
    private final CuratorCache cache;
    private final JsonInstanceSerializer<Object> serializer = new JsonInstanceSerializer<>(Object.class);
    private final Set<String> localAddresses;

    public CuratorDiscoveryIndex(CuratorFramework client, String basePath) {
        this.basePath = basePath.endsWith("/") && basePath.length() > 1 ? basePath.substring(0, basePath.length() - 1) : basePath;
        this.cache = CuratorCache.build(client, this.basePath);
        this.localAddresses = localAddresses();
        cache.start();
    }

    /** Parses {@code curator:/basePath}. */
    public static String basePathOf(String spec) {
        if (spec == null || !spec.startsWith("curator:/")) {
            throw new IllegalArgumentException("--discovery must be curator:/basePath, got '" + spec + "'");
        }
        return spec.substring("curator:".length());
    }

    /** The service name of a registration at one of {@code ports} on this host. */
    @Override
    public Optional<String> serviceFor(Set<Integer> ports) {
        if (ports.isEmpty()) {
            return Optional.empty();
        }
        return cache.stream()
                .filter(this::isInstanceNode)
                .map(this::instance)
                .filter(i -> i != null && isLocal(i.getAddress()))
                .filter(i -> (i.getPort() != null && ports.contains(i.getPort()))
                        || (i.getSslPort() != null && ports.contains(i.getSslPort())))
                .map(ServiceInstance::getName)
                .findFirst();
    }

    /** x-discovery layout: basePath/<name>/<id>. */
    private boolean isInstanceNode(ChildData n) {
        String rest = n.getPath().startsWith(basePath + "/") ? n.getPath().substring(basePath.length() + 1) : "";
        int slash = rest.indexOf('/');
        return slash > 0 && rest.indexOf('/', slash + 1) < 0 && n.getData() != null && n.getData().length > 0;
    }

    private ServiceInstance<Object> instance(ChildData n) {
        try {
            return serializer.deserialize(n.getData());
        } catch (Exception e) {
            return null; // not an x-discovery instance: ignored
        }
    }

    private boolean isLocal(String address) {
        return address == null || address.isEmpty() || localAddresses.contains(address);
    }

    /** Host names and every interface address (x-discovery registers the first non-loopback IP by default). */
    private static Set<String> localAddresses() {
        Set<String> out = new HashSet<>(Set.of("localhost", "127.0.0.1", "::1", "0.0.0.0"));
        try {
            InetAddress self = InetAddress.getLocalHost();
            out.add(self.getHostName());
            out.add(self.getCanonicalHostName());
            out.add(self.getHostAddress());
        } catch (UnknownHostException e) {
            // interfaces below still answer
        }
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    String s = a.getHostAddress();
                    int zone = s.indexOf('%');
                    out.add(zone < 0 ? s : s.substring(0, zone));
                }
            }
        } catch (SocketException e) {
            // keep what we have
        }
        return out;
    }

    @Override
    public void close() {
        cache.close();
    }
}

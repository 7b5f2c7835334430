package dev.cprof.discovery.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.discovery.local.JvmInfo;
import dev.cprof.discovery.local.LocalJvms;
import dev.cprof.discovery.local.NamingRules;
import dev.cprof.discovery.local.ServiceNamer;
import dev.cprof.testkit.Await;
import dev.cprof.testkit.TargetJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.test.TestingServer;
import org.apache.curator.x.discovery.ServiceDiscovery;
import org.apache.curator.x.discovery.ServiceDiscoveryBuilder;
import org.apache.curator.x.discovery.ServiceInstance;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Service naming in its documented order, with a real rules file and a real x-discovery registration. */
class ServiceNamerTest {
    @TempDir
    Path dir;

    private static JvmInfo jvm(Map<String, String> props, String env, String main, Set<Integer> ports) {
        return new JvmInfo(42, 1, 0, main, "17", 0, props, env, ports, List.of("java", main));
    }

    @Test
    void propertyThenEnvThenRules() throws Exception {
        Path rules = dir.resolve("rules");
        Files.writeString(rules, """
                # comments and blank lines are fine

                ^com\\.shop\\.Checkout$ = checkout
                orders-.*\\.jar = orders
                (a|b)=c = weird-but-valid
                """);
        ServiceNamer namer = new ServiceNamer(NamingRules.load(rules), null);
        assertEquals(Optional.of("prop"), namer.name(jvm(Map.of("cprof.service", "prop"), "env", "com.shop.Checkout", Set.of())));
        assertEquals(Optional.of("env"), namer.name(jvm(Map.of(), "env", "com.shop.Checkout", Set.of())));
        assertEquals(Optional.of("checkout"), namer.name(jvm(Map.of(), null, "com.shop.Checkout", Set.of())));
        assertEquals(Optional.of("orders"), namer.name(jvm(Map.of(), null, "/opt/orders-2.1.jar", Set.of())));
        assertEquals(Optional.of("weird-but-valid"), namer.name(jvm(Map.of(), null, "a=c", Set.of())));
        assertEquals(Optional.empty(), namer.name(jvm(Map.of(), null, "com.shop.CheckoutTest", Set.of())));
        // a name that cannot be a znode falls through to the next source
        assertEquals(Optional.of("env"), namer.name(jvm(Map.of("cprof.service", "a/b"), "env", "", Set.of())));
    }

    @Test
    void badRulesLineIsAnErrorWithItsLineNumber() throws Exception {
        Path rules = dir.resolve("bad");
        Files.writeString(rules, "ok = fine\n[unclosed = x\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NamingRules.load(rules));
        assertTrue(e.getMessage().contains(":2:"), e.getMessage());
        Files.writeString(rules, "no-equals-sign\n");
        assertThrows(IllegalArgumentException.class, () -> NamingRules.load(rules));
    }

    @Test
    void realJvmPropertyAndEnvAreRead() throws Exception {
        try (LocalJvms jvms = new LocalJvms().start();
             TargetJvm byEnv = TargetJvm.start(List.of(), Map.of("CPROF_SERVICE", "payments"))) {
            ServiceNamer namer = new ServiceNamer(NamingRules.parse(List.of("Workload$ = by-rule"), "test"), null);
            assertTrue(Await.until(1000, () -> jvms.snapshot().stream().anyMatch(j -> j.pid() == byEnv.pid())));
            JvmInfo info = jvms.snapshot().stream().filter(j -> j.pid() == byEnv.pid()).findFirst().orElseThrow();
            assertEquals(Optional.of("payments"), namer.name(info));
            // the same real JVM without the env variable falls to the rules file, matched on its main class
            JvmInfo noEnv = new JvmInfo(info.pid(), info.startTicks(), info.uid(), info.mainClass(), info.jdkVersion(),
                    info.startTimeMs(), info.properties(), null, info.ports(), info.args());
            assertEquals(Optional.of("by-rule"), namer.name(noEnv));
        }
    }

    @Test
    void existingCuratorRegistrationNamesByListeningPort() throws Exception {
        try (TestingServer zk = new TestingServer(true);
             CuratorFramework client = ZkClients.start(zk.getConnectString(), null)) {
            ServiceDiscovery<Void> sd = ServiceDiscoveryBuilder.builder(Void.class).client(client).basePath("/services").build();
            sd.start();
            sd.registerService(ServiceInstance.<Void>builder().name("inventory").address("127.0.0.1").port(18080).build());
            try (CuratorDiscoveryIndex index = new CuratorDiscoveryIndex(client, CuratorDiscoveryIndex.basePathOf("curator:/services"))) {
                ServiceNamer namer = new ServiceNamer(NamingRules.none(), index);
                assertTrue(Await.until(5000, () -> namer.name(jvm(Map.of(), null, "x.Main", Set.of(9, 18080))).isPresent()));
                assertEquals(Optional.of("inventory"), namer.name(jvm(Map.of(), null, "x.Main", Set.of(9, 18080))));
                assertEquals(Optional.empty(), namer.name(jvm(Map.of(), null, "x.Main", Set.of(18081))));
                // registered elsewhere (another host's address): not ours even on the same port
                sd.registerService(ServiceInstance.<Void>builder().name("remote").address("203.0.113.7").port(18090).build());
                Thread.sleep(300);
                assertEquals(Optional.empty(), namer.name(jvm(Map.of(), null, "x.Main", Set.of(18090))));
            } finally {
                sd.close();
            }
        }
    }

    @Test
    void keyValuesRoundTripEscapes() {
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("a", "plain");
        m.put("b", "line1\nline2\\x=\r");
        m.put("c", "");
        assertEquals(m, KeyValues.decode(KeyValues.encode(m)));
        InstanceRecord r = new InstanceRecord("checkout", "h1", 7, "17.0.15", 123, "a.B", Map.of("zone", "eu\n1"));
        assertEquals(r, InstanceRecord.decode(r.encode()));
    }
}

package dev.cprof.agent;

import static dev.cprof.agent.AgentSessions.collect;
import static dev.cprof.agent.AgentSessions.request;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.agent.workload.AllocHeavy;
import dev.cprof.wire.proto.EventType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JVM's own C++ code by name: libjvm exports a few hundred functions to dladdr but has all of
 * them in its .symtab, so GC and compiler time shows as e.g. "G1ParScanThreadState::trim_queue",
 * not as "[libjvm.so]" (as async-profiler shows it too).
 */
class NativeSymbolsTest {
    @ParameterizedTest
    @MethodSource("dev.cprof.agent.Jdks#all")
    void jvmInternalFunctionsHaveTheirNames(Path java) throws Exception {
        try (TargetJvm jvm = TargetJvm.start(java, List.of("-Xmx256m"), AllocHeavy.class)) {
            new Attacher(AgentSessions.library()).attach(jvm.pid(), "");
            DecodedProfile p;
            try (AgentClient c = AgentClient.connect(jvm.pid(), Duration.ofSeconds(10))) {
                c.start(request(EventType.CPU).setThreads(true).build());
                p = collect(c, Duration.ofSeconds(3), Duration.ofSeconds(10),
                        d -> d.sum(EventType.CPU, DecodedProfile.leaf("[libjvm.so]").or(cxx()), false) >= 50);
            }
            long unnamed = p.sum(EventType.CPU, DecodedProfile.leaf("[libjvm.so]"), false);
            long named = p.sum(EventType.CPU, cxx(), false);
            System.out.printf("RELIABILITY: scenario=native_symbols jdk=%s libjvm_named_samples=%d libjvm_unnamed_samples=%d%n",
                    java, named, unnamed);
            assertTrue(named > 0, () -> "no C++ function of the JVM by name:\n" + p.dump(EventType.CPU, 15));
            assertTrue(unnamed * 10 <= named, () -> unnamed + " samples in [libjvm.so] against " + named + " named:\n" + p.dump(EventType.CPU, 15));
        }
    }

    /** A leaf that is a demangled C++ function (the JVM is C++; libc's functions are C). */
    private static Predicate<List<String>> cxx() {
        return s -> !s.isEmpty() && s.get(s.size() - 1).contains("::");
    }
}

package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.cprof.session.ExitCodes;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --service without ZooKeeper: the JVMs of this host, named by -Dcprof.service, attached in process. */
class LocalServiceTest {
    @TempDir
    Path dir;

    @Test
    void findsAJvmByItsServicePropertyInListAndAttach() throws Exception {
        assumeTrue(LocalServiceTest.class.getResource(dev.cprof.agent.AgentLibrary.RESOURCE) != null,
                "ASSUMPTION: libcprof.so is not in the native-agent jar; skipped");
        String service = Checkouts.uniqueService("local");
        try (TargetProcess jvm = Checkouts.start(service)) {
            Cli.Result list = Cli.run("list", "--service", service, "--json");
            assertEquals(0, list.code(), list.err());
            JsonNode rows = new ObjectMapper().readTree(list.out());
            assertEquals(1, rows.size(), list.out());
            assertEquals(jvm.pid(), rows.get(0).get("pid").asLong());

            Path out = dir.resolve("local.collapsed");
            Cli.Result r = Cli.run("attach", "--service", service, "-d", "3s", "--per-instance", "-o", out.toString());
            assertEquals(0, r.code(), r.err());
            String text = Files.readString(out);
            assertTrue(text.contains(":" + jvm.pid() + " " + service + ";"), text);
            assertTrue(text.contains("CheckoutService.handleRequest"), text);
        }
    }

    @Test
    void noJvmOfTheServiceIsExit4() {
        Cli.Result r = Cli.run("attach", "--service", "no-such-service", "-d", "1s", "-o", dir.resolve("x.html").toString());
        assertEquals(ExitCodes.NOTHING_FOUND, r.code(), r.err());
        assertTrue(r.err().startsWith("cprof: no JVM of service 'no-such-service' on this host (looked at -Dcprof.service and CPROF_SERVICE of "), r.err());
        Cli.Result list = Cli.run("list", "--service", "no-such-service");
        assertEquals(ExitCodes.NOTHING_FOUND, list.code(), list.err());
    }
}

package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cprof demo end to end, short: embedded ZooKeeper, peer, four real JVMs, one HTML file, nothing left running. */
class DemoCommandTest {
    @TempDir
    Path dir;

    @Test
    void profilesFourInstancesIntoOneHtmlFile() throws Exception {
        assumeTrue(DemoCommandTest.class.getResource(dev.cprof.agent.AgentLibrary.RESOURCE) != null,
                "ASSUMPTION: libcprof.so is not in the native-agent jar; skipped");
        Path out = dir.resolve("demo.html");
        Set<Long> before = checkoutChildren();
        Cli.Result r = Cli.run("demo", "-d", "6s", "-o", out.toString(), "-q");
        assertEquals(0, r.code(), r.err() + r.out());
        Matcher m = Pattern.compile("^  (\\S+:\\d+ checkout) ", Pattern.MULTILINE).matcher(r.out());
        Set<String> labels = new LinkedHashSet<>();
        while (m.find()) {
            labels.add(m.group(1));
        }
        assertTrue(labels.size() >= 4, r.out());
        String html = Files.readString(out);
        for (String label : labels) {
            assertTrue(html.contains(label), label + " not in the HTML");
        }
        assertTrue(r.out().contains("does twice the work per request"), r.out());
        assertTrue(r.out().contains("joined midway"), r.out());
        assertTrue(r.out().contains("hottest methods"), r.out());
        assertTrue(r.out().contains("wrote " + out), r.out());
        assertEquals(before, checkoutChildren(), "demo JVMs left running");
    }

    /** Our own child processes that run the demo service. */
    private static Set<Long> checkoutChildren() {
        Set<Long> pids = new LinkedHashSet<>();
        ProcessHandle.current().descendants()
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("CheckoutService")).orElse(false))
                .forEach(p -> pids.add(p.pid()));
        return pids;
    }
}

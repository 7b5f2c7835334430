package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.cli.workload.Checkout;
import dev.cprof.session.ExitCodes;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code cprof diff --fail-on} as a regression gate on real profiles: a checkout workload profiled
 * before and after an injected slowdown ({@code -Dslow=true} adds {@code validateSlowly}, ~30 % of
 * each request), and twice without it.
 */
class DiffGateTest {
    private static final String WORKLOAD = Checkout.class.getName();

    @TempDir
    Path dir;

    private Path profile(String name, String... jvmArgs) throws Exception {
        Path out = dir.resolve(name + ".cprof");
        try (TargetProcess jvm = TargetProcess.jvm(Checkout.class, jvmArgs)) {
            Cli.Result r = Cli.run("attach", "--pid", Long.toString(jvm.pid()), "-d", "5s", "-o", out.toString());
            assertEquals(0, r.code(), name + ": " + r.err());
        }
        return out;
    }

    @Test
    void failsOnTheInjectedSlowdownByTheRightRuleAndPassesWithoutIt() throws Exception {
        Path base = profile("base");
        Path slow = profile("slow", "-Dslow=true");
        Path again = profile("base-again");

        // the slowdown: a new method at ~30 %, caught by new:5%
        Cli.Result r = Cli.run("diff", base.toString(), slow.toString(), "--fail-on", "new:5%",
                "-o", dir.resolve("diff.html").toString());
        assertEquals(ExitCodes.REGRESSION, r.code(), r.out() + r.err());
        assertTrue(Arrays.stream(r.errLines()).anyMatch(l -> l.startsWith("cprof: regression: new method "
                + WORKLOAD + ".validateSlowly takes ") && l.contains("(rule 'new:5%')")), r.err());

        // a rule the slowdown does not trigger: price's share shrinks (a third -> under a quarter)
        r = Cli.run("diff", base.toString(), slow.toString(), "--fail-on", WORKLOAD + ".price:+20pp",
                "-o", dir.resolve("diff-price.html").toString());
        assertEquals(0, r.code(), r.out() + r.err());

        // the same workload twice, no slowdown: nothing new reaches 5 %
        r = Cli.run("diff", base.toString(), again.toString(), "--fail-on", "new:5%",
                "-o", dir.resolve("diff-same.html").toString());
        assertEquals(0, r.code(), r.out() + r.err());
    }
}

package dev.cprof.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code cprof demo}: embedded ZooKeeper, a peer and demo JVMs profiled into demo.html. That
 * needs the fleet (discovery, peer, agent), which is not built yet; until then it says so.
 */
@Command(
        name = "demo",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Runs the fleet demo: an embedded ZooKeeper, a peer and three demo 'checkout' JVMs"
                    + " (one more joins midway), profiled into demo.html.",
            "",
            "Not available yet: it needs the fleet module (issue #5). Until then it exits with 1.",
        })
final class DemoCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        throw new CliException(ExitCodes.FAILED, "demo needs the fleet module (issue #5): not built yet");
    }
}

package dev.cprof.cli;

import dev.cprof.session.ExitCodes;
import dev.cprof.session.InstanceShare;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine.Option;

/** {@code --instances N|P%} and {@code --spread-by LABEL}: profile part of a big service (attach, top). */
final class SubsetOptions {
    @Option(names = "--instances", paramLabel = "N|P%",
            description = "With --service: profile a random subset of its instances, N of them or P percent (e.g. 50, 5%%),"
                    + " spread evenly over hosts; instances that join during the session are admitted at the same rate."
                    + " The summary and the HTML title say how many of how many were profiled.")
    String instances;

    @Option(names = "--spread-by", paramLabel = "LABEL",
            description = "With --instances: spread the subset evenly over the values of this instance label too"
                    + " (e.g. zone, from -Dcprof.label.zone=eu1), and over hosts within each.")
    String spreadBy;

    /** The seed of the random choice; hidden: tests fix it to reproduce a choice. Printed in the profile's metadata. */
    @Option(names = "--instances-seed", hidden = true, paramLabel = "SEED")
    Long seed;

    /** The parsed share, or null without --instances; a bad value is a usage error. */
    InstanceShare share() {
        if (instances == null) {
            if (spreadBy != null) {
                throw new CliException(ExitCodes.USAGE, "--spread-by needs --instances (e.g. --instances 5% --spread-by zone)");
            }
            return null;
        }
        return InstanceShare.parse(instances, spreadBy, seed != null ? seed : ThreadLocalRandom.current().nextLong());
    }
}

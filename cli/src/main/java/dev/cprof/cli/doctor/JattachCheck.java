package dev.cprof.cli.doctor;

import dev.cprof.agent.Attacher;
import java.util.List;
import java.util.Optional;

/** jattach on PATH, and its version: without it attach falls back to the JDK's Attach API. */
public final class JattachCheck implements Check.Single {
    static final String NAME = "jattach";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() {
        String path = Attacher.findJattach();
        if (path == null) {
            return new Result(NAME, Status.WARN, "not on PATH: attach falls back to the JDK's Attach API"
                    + " (JVMs of this user in this mount namespace only)",
                    "install jattach (Debian/Ubuntu: apt-get install jattach; or https://github.com/jattach/jattach/releases)"
                            + " to reach JVMs of other users and in containers");
        }
        // jattach without arguments prints "jattach 2.1 built on …" and its usage
        Optional<String> first = Probes.run(List.of(path)).flatMap(Probes::firstLine);
        return Result.ok(NAME, first.orElse("version unknown") + " (" + path + ")");
    }
}

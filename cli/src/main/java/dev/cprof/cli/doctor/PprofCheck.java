package dev.cprof.cli.doctor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** go tool pprof or a standalone pprof, to read {@code -o profile.pb.gz}; optional, so never a warn. */
public final class PprofCheck implements Check.Single {
    static final String NAME = "pprof";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() {
        Optional<String> go = Probes.which("go").or(() -> Files.isExecutable(Path.of("/usr/local/go/bin/go"))
                ? Optional.of("/usr/local/go/bin/go") : Optional.empty());
        if (go.isPresent()) {
            String version = Probes.run(List.of(go.get(), "version")).flatMap(Probes::firstLine).orElse("go (version unknown)");
            Optional<String> tool = Probes.run(List.of(go.get(), "tool", "-n", "pprof")).flatMap(Probes::firstLine);
            if (tool.isPresent()) {
                return Result.ok(NAME, "go tool pprof: " + version + " (" + go.get() + ")");
            }
        }
        Optional<String> standalone = Probes.which("pprof");
        if (standalone.isPresent()) {
            return Result.ok(NAME, "pprof (" + standalone.get() + ")");
        }
        return Result.ok(NAME, "go tool pprof not found (optional: to read -o profile.pb.gz; install Go from https://go.dev/dl)");
    }
}

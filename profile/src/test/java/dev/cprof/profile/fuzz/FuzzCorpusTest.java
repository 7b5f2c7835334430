package dev.cprof.profile.fuzz;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.profile.fuzz.DecoderFuzzer.Target;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Replays the committed fuzz corpus (src/test/fuzz/&lt;target&gt;: seeds, inputs the fuzzer found
 * interesting, and any past finding) through the targets, without the fuzzer: a regression test
 * that every input still ends in a result or a typed error.
 */
class FuzzCorpusTest {
    static Path corpus(Target target) {
        return Path.of("src/test/fuzz", target.name().toLowerCase(Locale.ROOT));
    }

    static List<Path> inputs(Target target) throws IOException {
        try (Stream<Path> files = Files.list(corpus(target))) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @ParameterizedTest
    @EnumSource(Target.class)
    void everyCorpusInputEndsInAResultOrATypedError(Target target) throws IOException {
        List<Path> inputs = inputs(target);
        assertTrue(inputs.stream().anyMatch(p -> p.getFileName().toString().startsWith("seed-")),
                "the corpus of " + target + " has its seeds (FuzzSeeds writes them)");
        for (Path input : inputs) {
            try {
                DecoderFuzzer.run(target, Files.readAllBytes(input));
            } catch (RuntimeException | Error e) {
                throw new AssertionError(target + " corpus input " + input.getFileName() + " failed with " + e, e);
            }
        }
        System.out.println("RELIABILITY: fuzz-corpus target=" + target.name().toLowerCase(Locale.ROOT)
                + " inputs=" + inputs.size() + " failures=0");
    }
}

package dev.cprof.cli.workload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * A workload that changes phase: it burns CPU in {@code phaseA} only until the file {@code args[0]}
 * appears, then writes the instant of the switch to {@code args[1]} and burns in {@code phaseB}
 * only. Time ranges of one session before and after the switch must each show one method.
 */
public final class PhaseSwitch {
    private static volatile long sink;

    public static void main(String[] args) throws Exception {
        Path trigger = Path.of(args[0]);
        for (int i = 0; i < 300; i++) { // warm up both, so neither phase starts with compilation
            phaseA();
            phaseB();
        }
        System.out.println("ready");
        System.out.flush();
        while (!Files.exists(trigger)) {
            for (int i = 0; i < 100; i++) {
                phaseA();
            }
        }
        Files.writeString(Path.of(args[1]), Instant.now().toString());
        while (true) {
            phaseB();
        }
    }

    static void phaseA() {
        for (int i = 0; i < 20_000; i++) {
            sink += i * 31L ^ (sink >>> 3);
        }
    }

    static void phaseB() {
        for (int i = 0; i < 20_000; i++) {
            sink += i * 17L ^ (sink >>> 5);
        }
    }
}

package dev.cprof.cli;

import dev.cprof.cli.demo.CheckoutService;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Real JVMs running the demo's checkout service at a low rate, named by -Dcprof.service. */
final class Checkouts {
    private Checkouts() {}

    static TargetProcess start(String service) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(TargetProcess.java(), "-Xmx64m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-Dcprof.service=" + service, "-cp", mainClasses(),
                CheckoutService.class.getName(), "--rate", "300", "--warmup-ms", "0"));
        return TargetProcess.start(cmd);
    }

    static String mainClasses() {
        try {
            return Path.of(CheckoutService.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A service name no other test (or engineer) on this host uses. */
    static String uniqueService(String prefix) {
        return prefix + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    }
}

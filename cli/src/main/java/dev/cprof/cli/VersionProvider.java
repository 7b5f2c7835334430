package dev.cprof.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code cprof --version}: the cprof version, then the JVM it runs on. */
public final class VersionProvider implements IVersionProvider {

    /** The cprof version, from the build ("unknown" when run from an unfiltered classpath). */
    public static String version() {
        try (InputStream in = VersionProvider.class.getResourceAsStream("version.properties")) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version", "");
                if (!v.isEmpty() && !v.startsWith("${")) {
                    return v;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return "unknown";
    }

    @Override
    public String[] getVersion() {
        return new String[] {
            "cprof " + version(),
            "JVM: " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.vendor") + " "
                    + System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version") + ")",
        };
    }
}

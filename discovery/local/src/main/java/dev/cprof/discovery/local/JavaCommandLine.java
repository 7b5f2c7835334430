package dev.cprof.discovery.local;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** What the java launcher's arguments say: the main class or jar, and the -D system properties. */
final class JavaCommandLine {
    /** Launcher options whose value is the next argument (java -help, JDK 17..25). */
    private static final Set<String> TAKES_VALUE = Set.of(
            "-cp", "-classpath", "--class-path", "-p", "--module-path", "--upgrade-module-path",
            "--add-modules", "--limit-modules", "--add-reads", "--add-exports", "--add-opens",
            "--patch-module", "--enable-native-access", "--source", "-d", "--describe-module");

    private final String mainClass;
    private final Map<String, String> properties;

    private JavaCommandLine(String mainClass, Map<String, String> properties) {
        this.mainClass = mainClass;
        this.properties = properties;
    }

    /** Parses argv (argv[0] is the launcher). Options after the main class belong to the program and are ignored. */
    static JavaCommandLine parse(List<String> argv) {
        Map<String, String> props = new LinkedHashMap<>();
        String main = "";
        for (int i = 1; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.startsWith("-D")) {
                int eq = a.indexOf('=');
                if (eq < 0) {
                    props.put(a.substring(2), "");
                } else {
                    props.put(a.substring(2, eq), a.substring(eq + 1));
                }
            } else if (a.equals("-jar") || a.equals("-m") || a.equals("--module")) {
                main = i + 1 < argv.size() ? argv.get(i + 1) : "";
                break;
            } else if (a.startsWith("--module=")) {
                main = a.substring("--module=".length());
                break;
            } else if (TAKES_VALUE.contains(a)) {
                i++;
            } else if (!a.startsWith("-")) {
                main = a;
                break;
            }
        }
        return new JavaCommandLine(main, props);
    }

    String mainClass() {
        return mainClass;
    }

    Map<String, String> properties() {
        return properties;
    }
}

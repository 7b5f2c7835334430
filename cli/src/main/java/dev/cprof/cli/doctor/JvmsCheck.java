package dev.cprof.cli.doctor;

import dev.cprof.agent.JvmProcess;
import dev.cprof.discovery.local.JvmInfo;
import dev.cprof.discovery.local.LocalJvms;
import dev.cprof.discovery.local.NamingRules;
import dev.cprof.discovery.local.ServiceNamer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The JVMs of this host: how many, their services, and which of them cprof cannot attach to, and why. */
public final class JvmsCheck implements Check.Single {
    static final String NAME = "jvms";
    private static final String DISABLE_ATTACH = "-XX:+DisableAttachMechanism";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() {
        List<JvmInfo> jvms;
        try (LocalJvms scan = new LocalJvms().start()) {
            jvms = scan.snapshot();
        }
        int selfUid = JvmProcess.selfUid();
        ServiceNamer namer = new ServiceNamer(NamingRules.none(), null);
        Map<String, Integer> services = new TreeMap<>();
        List<String> disabled = new ArrayList<>();
        List<String> otherUid = new ArrayList<>();
        List<String> badTmp = new ArrayList<>();
        int containers = 0;
        int oldJdk = 0;
        for (JvmInfo j : jvms.stream().sorted((a, b) -> Long.compare(a.pid(), b.pid())).toList()) {
            namer.name(j).ifPresent(s -> services.merge(s, 1, Integer::sum));
            JvmProcess p = new JvmProcess(j.pid());
            boolean container = p.otherMountNamespace();
            if (container) {
                containers++;
            }
            if (lastFlag(j.args(), "DisableAttachMechanism")) {
                disabled.add(Long.toString(j.pid()));
            }
            if (selfUid != 0 && j.uid() != selfUid) {
                otherUid.add(j.pid() + " (uid " + j.uid() + ")");
            }
            int f = JdkRelease.feature(j.jdkVersion());
            if (f > 0 && f < 17) {
                oldJdk++;
            }
            String tmp = lastProperty(j.args(), "java.io.tmpdir");
            if (tmp != null) {
                Path inJvm = container ? p.root().resolve(tmp.startsWith("/") ? tmp.substring(1) : tmp) : Path.of(tmp);
                if (!Files.isDirectory(inJvm)) {
                    badTmp.add(j.pid() + " (" + tmp + ")");
                }
            }
        }
        int named = services.values().stream().mapToInt(Integer::intValue).sum();
        StringBuilder detail = new StringBuilder();
        detail.append(jvms.size()).append(jvms.size() == 1 ? " JVM" : " JVMs").append(" running, ").append(named).append(" named");
        if (!services.isEmpty()) {
            List<String> parts = new ArrayList<>();
            services.forEach((s, n) -> parts.add(n == 1 ? s : s + " ×" + n));
            detail.append(" (").append(String.join(", ", parts)).append(')');
        }
        if (containers > 0) {
            detail.append(", ").append(containers).append(" in containers");
        }
        List<String> hints = new ArrayList<>();
        if (!disabled.isEmpty()) {
            detail.append("; attach disabled in ").append(String.join(", ", disabled));
            hints.add("restart those without " + DISABLE_ATTACH + ", or load the agent at start with -agentpath:libcprof.so");
        }
        if (!otherUid.isEmpty()) {
            detail.append("; other users' JVMs: ").append(String.join(", ", otherUid));
            hints.add("run cprof as root (with jattach) or as the JVM's user to profile those");
        }
        if (oldJdk > 0) {
            detail.append("; ").append(oldJdk).append(" on a JDK older than 17 (not supported)");
        }
        if (!badTmp.isEmpty()) {
            detail.append("; java.io.tmpdir missing for ").append(String.join(", ", badTmp));
            hints.add("the agent's control socket lives in the JVM's java.io.tmpdir: create that directory");
        }
        if (named == 0 && !jvms.isEmpty()) {
            hints.add("name a service with -Dcprof.service=NAME or CPROF_SERVICE=NAME (or a peer --rules file)"
                    + " so 'cprof attach --service' and the peer find it");
        }
        boolean warn = !disabled.isEmpty() || !otherUid.isEmpty() || oldJdk > 0 || !badTmp.isEmpty();
        return new Result(NAME, warn ? Status.WARN : Status.OK, detail.toString(), hints.isEmpty() ? null : String.join("; ", hints));
    }

    /** Whether the last {@code -XX:±flag} on the command line turns the flag on. */
    public static boolean lastFlag(List<String> args, String flag) {
        boolean on = false;
        for (String a : args) {
            if (a.equals("-XX:+" + flag)) {
                on = true;
            } else if (a.equals("-XX:-" + flag)) {
                on = false;
            }
        }
        return on;
    }

    private static String lastProperty(List<String> args, String key) {
        String v = null;
        for (String a : args) {
            if (a.startsWith("-D" + key + "=")) {
                v = a.substring(key.length() + 3);
            }
        }
        return v;
    }
}

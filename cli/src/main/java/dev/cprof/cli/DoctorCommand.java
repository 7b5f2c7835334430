package dev.cprof.cli;

import dev.cprof.agent.AgentLibrary;
import dev.cprof.agent.Attacher;
import dev.cprof.agent.JvmProcess;
import dev.cprof.discovery.FleetView;
import dev.cprof.discovery.JvmInfo;
import dev.cprof.discovery.LocalJvms;
import dev.cprof.discovery.NamingRules;
import dev.cprof.discovery.PeerRecord;
import dev.cprof.discovery.ServiceNamer;
import dev.cprof.discovery.ZkClients;
import dev.cprof.discovery.ZkPaths;
import dev.cprof.profile.Json;
import dev.cprof.profile.SafeText;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cprof doctor}: what works on this machine, one line per check (ok, warn or fail) with a
 * hint how to fix what does not. Reads files and runs small tools only; never attaches to a JVM and
 * never loads the agent into its own JVM.
 */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Checks what works here: jattach, the agent library and where other users' JVMs load their copy"
                    + " of it (/tmp), the kernel's perf and ptrace settings,"
                    + " the JDKs installed, the JVMs running and whether they can be attached, the tmp dir"
                    + " (the agent's control socket lives there), Python for --python, go tool pprof and,"
                    + " with --zk, ZooKeeper and the peers registered there.",
            "",
            "One line per check: ok, warn (works, with a limit) or fail (cprof cannot work), each warn"
                    + " and fail with a hint. Exit code 1 when a check fails, else 0.",
        })
final class DoctorCommand implements Callable<Integer> {
    static final long ZK_TIMEOUT_MS = 5_000;
    private static final long TOOL_TIMEOUT_MS = 5_000;
    /** sun_path of a Unix socket holds 108 bytes, the terminating NUL included. */
    private static final int SUN_PATH_MAX = 107;
    private static final String DISABLE_ATTACH = "-XX:+DisableAttachMechanism";

    @Option(names = "--zk", paramLabel = "CONNECT",
            description = "Also check this ZooKeeper (host:port[,host:port…][/chroot]): connect time, /cprof/v1 and the peers.")
    String zk;

    @Option(names = "--json", description = "Print one JSON object ({\"checks\": [{name, status, detail, hint}…], …}) instead of the lines.")
    boolean json;

    @Spec
    CommandSpec spec;

    enum Status {
        OK, WARN, FAIL;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** One line of the report; {@code hint} is null when there is nothing to do. */
    record Check(String name, Status status, String detail, String hint) {
        static Check ok(String name, String detail) {
            return new Check(name, Status.OK, detail, null);
        }

        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", name);
            m.put("status", status.label());
            m.put("detail", detail);
            m.put("hint", hint);
            return m;
        }
    }

    @Override
    public Integer call() {
        List<Check> checks = new ArrayList<>();
        checks.add(guard("jattach", DoctorCommand::jattach));
        checks.add(guard("agent-library", DoctorCommand::agentLibrary));
        checks.add(guard("user", DoctorCommand::user));
        checks.add(guard("agent-copy", DoctorCommand::agentCopy));
        checks.add(guard("perf_event_paranoid", DoctorCommand::perfEventParanoid));
        checks.add(guard("kptr_restrict", DoctorCommand::kptrRestrict));
        checks.add(guard("ptrace_scope", DoctorCommand::ptraceScope));
        checks.addAll(guardAll("jdk", DoctorCommand::jdks));
        checks.add(guard("jvms", DoctorCommand::localJvms));
        checks.add(guard("tmpdir", DoctorCommand::tmpDir));
        if (zk != null) {
            checks.addAll(guardAll("zookeeper", () -> zookeeper(zk)));
        }
        checks.add(guard("python", DoctorCommand::python));
        checks.add(guard("pprof", DoctorCommand::pprof));

        int[] counts = new int[Status.values().length];
        for (Check c : checks) {
            counts[c.status().ordinal()]++;
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            List<Object> list = new ArrayList<>();
            checks.forEach(c -> list.add(c.toMap()));
            doc.put("checks", list);
            doc.put("ok", counts[Status.OK.ordinal()]);
            doc.put("warn", counts[Status.WARN.ordinal()]);
            doc.put("fail", counts[Status.FAIL.ordinal()]);
            out.println(Json.write(doc));
        } else {
            int width = checks.stream().mapToInt(c -> c.name().length()).max().orElse(8);
            for (Check c : checks) {
                out.printf(Locale.ROOT, "%-4s  %-" + width + "s  %s%n", c.status().label(), c.name(), SafeText.escape(c.detail())); // JVMs' main classes: other users' data
                if (c.hint() != null && c.status() != Status.OK) {
                    out.printf(Locale.ROOT, "%-4s  %-" + width + "s  hint: %s%n", "", "", SafeText.escape(c.hint()));
                }
            }
            out.printf(Locale.ROOT, "%d ok, %d warn, %d fail%n", counts[Status.OK.ordinal()],
                    counts[Status.WARN.ordinal()], counts[Status.FAIL.ordinal()]);
        }
        out.flush();
        return counts[Status.FAIL.ordinal()] > 0 ? ExitCodes.FAILED : ExitCodes.OK;
    }

    interface CheckBody {
        Check run() throws Exception;
    }

    interface ChecksBody {
        List<Check> run() throws Exception;
    }

    /** A check that throws becomes a warn line naming the error: the doctor itself never crashes. */
    private static Check guard(String name, CheckBody body) {
        try {
            return body.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Check(name, Status.WARN, "interrupted", null);
        } catch (Exception | LinkageError e) {
            return new Check(name, Status.WARN, "could not check: " + ErrorHandler.describe(e), null);
        }
    }

    private static List<Check> guardAll(String name, ChecksBody body) {
        try {
            return body.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of(new Check(name, Status.WARN, "interrupted", null));
        } catch (Exception | LinkageError e) {
            return List.of(new Check(name, Status.WARN, "could not check: " + ErrorHandler.describe(e), null));
        }
    }

    // ---- jattach and the agent library

    static Check jattach() {
        String path = Attacher.findJattach();
        if (path == null) {
            return new Check("jattach", Status.WARN, "not on PATH: attach falls back to the JDK's Attach API"
                    + " (JVMs of this user in this mount namespace only)",
                    "install jattach (Debian/Ubuntu: apt-get install jattach; or https://github.com/jattach/jattach/releases)"
                            + " to reach JVMs of other users and in containers");
        }
        // jattach without arguments prints "jattach 2.1 built on …" and its usage
        Optional<String> first = run(List.of(path)).flatMap(DoctorCommand::firstLine);
        return Check.ok("jattach", first.orElse("version unknown") + " (" + path + ")");
    }

    static Check agentLibrary() throws IOException {
        Path lib;
        try {
            lib = AgentLibrary.path();
        } catch (IOException e) {
            return new Check("agent-library", Status.FAIL, "cannot extract the agent: " + oneLine(e.getMessage()),
                    "build cprof with the native agent (mvn -B install needs gcc and make), and make "
                            + AgentLibrary.cacheDir() + " writable (or set XDG_CACHE_HOME)");
        }
        byte[] head = new byte[20];
        int n;
        try (InputStream in = Files.newInputStream(lib)) {
            n = in.readNBytes(head, 0, head.length);
        }
        String problem = elfProblem(head, n, System.getProperty("os.arch", ""));
        if (problem != null) {
            return new Check("agent-library", Status.FAIL, lib + ": " + problem,
                    "rebuild cprof on this platform (mvn -B install builds native-agent with gcc)");
        }
        // Other users' JVMs never read this file (root's home is 0700): they get a copy in their own /tmp, see agent-copy.
        return Check.ok("agent-library", lib + " (ELF " + archName(System.getProperty("os.arch", "")) + ", "
                + Files.size(lib) / 1024 + " KiB)");
    }

    /**
     * Where a JVM of another user (or in a container) loads the agent from: a root-owned, read-only
     * copy in its /tmp (Attacher, TargetCopy). That needs a /tmp nobody else can swap files in
     * (sticky, or writable by its owner only) and that allows mapping code (not mounted noexec).
     */
    static Check agentCopy() throws IOException {
        Path tmp = Path.of("/tmp");
        int mode = (Integer) Files.getAttribute(tmp, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
        String use = "JVMs of other users and in containers load the agent from a read-only copy in their own /tmp";
        if ((mode & 0022) != 0 && (mode & 01000) == 0) {
            return new Check("agent-copy", Status.WARN, "/tmp is writable by other users and not sticky (mode "
                    + Integer.toOctalString(mode & 07777) + "): cprof will not copy the agent there, so only JVMs of your own user can be attached",
                    "chmod 1777 /tmp");
        }
        Optional<String> options = mountOptions(tmp.toRealPath().toString());
        if (options.isPresent() && List.of(options.get().split(",")).contains("noexec")) {
            return new Check("agent-copy", Status.WARN, "/tmp is mounted noexec: " + use + ", and cannot map it from there,"
                    + " so only JVMs of your own user in this mount namespace can be attached",
                    "remount /tmp without noexec, or load the agent at start (-agentpath:libcprof.so) in the other users' JVMs");
        }
        return Check.ok("agent-copy", use + " (/tmp: mode " + Integer.toOctalString(mode & 07777) + ", not noexec)");
    }

    /** The mount options of the mount holding {@code path} (longest mount point that contains it), from /proc/self/mountinfo. */
    static Optional<String> mountOptions(String path) {
        try {
            return mountOptions(path, Files.readAllLines(Path.of("/proc/self/mountinfo")));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The same from the lines of a mountinfo file (proc(5)); a later mount over the same point wins. */
    static Optional<String> mountOptions(String path, List<String> mountinfo) {
        String best = null;
        String bestOptions = null;
        for (String line : mountinfo) {
            String[] f = line.split(" ");
            if (f.length < 6) {
                continue;
            }
            String mountPoint = f[4].replace("\\040", " ");
            boolean contains = path.equals(mountPoint) || mountPoint.equals("/") || path.startsWith(mountPoint + "/");
            if (contains && (best == null || mountPoint.length() >= best.length())) {
                best = mountPoint;
                bestOptions = f[5];
            }
        }
        return Optional.ofNullable(bestOptions);
    }

    /** Null when {@code head} starts a 64-bit little-endian ELF shared object for {@code osArch}, else why not. */
    static String elfProblem(byte[] head, int n, String osArch) {
        if (n < 20 || head[0] != 0x7f || head[1] != 'E' || head[2] != 'L' || head[3] != 'F') {
            return "not an ELF file";
        }
        if (head[4] != 2 || head[5] != 1) {
            return "not a 64-bit little-endian ELF file";
        }
        int type = (head[16] & 0xff) | (head[17] & 0xff) << 8;
        if (type != 3) {
            return "not a shared library (ELF type " + type + ")";
        }
        int machine = (head[18] & 0xff) | (head[19] & 0xff) << 8;
        int want = elfMachine(osArch);
        if (machine != want) {
            return "built for ELF machine " + machine + ", this machine (" + osArch + ") needs " + want;
        }
        return null;
    }

    private static int elfMachine(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> 62;
            case "aarch64", "arm64" -> 183;
            default -> -1;
        };
    }

    private static String archName(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> "x86-64";
            default -> osArch;
        };
    }

    // ---- who we are and the kernel's settings

    static Check user() {
        int uid = JvmProcess.selfUid();
        String name = System.getProperty("user.name", "?");
        if (uid == 0) {
            return Check.ok("user", "root: can attach to the JVMs of every user (through jattach; each loads a copy of the agent"
                    + " in its own /tmp, see agent-copy)");
        }
        return Check.ok("user", name + " (uid " + uid + "): can attach to JVMs of uid " + uid + " only;"
                + " run as root (with jattach) to reach every JVM");
    }

    static Check perfEventParanoid() {
        Optional<Integer> v = readInt(Path.of("/proc/sys/kernel/perf_event_paranoid"));
        if (v.isEmpty()) {
            return Check.ok("perf_event_paranoid", "not present (no perf events in this kernel or container);"
                    + " cprof samples with CPU timers and does not need them");
        }
        int p = v.get();
        String meaning = p <= -1 ? "no restrictions"
                : p == 0 ? "perf events for users, no raw tracepoints"
                : p == 1 ? "user and kernel profiling for users"
                : p == 2 ? "user-space profiling only for users"
                : "perf events for root only";
        return Check.ok("perf_event_paranoid", p + " (" + meaning + "); cprof samples with CPU timers and does not"
                + " need perf events (async-profiler and perf do)");
    }

    static Check kptrRestrict() {
        Optional<Integer> v = readInt(Path.of("/proc/sys/kernel/kptr_restrict"));
        if (v.isEmpty()) {
            return Check.ok("kptr_restrict", "not present");
        }
        int k = v.get();
        String meaning = k == 0 ? "kernel symbol addresses visible" : k == 1 ? "kernel symbol addresses for root (CAP_SYSLOG) only"
                : "kernel symbol addresses hidden from everyone";
        return Check.ok("kptr_restrict", k + " (" + meaning + "); matters only for kernel frames, which cprof does not sample");
    }

    static Check ptraceScope() {
        Optional<Integer> v = readInt(Path.of("/proc/sys/kernel/yama/ptrace_scope"));
        boolean root = JvmProcess.selfUid() == 0;
        if (v.isEmpty()) {
            return Check.ok("ptrace_scope", "no Yama LSM: process_vm_readv (Python sampling) works for processes of the same"
                    + " user" + (root ? ", and as root for all" : ""));
        }
        int s = v.get();
        if (s >= 3) {
            return new Check("ptrace_scope", Status.WARN, s + ": ptrace is disabled for everyone, root included;"
                    + " --python cannot read Python processes", "the setting cannot be lowered without a reboot;"
                    + " boot with kernel.yama.ptrace_scope=1 where --python is needed");
        }
        if (s == 2 && !root) {
            return new Check("ptrace_scope", Status.WARN, s + ": only CAP_SYS_PTRACE may read other processes;"
                    + " --python cannot sample Python workers as this user",
                    "run cprof (or the peer) as root, or: sysctl kernel.yama.ptrace_scope=1");
        }
        String meaning = s == 0 ? "classic ptrace permissions" : s == 1 ? "descendants only, unless CAP_SYS_PTRACE"
                : "CAP_SYS_PTRACE only";
        return Check.ok("ptrace_scope", s + " (" + meaning + ")" + (root ? "; root may read every process" : "")
                + (s == 1 && !root ? "; the peer samples Python children of JVMs it did not start only as root" : ""));
    }

    // ---- JDKs

    static List<Check> jdks() throws IOException {
        Map<Path, List<String>> homes = new LinkedHashMap<>();
        Path running = Path.of(System.getProperty("java.home"));
        addJdk(homes, running, "running");
        String javaHome = System.getenv("JAVA_HOME");
        if (javaHome != null && !javaHome.isBlank()) {
            addJdk(homes, Path.of(javaHome), "JAVA_HOME");
        }
        Path jvmDir = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvmDir)) {
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(jvmDir)) {
                List<Path> sorted = new ArrayList<>();
                dir.forEach(sorted::add);
                sorted.sort(null);
                for (Path p : sorted) {
                    if (Files.isDirectory(p) && Files.isRegularFile(p.resolve("release"))) {
                        addJdk(homes, p, null);
                    }
                }
            }
        }
        List<Check> out = new ArrayList<>();
        for (Map.Entry<Path, List<String>> e : homes.entrySet()) {
            Path home = e.getKey();
            Map<String, String> release = release(home);
            String version = release.getOrDefault("JAVA_VERSION", "");
            String vendor = release.getOrDefault("IMPLEMENTOR", "");
            String tags = e.getValue().isEmpty() ? "" : " (" + String.join(", ", e.getValue()) + ")";
            String detail = (version.isEmpty() ? "version unknown" : version) + (vendor.isEmpty() ? "" : " " + vendor)
                    + " at " + home + tags + (Files.isExecutable(home.resolve("bin/jcmd")) ? "" : "; no jcmd (a JRE)");
            int feature = feature(version);
            if (version.isEmpty()) {
                out.add(new Check("jdk", Status.WARN, detail, "no readable 'release' file in " + home));
            } else if (feature < 17) {
                out.add(new Check("jdk", Status.WARN, detail, "cprof runs on and profiles JDK 17 and newer;"
                        + " JVMs of this JDK cannot be profiled"));
            } else {
                out.add(Check.ok("jdk", detail));
            }
        }
        return out;
    }

    private static void addJdk(Map<Path, List<String>> homes, Path home, String tag) {
        Path real;
        try {
            real = home.toRealPath();
        } catch (IOException e) {
            real = home.toAbsolutePath().normalize();
        }
        List<String> tags = homes.computeIfAbsent(real, k -> new ArrayList<>());
        if (tag != null) {
            tags.add(tag);
        }
    }

    /** The KEY="value" lines of a JDK's {@code release} file; empty when it has none. */
    static Map<String, String> release(Path home) {
        Map<String, String> m = new TreeMap<>();
        Path f = home.resolve("release");
        if (!Files.isRegularFile(f)) {
            return m;
        }
        Properties p = new Properties();
        try (var r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            return m;
        }
        for (String k : p.stringPropertyNames()) {
            String v = p.getProperty(k).strip();
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                v = v.substring(1, v.length() - 1);
            }
            m.put(k, v);
        }
        return m;
    }

    /** 17 for "17.0.15", 8 for "1.8.0_392", -1 when not a version. */
    static int feature(String version) {
        String[] parts = version.split("[._+-]");
        try {
            int first = Integer.parseInt(parts[0]);
            return first == 1 && parts.length > 1 ? Integer.parseInt(parts[1]) : first;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    // ---- the JVMs of this host

    static Check localJvms() {
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
            int f = feature(j.jdkVersion());
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
        return new Check("jvms", warn ? Status.WARN : Status.OK, detail.toString(), hints.isEmpty() ? null : String.join("; ", hints));
    }

    /** Whether the last {@code -XX:±flag} on the command line turns the flag on. */
    static boolean lastFlag(List<String> args, String flag) {
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

    // ---- tmp dir and its Unix sockets

    static Check tmpDir() throws IOException {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        if (!Files.isDirectory(tmp)) {
            return new Check("tmpdir", Status.FAIL, tmp + " does not exist",
                    "create it, or point java.io.tmpdir elsewhere (CPROF_JAVA_OPTS=-Djava.io.tmpdir=DIR)");
        }
        Path file;
        try {
            file = Files.createTempFile(tmp, "cprof-doctor-", ".tmp");
            Files.delete(file);
        } catch (IOException e) {
            return new Check("tmpdir", Status.FAIL, tmp + " is not writable: " + ErrorHandler.describe(e),
                    "fix its permissions (chmod 1777 " + tmp + " for a shared /tmp)");
        }
        Path sock = tmp.resolve("cprof-doctor-" + ProcessHandle.current().pid() + ".sock");
        int len = sock.toString().getBytes(StandardCharsets.UTF_8).length;
        if (len > SUN_PATH_MAX) {
            return new Check("tmpdir", Status.FAIL, "socket paths in " + tmp + " are too long (" + len + " > "
                    + SUN_PATH_MAX + " bytes)", "use a shorter java.io.tmpdir");
        }
        try (ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.bind(UnixDomainSocketAddress.of(sock));
        } catch (IOException | UnsupportedOperationException e) {
            return new Check("tmpdir", Status.FAIL, "cannot create a Unix socket in " + tmp + ": " + oneLine(String.valueOf(e.getMessage())),
                    "the agent's control socket lives in the JVM's java.io.tmpdir: it must be a local file system"
                            + " that allows sockets");
        } finally {
            Files.deleteIfExists(sock);
        }
        return Check.ok("tmpdir", tmp + " is writable and takes Unix sockets (the agent's control socket lives in"
                + " each JVM's java.io.tmpdir)");
    }

    // ---- ZooKeeper

    static List<Check> zookeeper(String connect) throws InterruptedException {
        CuratorFramework client;
        try {
            client = ZkClients.start(connect, null);
        } catch (RuntimeException e) {
            return List.of(new Check("zookeeper", Status.FAIL, "bad connect string '" + connect + "': " + oneLine(e.getMessage()),
                    "give --zk host:port[,host:port…][/chroot]"));
        }
        try {
            long t0 = System.nanoTime();
            try {
                ZkClients.awaitConnected(client, ZK_TIMEOUT_MS);
            } catch (IllegalStateException e) {
                return List.of(new Check("zookeeper", Status.FAIL, "cannot reach ZooKeeper at " + connect + " within "
                        + ZK_TIMEOUT_MS / 1000 + " s",
                        "check the address and that ZooKeeper runs there (echo srvr | nc HOST PORT), and firewalls on the way"));
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            List<Check> out = new ArrayList<>();
            String latency = String.format(Locale.ROOT, "connected to %s in %.0f ms", connect, ms);
            boolean root;
            List<PeerRecord> peers;
            try {
                root = client.checkExists().forPath(ZkPaths.ROOT) != null;
                peers = root ? new FleetView(client).peers() : List.of();
            } catch (Exception e) {
                out.add(new Check("zookeeper", Status.FAIL, latency + ", but reading " + ZkPaths.ROOT + " failed: "
                        + oneLine(String.valueOf(e.getMessage())), "check the ACLs of " + ZkPaths.ROOT));
                return out;
            }
            if (!root) {
                out.add(new Check("zookeeper", Status.WARN, latency + "; " + ZkPaths.ROOT + " does not exist: no peer or"
                        + " session has used this ZooKeeper yet", "start 'cprof peer --zk " + connect + "' on each host"));
                return out;
            }
            out.add(Check.ok("zookeeper", latency + "; " + ZkPaths.ROOT + " exists"));
            if (peers.isEmpty()) {
                out.add(new Check("peers", Status.WARN, "no peer registered under " + ZkPaths.PEERS,
                        "start 'cprof peer --zk " + connect + "' on each host whose JVMs should be profiled"));
            } else {
                List<String> parts = new ArrayList<>();
                for (PeerRecord p : peers) {
                    parts.add(p.host() + " (" + p.address() + ":" + p.port() + ", " + p.version() + ", auth "
                            + p.auth().name().toLowerCase(Locale.ROOT) + ")");
                }
                out.add(Check.ok("peers", peers.size() + (peers.size() == 1 ? " peer: " : " peers: ") + String.join(", ", parts)));
                Map<String, Long> mtimes = new LinkedHashMap<>();
                for (PeerRecord p : peers) {
                    try {
                        org.apache.zookeeper.data.Stat stat = client.checkExists().forPath(ZkPaths.peer(p.host()));
                        if (stat != null) {
                            mtimes.put(p.host(), stat.getMtime());
                        }
                    } catch (Exception e) {
                        // gone or unreadable since the listing: its skew shows as unknown
                    }
                }
                out.add(peerClocks(peers, mtimes));
            }
            return out;
        } finally {
            client.close();
        }
    }

    /** Beyond this a peer's clock counts as skewed. */
    static final long CLOCK_SKEW_WARN_MS = 1_000;

    /**
     * Each peer's clock against ZooKeeper's: the {@code clock_ms} the peer wrote into its record
     * minus the record's znode mtime (stamped by the ZooKeeper server), as of the peer's last
     * (re)registration; the write's latency (milliseconds) counts as skew.
     */
    static Check peerClocks(List<PeerRecord> peers, Map<String, Long> mtimes) {
        List<String> parts = new ArrayList<>();
        List<String> skewed = new ArrayList<>();
        List<String> unknown = new ArrayList<>();
        long min = Long.MAX_VALUE;
        long max = Long.MIN_VALUE;
        for (PeerRecord p : peers) {
            Long mtime = mtimes.get(p.host());
            if (p.clockMs() <= 0 || mtime == null || mtime <= 0) {
                unknown.add(p.host());
                continue;
            }
            long skew = p.clockMs() - mtime;
            min = Math.min(min, skew);
            max = Math.max(max, skew);
            parts.add(p.host() + " " + String.format(Locale.ROOT, "%+.1f s", skew / 1000.0));
            if (Math.abs(skew) > CLOCK_SKEW_WARN_MS) {
                skewed.add(p.host() + String.format(Locale.ROOT, " is %.1f s %s", Math.abs(skew) / 1000.0,
                        skew > 0 ? "ahead" : "behind"));
            }
        }
        String unknownText = unknown.isEmpty() ? "" : "; unknown for " + String.join(", ", unknown)
                + " (a cprof peer older than clock_ms in its record)";
        if (parts.isEmpty()) {
            return Check.ok("peer-clocks", "clock skew unknown: no peer reports its clock" + unknownText);
        }
        String against = "clock skew against ZooKeeper's clock at registration: " + String.join(", ", parts);
        String spread = parts.size() > 1
                ? String.format(Locale.ROOT, "; spread between peers %.1f s", (max - min) / 1000.0) : "";
        if (!skewed.isEmpty() || max - min > CLOCK_SKEW_WARN_MS) {
            String what = skewed.isEmpty() ? "peers disagree by more than 1 s" : String.join(", ", skewed);
            return new Check("peer-clocks", Status.WARN, what + " (" + against + spread + ")" + unknownText,
                    "synchronise the hosts' clocks with NTP (chronyc tracking or timedatectl show the state);"
                            + " timestamps from different hosts only line up when clocks agree");
        }
        return Check.ok("peer-clocks", against + spread + unknownText);
    }

    // ---- Python and pprof

    static Check python() {
        List<String> found = new ArrayList<>();
        boolean supported = false;
        boolean unsupported = false;
        Optional<String> onPath = which("python3");
        if (onPath.isPresent()) {
            Optional<String> v = run(List.of(onPath.get(), "--version")).flatMap(DoctorCommand::firstLine)
                    .map(s -> s.replaceFirst("^Python\\s+", ""));
            String version = v.orElse("?");
            boolean ok = pythonSupported(version);
            supported |= ok;
            unsupported |= !ok;
            found.add("python3 " + version + " (" + onPath.get() + ")" + (ok ? "" : " unsupported"));
        }
        String pyenvRoot = System.getenv("PYENV_ROOT");
        Path versions = (pyenvRoot != null && !pyenvRoot.isBlank() ? Path.of(pyenvRoot)
                : Path.of(System.getProperty("user.home"), ".pyenv")).resolve("versions");
        if (Files.isDirectory(versions)) {
            List<String> names = new ArrayList<>();
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(versions)) {
                for (Path p : dir) {
                    if (Files.isDirectory(p)) {
                        names.add(p.getFileName().toString());
                    }
                }
            } catch (IOException e) {
                // unreadable: report what python3 said
            }
            names.sort(DoctorCommand::compareVersions);
            List<String> good = names.stream().filter(DoctorCommand::pythonSupported).toList();
            List<String> bad = names.stream().filter(n -> !pythonSupported(n)).toList();
            supported |= !good.isEmpty();
            if (!names.isEmpty()) {
                found.add("pyenv " + (good.isEmpty() ? "" : String.join(", ", good))
                        + (bad.isEmpty() ? "" : (good.isEmpty() ? "" : ", ") + "unsupported " + String.join(", ", bad)));
            }
        }
        if (found.isEmpty()) {
            return Check.ok("python", "no python3 found (needed only to sample PySpark workers with --python)");
        }
        String detail = String.join("; ", found);
        if (!supported || unsupported) {
            return new Check("python", Status.WARN, detail, "--python reads CPython 3.11, 3.12 and 3.13;"
                    + " workers on other versions are not sampled");
        }
        return Check.ok("python", detail + "; --python supports 3.11–3.13");
    }

    /** Orders "3.9.18" before "3.10.13": numeric runs compare as numbers. */
    static int compareVersions(String a, String b) {
        String[] x = a.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        String[] y = b.split("(?<=\\d)(?=\\D)|(?<=\\D)(?=\\d)");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = x[i].matches("\\d+") && y[i].matches("\\d+")
                    ? new java.math.BigInteger(x[i]).compareTo(new java.math.BigInteger(y[i])) : x[i].compareTo(y[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }

    /** CPython 3.11, 3.12 or 3.13 ("3.12.4", "3.13.0rc1"); pyenv names like "pypy3.10-7.3" are not. */
    static boolean pythonSupported(String version) {
        return version.matches("3\\.(11|12|13)(\\.\\d+.*)?");
    }

    static Check pprof() {
        Optional<String> go = which("go").or(() -> Files.isExecutable(Path.of("/usr/local/go/bin/go"))
                ? Optional.of("/usr/local/go/bin/go") : Optional.empty());
        if (go.isPresent()) {
            String version = run(List.of(go.get(), "version")).flatMap(DoctorCommand::firstLine).orElse("go (version unknown)");
            Optional<String> tool = run(List.of(go.get(), "tool", "-n", "pprof")).flatMap(DoctorCommand::firstLine);
            if (tool.isPresent()) {
                return Check.ok("pprof", "go tool pprof: " + version + " (" + go.get() + ")");
            }
        }
        Optional<String> standalone = which("pprof");
        if (standalone.isPresent()) {
            return Check.ok("pprof", "pprof (" + standalone.get() + ")");
        }
        return Check.ok("pprof", "go tool pprof not found (optional: to read -o profile.pb.gz; install Go from https://go.dev/dl)");
    }

    // ---- helpers

    private static Optional<Integer> readInt(Path file) {
        try {
            return Optional.of(Integer.parseInt(Files.readString(file).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static Optional<String> which(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return Optional.of(p.toString());
            }
        }
        return Optional.empty();
    }

    /** Standard output and error of a short command, whatever its exit code; empty if it cannot run or hangs. */
    static Optional<String> run(List<String> cmd) {
        Path out = null;
        try {
            out = Files.createTempFile("cprof-doctor-", ".out");
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(TOOL_TIMEOUT_MS, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return Optional.empty();
            }
            byte[] bytes;
            try (InputStream in = Files.newInputStream(out)) {
                bytes = in.readNBytes(64 * 1024); // version lines and usage texts are small
            }
            return Optional.of(new String(bytes, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException e) {
                    // a leftover temp file is harmless
                }
            }
        }
    }

    private static Optional<String> firstLine(String s) {
        return s.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}

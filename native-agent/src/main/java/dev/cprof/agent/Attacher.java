package dev.cprof.agent;

import dev.cprof.agent.AttachException.Reason;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Loads the agent library into a running JVM. Primary route: the jattach tool, which handles
 * other uids and containers; fallback: the JDK Attach API (same user, same namespaces). Every
 * failure becomes an {@link AttachException} naming the case.
 */
public final class Attacher {
    private static final long JATTACH_TIMEOUT_S = 30;
    private final Path library;
    private final String jattach;

    public Attacher(Path library) {
        this(library, findJattach());
    }

    /** {@code jattach} null forces the Attach API. */
    public Attacher(Path library, String jattach) {
        this.library = library;
        this.jattach = jattach;
    }

    /** The jattach executable on PATH, or null. */
    public static String findJattach() {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/usr/local/bin" : path).split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, "jattach");
            if (Files.isExecutable(p)) {
                return p.toString();
            }
        }
        return null;
    }

    public String method() {
        return jattach != null ? "jattach" : "attach-api";
    }

    /** Checks the target, then loads the agent with {@code options}. */
    public void attach(long pid, String options) throws AttachException {
        JvmProcess target = new JvmProcess(pid);
        int uid = check(target);
        try {
            String squatted = AgentClient.socketOwnerProblem(pid);
            if (squatted != null) {
                throw new AttachException(Reason.SOCKET_SQUATTED, pid, squatted);
            }
        } catch (AttachException e) {
            throw e;
        } catch (IOException e) {
            throw gone(target, e.getMessage());
        }
        String path = libraryPathFor(target, uid);
        if (jattach != null) {
            viaJattach(target, path, options);
        } else {
            viaAttachApi(target, path, options);
        }
    }

    /**
     * The checks {@link #attach} makes before touching anything, for callers that want the
     * target's problems said before their own (extracting the library, say).
     */
    public static void check(long pid) throws AttachException {
        check(new JvmProcess(pid));
    }

    /** The distinct reasons a target cannot be attached, found before trying; returns the target's uid. */
    static int check(JvmProcess target) throws AttachException {
        long pid = target.pid();
        if (!target.alive()) {
            throw new AttachException(Reason.NO_SUCH_PROCESS, pid, "no such process: " + pid);
        }
        int selfUid = JvmProcess.selfUid();
        int uid;
        boolean jvm;
        try {
            // The owner first: anyone may read it, while maps (isJvm) is closed to other users.
            uid = target.uid();
            if (selfUid != 0 && uid != selfUid) {
                String owner = target.ownerName(); // null: a uid without a name
                String who = owner == null ? "uid " + uid : "uid " + uid + " (" + owner + ")";
                String as = owner == null ? "uid " + uid + " (sudo -u '#" + uid + "' cprof ...)" : owner + " (sudo -u " + owner + " cprof ...)";
                throw new AttachException(Reason.PERMISSION_DENIED, pid, "permission denied: process " + pid + " belongs to " + who
                        + ", not to you (uid " + selfUid + "): run cprof as " + as + " or as root");
            }
            jvm = target.isJvm();
        } catch (java.nio.file.AccessDeniedException e) {
            throw new AttachException(Reason.PERMISSION_DENIED, pid, "permission denied: cannot inspect process " + pid);
        } catch (AttachException e) {
            throw e;
        } catch (IOException e) {
            throw gone(target, e.getMessage());
        }
        if (!jvm) {
            throw new AttachException(Reason.NOT_A_JVM, pid, "process " + pid + " is not a JVM (" + abbreviate(target.commandLine()) + ")");
        }
        if (target.commandLine().contains("-XX:+DisableAttachMechanism")) {
            throw new AttachException(Reason.ATTACH_DISABLED, pid,
                    "attach is disabled in JVM " + pid + " (-XX:+DisableAttachMechanism); start it with -agentpath instead");
        }
        return uid;
    }

    /**
     * Where the target finds the library. A JVM of our own user in our mount namespace reads our
     * copy. Any other (another user's: root's cache is in a 0700 home; a container's: our
     * filesystem is not its own) gets a copy in its own /tmp, see {@link TargetCopy}.
     */
    private String libraryPathFor(JvmProcess target, int uid) throws AttachException {
        if (!target.otherMountNamespace() && uid == JvmProcess.selfUid()) {
            return library.toString();
        }
        try {
            return TargetCopy.install(library, target.root().resolve("tmp"), "/tmp");
        } catch (IOException e) {
            throw new AttachException(Reason.ATTACH_FAILED, target.pid(),
                    "cannot copy the agent into /tmp of JVM " + target.pid() + ": " + e.getMessage());
        }
    }

    private void viaJattach(JvmProcess target, String path, String options) throws AttachException {
        List<String> cmd = new ArrayList<>(List.of(jattach, Long.toString(target.pid()), "load", path, "true"));
        if (!options.isEmpty()) {
            cmd.add(options);
        }
        String output;
        int exit;
        Path cwd = workingDir(target);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(JATTACH_TIMEOUT_S);
            while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
                if (!target.alive()) {
                    // jattach would wait out its own timeout (~5 s) for the listener of a dead JVM
                    p.destroyForcibly();
                    removeAttachFile(cwd, target.pid());
                    throw gone(target, "exited");
                }
                if (System.nanoTime() >= deadline) {
                    p.destroyForcibly();
                    throw failed(target, "jattach did not finish within " + JATTACH_TIMEOUT_S + " s");
                }
            }
            output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            exit = p.exitValue();
        } catch (IOException e) {
            throw failed(target, "cannot run jattach: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(target, "interrupted");
        }
        if (exit == 0) {
            return;
        }
        if (!target.alive()) {
            removeAttachFile(cwd, target.pid());
            throw gone(target, output);
        }
        // jattach prints "JVM response code = 0" and then Agent_OnAttach's result on its own line.
        if (output.contains("JVM response code = 0")) {
            throw new AttachException(Reason.AGENT_LOAD_FAILED, target.pid(),
                    "the agent failed to load in JVM " + target.pid() + ": " + lastLine(output));
        }
        if (output.contains("Permission denied") || output.contains("Operation not permitted")) {
            throw new AttachException(Reason.PERMISSION_DENIED, target.pid(), "permission denied attaching to JVM " + target.pid() + ": " + lastLine(output));
        }
        throw failed(target, lastLine(output));
    }

    /** The JVM's working directory as we see it (null in another mount namespace, or unreadable). */
    private static Path workingDir(JvmProcess target) {
        try {
            return target.otherMountNamespace() ? null : Files.readSymbolicLink(Path.of("/proc", Long.toString(target.pid()), "cwd"));
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /**
     * jattach asks a JVM to start its attach listener with a file .attach_pid&lt;pid&gt; in the JVM's
     * working directory (or /tmp); the JVM deletes it when it answers. One that died first
     * cannot: we do, so a dead target leaves nothing behind.
     */
    private static void removeAttachFile(Path cwd, long pid) {
        for (Path dir : cwd == null ? List.of(Path.of("/tmp")) : List.of(cwd, Path.of("/tmp"))) {
            try {
                Files.deleteIfExists(dir.resolve(".attach_pid" + pid));
            } catch (IOException e) {
                // not ours to delete, or gone meanwhile
            }
        }
    }

    private void viaAttachApi(JvmProcess target, String path, String options) throws AttachException {
        try {
            com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(Long.toString(target.pid()));
            try {
                vm.loadAgentPath(path, options.isEmpty() ? null : options);
            } finally {
                vm.detach();
            }
        } catch (com.sun.tools.attach.AgentLoadException | com.sun.tools.attach.AgentInitializationException e) {
            throw new AttachException(Reason.AGENT_LOAD_FAILED, target.pid(), "the agent failed to load in JVM " + target.pid() + ": " + e.getMessage());
        } catch (com.sun.tools.attach.AttachNotSupportedException | IOException e) {
            if (!target.alive()) {
                throw gone(target, e.getMessage());
            }
            throw failed(target, String.valueOf(e.getMessage()));
        }
    }

    private static AttachException gone(JvmProcess target, String detail) {
        if (!target.alive()) {
            return new AttachException(Reason.JVM_EXITED, target.pid(), "JVM " + target.pid() + " exited during attach");
        }
        return new AttachException(Reason.ATTACH_FAILED, target.pid(), "cannot attach to JVM " + target.pid() + ": " + detail);
    }

    private static AttachException failed(JvmProcess target, String detail) {
        return gone(target, detail);
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines.length == 0 ? "" : lines[lines.length - 1].strip();
    }

    private static String abbreviate(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}

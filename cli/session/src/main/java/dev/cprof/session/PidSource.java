package dev.cprof.session;

import dev.cprof.wire.proto.StartRequest;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** {@code attach --pid}: the named JVMs of this host, each attached in process. */
public final class PidSource implements InstanceSource {
    private final List<Long> pids;
    private final List<LocalInstance> instances = new ArrayList<>();
    private final PrintWriter log;

    PidSource(List<Long> pids) {
        this(pids, null);
    }

    /** {@code log} gets the --python warnings and notices (null: none). */
    PidSource(List<Long> pids, PrintWriter log) {
        this.pids = checked(pids);
        this.log = log;
    }

    /**
     * The --pid list as profiled: each pid once (two sessions of one CLI on one JVM would fight
     * over its agent), and a usage error for a number that cannot be a process id.
     */
    public static List<Long> checked(List<Long> pids) {
        java.util.LinkedHashSet<Long> unique = new java.util.LinkedHashSet<>();
        for (long pid : pids) {
            if (pid <= 0 || pid > Integer.MAX_VALUE) {
                throw new SessionException(ExitCodes.USAGE, "--pid " + pid + " is not a process id (a JVM's pid is a positive number;"
                        + " 'cprof list' shows them)");
            }
            unique.add(pid);
        }
        return List.copyOf(unique);
    }

    @Override
    public void start(StartRequest request, SessionMerger merger) {
        for (long pid : pids) {
            LocalInstance instance = new LocalInstance(pid, request, merger, log, 0);
            instances.add(instance);
            instance.start();
        }
    }

    @Override
    public int found() {
        return pids.size();
    }

    @Override
    public void stop(long waitMs) {
        for (LocalInstance i : instances) {
            i.stop(waitMs);
        }
    }

    @Override
    public List<Failed> failed() {
        List<Failed> out = new ArrayList<>();
        for (LocalInstance i : instances) {
            if (i.error() != null) {
                out.add(new Failed("pid " + i.pid(), i.pid(), i.error()));
            }
        }
        return out;
    }

    @Override
    public String nothingFound() {
        return null;
    }

    /** A JVM named by --pid that ends mid-session makes it partial (exit 3); its samples are kept. */
    @Override
    public boolean earlyEndIsPartial() {
        return true;
    }

    /** No JVM can join a --pid session: once every one has ended or failed, it is over. */
    @Override
    public boolean finished() {
        return !instances.isEmpty() && instances.stream().allMatch(LocalInstance::done);
    }

    @Override
    public String describe() {
        return "--pid " + pids;
    }
}

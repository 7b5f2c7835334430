package dev.cprof.session;

import dev.cprof.profile.SafeText;
import dev.cprof.python.PythonFollower;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.StartRequest;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;

/**
 * {@code attach --python} in local mode: the Python descendants of one JVM profiled in process,
 * each merged as its own instance (runtime PYTHON) whose parent is the JVM's stream. What the
 * peer's relay does in fleet mode, without the wire. Warnings and mid-session exits are one line
 * on {@code log} (null: silent).
 */
final class LocalPython implements PythonFollower.Listener {
    private final long jvmPid;
    private final SessionMerger merger;
    private final SessionMerger.Stream jvm;
    private final PrintWriter log;
    private final Map<Integer, SessionMerger.Stream> streams = new HashMap<>();
    private final PythonFollower follower;

    private LocalPython(long jvmPid, StartRequest request, SessionMerger merger, SessionMerger.Stream jvm, PrintWriter log) {
        this.jvmPid = jvmPid;
        this.merger = merger;
        this.jvm = jvm;
        this.log = log;
        this.follower = new PythonFollower((int) jvmPid, PythonFollower.interval(request.getIntervalNs()), request.getLines(), this);
    }

    /** Starts following the JVM's Python children when the request asks for it; else null. */
    static LocalPython startIfAsked(long jvmPid, StartRequest request, SessionMerger merger, SessionMerger.Stream jvm,
                                    PrintWriter log) {
        if (!request.getPython()) {
            return null;
        }
        LocalPython p = new LocalPython(jvmPid, request, merger, jvm, log);
        p.follower.start();
        return p;
    }

    @Override
    public void started(int pid, String version) {
        InstanceInfo parent = jvm.info();
        InstanceInfo info = InstanceInfo.newBuilder()
                .setHost(parent.getHost())
                .setPid(pid)
                .setService(parent.getService())
                .setMainClass("python " + version)
                .putAllLabels(parent.getLabelsMap())
                .putLabels("python_version", version)
                .setRuntime(FrameKind.PYTHON)
                .build();
        streams.put(pid, merger.open(info, jvm));
    }

    @Override
    public void batch(int pid, Batch batch) throws InterruptedException {
        SessionMerger.Stream s = streams.get(pid);
        if (s != null) {
            s.offer(batch, batch.getSerializedSize());
        }
    }

    @Override
    public void ended(int pid, String reason) {
        SessionMerger.Stream s = streams.get(pid);
        if (s != null) {
            s.ended(reason);
        }
        say("python pid " + pid + " (under JVM pid " + jvmPid + ") ended mid-session (" + reason
                + "); its samples are kept");
    }

    @Override
    public void warning(String message) {
        say(message);
    }

    private void say(String line) {
        if (log != null) {
            synchronized (log) {
                log.println("cprof: " + SafeText.escape(line));
                log.flush();
            }
        }
    }

    /** Stops sampling; the last batch of every child is merged before this returns. */
    void stop() {
        follower.stop(2000);
    }
}

package dev.cprof.discovery.peer;

import dev.cprof.agent.AttachException;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.python.PythonFollower;
import dev.cprof.wire.FrameWriter;
import dev.cprof.wire.RelayedBatch;
import dev.cprof.wire.proto.Batch;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.Error;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceEnded;
import dev.cprof.wire.proto.InstanceInfo;
import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * One attached instance of one client connection, on its own thread: opens the agent, sends the
 * client Envelope{instance}, then relays every Batch with this connection's instance id (in
 * Envelope.relay_instance_id, appended to the agent's bytes, which are not re-encoded), and ends
 * with Envelope{instance_ended}. Failures to attach become Envelope{error} with the instance key.
 *
 * <p>With {@code StartRequest.python} it also samples the JVM's Python descendants (PySpark
 * workers) through a {@link PythonFollower}: each one is an extra instance of the connection
 * (Envelope{instance} with runtime PYTHON and parent_instance_id = the JVM's id, its batches, and
 * instance_ended), and a Python that cannot be sampled is one Envelope{error} of code WARNING.
 */
final class AgentRelay {
    /** Stop promises the agent a second to send its last batch; then the socket is closed anyway. */
    static final long STOP_GRACE_MS = 900;

    private final int id;
    /** Envelope.relay_instance_id = id, appended to every batch frame of the agent. */
    private final byte[] idField;
    private final InstanceRecord instance;
    private final StartRequest start;
    private final AgentConnector connector;
    private final FrameWriter out;
    private final Runnable onDone;
    private final IntSupplier newId;
    /** Python pid → its instance id on this connection, while sampled (follower thread only). */
    private final Map<Integer, Integer> pythonIds = new LinkedHashMap<>();
    private PythonFollower python;
    private final CountDownLatch done = new CountDownLatch(1);
    private AgentConnector.AgentStream stream;
    private boolean stopped;
    private String stopReason = "";

    AgentRelay(int id, InstanceRecord instance, StartRequest start, AgentConnector connector, FrameWriter out, Runnable onDone) {
        this(id, instance, start, connector, out, onDone, () -> {
            throw new IllegalStateException("no instance ids for python children");
        });
    }

    /** {@code newId} hands out the connection's instance ids, for Python children. */
    AgentRelay(int id, InstanceRecord instance, StartRequest start, AgentConnector connector, FrameWriter out, Runnable onDone,
               IntSupplier newId) {
        this.newId = newId;
        this.id = id;
        this.idField = RelayedBatch.idField(id);
        this.instance = instance;
        this.start = start;
        this.connector = connector;
        this.out = out;
        this.onDone = onDone;
    }

    int id() {
        return id;
    }

    String sessionId() {
        return start.getSessionId();
    }

    String key() {
        return instance.key();
    }

    void start() {
        Thread t = new Thread(this::run, "cprof-relay-" + instance.key());
        t.setDaemon(true);
        t.start();
    }

    private void run() {
        try {
            AgentConnector.AgentStream s;
            try {
                s = connector.open(instance.pid(), start);
            } catch (AttachException e) {
                send(error(Error.Code.ATTACH_FAILED, e.getMessage()));
                return;
            } catch (dev.cprof.agent.AgentException e) {
                // another session holds the JVM: say who, and let the client not retry
                send(error(e.busy() ? Error.Code.BUSY : Error.Code.ATTACH_FAILED,
                        e.busy() ? e.getMessage() : "agent of " + instance.key() + ": " + e.getMessage()));
                return;
            } catch (IOException e) {
                send(error(Error.Code.ATTACH_FAILED, "agent of " + instance.key() + ": " + e.getMessage()));
                return;
            }
            synchronized (this) {
                stream = s;
                if (stopped) { // stop() came while we attached: end at once
                    closeQuietly();
                    send(ended());
                    return;
                }
            }
            InstanceInfo jvm = info(s.instance());
            send(Envelope.newBuilder().setInstance(jvm).build());
            if (start.getPython()) {
                python = new PythonFollower((int) instance.pid(), PythonFollower.interval(start.getIntervalNs()),
                        start.getLines(), new PythonRelay(jvm)).start();
            }
            relay(s);
            stopPython();
            send(ended());
        } finally {
            stopPython();
            closeQuietly();
            done.countDown();
            onDone.run();
        }
    }

    /**
     * A batch goes out as the agent's bytes followed by our instance id ({@link RelayedBatch}):
     * neither parsed nor re-encoded here; the client judges what it holds. Anything else is parsed.
     */
    private void relay(AgentConnector.AgentStream s) {
        try {
            byte[] message;
            while ((message = s.nextRaw()) != null) {
                if (RelayedBatch.isBatch(message)) {
                    sendRaw(message);
                    continue;
                }
                Envelope e = s.parse(message);
                if (e.hasBatch()) { // a batch laid out otherwise than agents write it: our id replaces any it carries
                    send(Envelope.newBuilder().setBatch(e.getBatch()).setRelayInstanceId(id).build());
                } else if (e.hasError()) {
                    send(error(e.getError().getCode(), e.getError().getMessage()));
                }
                // Status and anything else is the peer's business, not the client's
            }
        } catch (IOException e) {
            synchronized (this) {
                if (!stopped) {
                    send(error(Error.Code.INTERNAL, "agent stream of " + instance.key() + " broke: " + e.getMessage()));
                }
            }
        }
    }

    /** Ends Python sampling: the tail of every child is sent, then its instance_ended. */
    private void stopPython() {
        PythonFollower f = python;
        if (f == null) {
            return;
        }
        python = null;
        f.stop(2000);
        String reason;
        synchronized (this) {
            reason = stopped ? stopReason : "JVM ended";
        }
        synchronized (pythonIds) {
            for (int pid : pythonIds.values()) {
                send(Envelope.newBuilder().setInstanceEnded(InstanceEnded.newBuilder().setInstanceId(pid).setReason(reason)).build());
            }
            pythonIds.clear();
        }
    }

    /** Relays one JVM's Python children as instances of this connection. */
    private final class PythonRelay implements PythonFollower.Listener {
        private final InstanceInfo jvm;

        PythonRelay(InstanceInfo jvm) {
            this.jvm = jvm;
        }

        @Override
        public void started(int pid, String version) {
            int pyId = newId.getAsInt();
            synchronized (pythonIds) {
                pythonIds.put(pid, pyId);
            }
            send(Envelope.newBuilder().setInstance(InstanceInfo.newBuilder()
                    .setInstanceId(pyId)
                    .setHost(jvm.getHost())
                    .setPid(pid)
                    .setService(jvm.getService())
                    .setMainClass("python " + version)
                    .putAllLabels(jvm.getLabelsMap())
                    .putLabels("python_version", version)
                    .setRuntime(FrameKind.PYTHON)
                    .setParentInstanceId(id)).build());
        }

        @Override
        public void batch(int pid, Batch batch) {
            Integer pyId;
            synchronized (pythonIds) {
                pyId = pythonIds.get(pid);
            }
            if (pyId != null) {
                send(Envelope.newBuilder().setBatch(batch).setRelayInstanceId(pyId).build());
            }
        }

        @Override
        public void ended(int pid, String reason) {
            Integer pyId;
            synchronized (pythonIds) {
                pyId = pythonIds.remove(pid);
            }
            if (pyId != null) {
                send(Envelope.newBuilder().setInstanceEnded(InstanceEnded.newBuilder().setInstanceId(pyId).setReason(reason)).build());
            }
        }

        @Override
        public void warning(String message) {
            send(Envelope.newBuilder().setError(Error.newBuilder().setCode(Error.Code.WARNING)
                    .setMessage(instance.key() + ": " + message).setInstanceKey(instance.key())).build());
        }
    }

    /** Asks the agent to stop and closes its socket after the grace period; returns at once. */
    synchronized void stop(String reason) {
        if (stopped) {
            return;
        }
        stopped = true;
        stopReason = reason;
        if (stream != null) {
            try {
                stream.stop(reason);
            } catch (IOException e) {
                closeQuietly();
            }
            Thread killer = new Thread(() -> {
                if (!awaitDone(STOP_GRACE_MS)) {
                    closeQuietly();
                }
            }, "cprof-relay-stop-" + instance.key());
            killer.setDaemon(true);
            killer.start();
        }
    }

    /** Closes the agent socket now (client gone): the agent disarms itself within a second. */
    synchronized void kill(String reason) {
        stopped = true;
        stopReason = reason;
        closeQuietly();
    }

    boolean awaitDone(long ms) {
        try {
            return done.await(ms, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private synchronized void closeQuietly() {
        if (stream != null) {
            try {
                stream.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** The client's view: our instance id and registry facts, the agent's where ours are unknown. */
    private InstanceInfo info(InstanceInfo fromAgent) {
        InstanceInfo.Builder b = (fromAgent == null ? InstanceInfo.newBuilder() : fromAgent.toBuilder())
                .setInstanceId(id)
                .setHost(instance.host())
                .setPid((int) instance.pid())
                .setService(instance.service())
                .putAllLabels(instance.labels());
        if (!instance.jdkVersion().isEmpty()) {
            b.setJdkVersion(instance.jdkVersion());
        }
        if (!instance.mainClass().isEmpty()) {
            b.setMainClass(instance.mainClass());
        }
        if (instance.startTimeMs() > 0) {
            b.setStartTimeMs(instance.startTimeMs());
        }
        return b.build();
    }

    private Envelope ended() {
        String reason;
        synchronized (this) {
            reason = stopped ? stopReason : null;
        }
        if (reason == null) {
            // the agent's socket closes while the JVM shuts down, a moment before its process is gone
            reason = exited(1000) ? "exited" : "agent ended";
        }
        return Envelope.newBuilder().setInstanceEnded(InstanceEnded.newBuilder().setInstanceId(id).setReason(reason)).build();
    }

    /** True when the process is gone (or a zombie) within {@code ms}. */
    private boolean exited(long ms) {
        long deadline = System.currentTimeMillis() + ms;
        Path stat = Path.of("/proc", Long.toString(instance.pid()), "stat");
        do {
            try {
                String s = Files.readString(stat);
                char state = s.charAt(s.lastIndexOf(')') + 2);
                if (state == 'Z' || state == 'X') {
                    return true;
                }
            } catch (IOException | RuntimeException e) {
                return true; // no such process
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        } while (System.currentTimeMillis() < deadline);
        return false;
    }

    private Envelope error(Error.Code code, String message) {
        return Envelope.newBuilder().setError(Error.newBuilder().setCode(code).setMessage(message)
                .setInstanceId(id).setInstanceKey(instance.key())).build();
    }

    /** A client that went away makes writes fail: stop relaying, the connection cleans up. */
    private void send(Envelope e) {
        try {
            out.write(e);
        } catch (IOException ex) {
            kill("client gone");
        }
    }

    /** Sends an agent's batch frame with our instance id appended (see {@link RelayedBatch}). */
    private void sendRaw(byte[] batchFrame) {
        try {
            out.writeRaw(batchFrame, idField);
        } catch (IOException ex) {
            kill("client gone");
        }
    }
}

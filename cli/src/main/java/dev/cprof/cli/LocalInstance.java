package dev.cprof.cli;

import dev.cprof.agent.AgentClient;
import dev.cprof.agent.AgentLibrary;
import dev.cprof.agent.Attacher;
import dev.cprof.wire.proto.Envelope;
import dev.cprof.wire.proto.StartRequest;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * One JVM on this host profiled in process (attach --pid, and --service without ZooKeeper):
 * loads the agent, connects to its socket and feeds its batches to the session's merger.
 */
final class LocalInstance implements Runnable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private final long pid;
    private final StartRequest request;
    private final SessionMerger merger;
    private final Thread thread;
    private volatile AgentClient client;
    private volatile SessionMerger.Stream stream;
    private volatile String error;
    private final PrintWriter log;
    private volatile LocalPython python;

    LocalInstance(long pid, StartRequest request, SessionMerger merger) {
        this(pid, request, merger, null);
    }

    /** {@code log} gets the --python warnings and notices (null: none). */
    LocalInstance(long pid, StartRequest request, SessionMerger merger, PrintWriter log) {
        this.log = log;
        this.pid = pid;
        this.request = request;
        this.merger = merger;
        this.thread = new Thread(this, "cprof-instance-" + pid);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public void run() {
        try {
            new Attacher(AgentLibrary.path()).attach(pid, "");
            client = AgentClient.connect(pid, CONNECT_TIMEOUT);
            stream = merger.open(client.start(request));
            python = LocalPython.startIfAsked(pid, request, merger, stream, log);
            Envelope e;
            while ((e = client.next()) != null) {
                if (e.hasBatch()) {
                    stream.offer(e.getBatch(), e.getSerializedSize());
                } else if (e.hasError()) {
                    stream.fail(e.getError().getMessage());
                }
            }
            stream.ended(new dev.cprof.agent.JvmProcess(pid).alive() ? "agent closed the stream" : "JVM exited");
        } catch (IOException ex) {
            String message = ex.getMessage() == null ? ex.toString() : ex.getMessage();
            if (stream != null) {
                // What was merged stays; the instance just ends early.
                stream.ended(new dev.cprof.agent.JvmProcess(pid).alive() ? "connection lost: " + message : "JVM exited");
            } else {
                error = message;
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        } finally {
            stopPython();
            closeQuietly();
        }
    }

    private void stopPython() {
        LocalPython p = python;
        if (p != null) {
            python = null;
            p.stop();
        }
    }

    /** Asks the agent for its final batch and waits for the stream to end. */
    void stop(long waitMillis) {
        stopPython();
        AgentClient c = client;
        if (c != null) {
            try {
                c.stop("session ended");
            } catch (IOException ignored) {
                // the stream's end is handled by run()
            }
        }
        try {
            thread.join(waitMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly();
    }

    private void closeQuietly() {
        AgentClient c = client;
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing is best effort: the agent stops on its own when the socket drops
            }
        }
    }

    long pid() {
        return pid;
    }

    boolean attached() {
        return stream != null;
    }

    /** Why the instance could not be profiled at all, or null. */
    String error() {
        return error;
    }
}

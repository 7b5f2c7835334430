package dev.cprof.session;

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
    private volatile boolean stopping;
    /** A JVM that joins a session may still be starting and refuse the agent: ask again this many times, a second apart. */
    private static final long RETRY_MS = 1_000;
    private final int attachRetries;

    LocalInstance(long pid, StartRequest request, SessionMerger merger) {
        this(pid, request, merger, null, 0);
    }

    /**
     * {@code log} gets the --python warnings and notices (null: none); {@code attachRetries}: how
     * often a refused attach is asked again (a joiner, seen as soon as its JVM starts: as the
     * peer does for a fleet's joiners).
     */
    LocalInstance(long pid, StartRequest request, SessionMerger merger, PrintWriter log, int attachRetries) {
        this.attachRetries = attachRetries;
        this.log = log;
        this.pid = pid;
        this.request = request;
        this.merger = merger;
        this.thread = new Thread(this, "cprof-instance-" + pid);
        thread.setDaemon(true);
    }

    private void warn(String line) {
        if (log != null) {
            synchronized (log) {
                log.println("cprof: " + dev.cprof.profile.SafeText.escape(line)); // the agent's text: escaped
                log.flush();
            }
        }
    }

    void start() {
        thread.start();
    }

    @Override
    public void run() {
        try {
            Attacher.check(pid); // the target's problems (another user's JVM) before ours (no cache dir)
            attach();
            if (stopping) {
                error = "the session ended while attaching"; // Ctrl-C during the attach: start nothing
                return;
            }
            client = AgentClient.connect(pid, CONNECT_TIMEOUT);
            if (stopping) {
                error = "the session ended while attaching";
                closeQuietly();
                return;
            }
            stream = merger.open(client.start(request));
            if (stopping) {
                client.stop("session ended"); // stop() ran before there was a session to stop
            }
            python = LocalPython.startIfAsked(pid, request, merger, stream, log);
            Envelope e;
            while ((e = client.next()) != null) {
                if (e.hasBatch()) {
                    stream.offer(e.getBatch(), e.getSerializedSize());
                } else if (e.hasError() && e.getError().getCode() == dev.cprof.wire.proto.Error.Code.WARNING) {
                    warn("pid " + pid + ": " + e.getError().getMessage()); // e.g. no jdbc here; the other events go on
                } else if (e.hasError()) {
                    stream.fail(e.getError().getMessage());
                }
            }
            stream.ended(exited() ? "JVM exited" : "agent closed the stream");
        } catch (IOException ex) {
            String message = ex.getMessage() == null ? ex.toString() : ex.getMessage();
            if (stream != null) {
                // What was merged stays; the instance just ends early.
                stream.ended(exited() ? "JVM exited" : "connection lost: " + message);
            } else if (stopping && ex instanceof java.nio.channels.ClosedChannelException) {
                error = "the session ended while attaching"; // stop() closed the socket under start(): not a raw exception name
            } else if (!(ex instanceof dev.cprof.agent.AttachException) && exited()) {
                error = "JVM " + pid + " exited during attach"; // loaded, then gone before the session started
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

    private void attach() throws IOException, InterruptedException {
        for (int attempt = 0; ; attempt++) {
            try {
                new Attacher(AgentLibrary.path()).attach(pid, "");
                return;
            } catch (dev.cprof.agent.AttachException e) {
                if (attempt >= attachRetries || stopping || !new dev.cprof.agent.JvmProcess(pid).alive()) {
                    throw e;
                }
                Thread.sleep(RETRY_MS);
            }
        }
    }

    /**
     * Whether the JVM is gone. A JVM that exits closes the agent's socket before it is gone
     * from /proc (System.exit: the agent's final batch comes first), so give it a moment.
     */
    private boolean exited() {
        try {
            return new dev.cprof.agent.JvmProcess(pid).awaitExit(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !new dev.cprof.agent.JvmProcess(pid).alive();
        }
    }

    /** The instance is over: attached and ended, or failed (its thread has returned). */
    boolean done() {
        return !thread.isAlive();
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
        stopping = true; // before reading client: run() checks it after each step of the attach
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

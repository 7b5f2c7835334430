package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.cprof.wire.proto.EventType;
import dev.cprof.wire.proto.FrameKind;
import dev.cprof.wire.proto.InstanceInfo;
import java.io.IOException;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ViewsTest {
    @Test
    void includeAndExcludeSelectStacksByAnyFrame() throws IOException {
        Profile p = CollapsedFormatTest.read("main;a;x 5\nmain;b;x 7\nmain;b;y 11\nother;a 13\n");
        assertEquals(5 + 13, Views.filter(p, Pattern.compile("^a$"), null).total(EventType.CPU, -1));
        assertEquals(11 + 13, Views.filter(p, null, Pattern.compile("^x$")).total(EventType.CPU, -1));
        assertEquals(7, Views.filter(p, Pattern.compile("^main$"), Pattern.compile("y|^a$")).total(EventType.CPU, -1));
        assertEquals("main;b;x 7\n", CollapsedFormatTest.write(Views.filter(p, Pattern.compile("b"), Pattern.compile("y"))));
    }

    @Test
    void perInstanceRootsAPythonChildUnderItsParentJvm() throws IOException {
        Profile p = new Profile();
        int jvm = p.addInstance(InstanceInfo.newBuilder().setInstanceId(1).setHost("h").setPid(10).setService("etl").build());
        int other = p.addInstance(InstanceInfo.newBuilder().setInstanceId(2).setHost("h").setPid(20).setService("etl").build());
        int py = p.addInstance(InstanceInfo.newBuilder().setInstanceId(3).setHost("h").setPid(11).setService("etl")
                .setRuntime(FrameKind.PYTHON).setParentInstanceId(1).build());
        int orphan = p.addInstance(InstanceInfo.newBuilder().setInstanceId(4).setHost("h").setPid(12).setService("etl")
                .setRuntime(FrameKind.PYTHON).setParentInstanceId(99).build());
        p.addSample(new int[] {p.frame("Task.run", FrameKind.JAVA, 0)}, jvm, EventType.CPU, 3, 0);
        p.addSample(new int[] {p.frame("Main.main", FrameKind.JAVA, 0)}, other, EventType.CPU, 5, 0);
        p.addSample(new int[] {p.frame("[python pid 11]", FrameKind.PSEUDO, 0), p.frame("udf.score (udf.py)", FrameKind.PYTHON, 0)},
                py, EventType.CPU, 7, 0);
        p.addSample(new int[] {p.frame("[python pid 12]", FrameKind.PSEUDO, 0)}, orphan, EventType.CPU, 2, 0);
        // The child has no root of its own; one whose parent is not in the profile keeps its own.
        assertEquals("""
                h:10 etl;Task.run 3
                h:10 etl;[python pid 11];udf.score (udf.py)_[py] 7
                h:12 etl;[python pid 12] 2
                h:20 etl;Main.main 5
                """, sorted(CollapsedFormatTest.write(Views.perInstance(p))));
    }

    @Test
    void stitchPythonPutsAWorkerBeneathTheHottestSparkRunnerStackOfItsJvm() throws IOException {
        Profile p = sparkLike(true);
        Profile stitched = Views.stitchPython(p, Views.SPARK_PYTHON_RUNNER);
        String writer = "Thread.run;org.apache.spark.api.python.BasePythonRunner$WriterThread.run;"
                + "org.apache.spark.api.python.BasePythonRunner$WriterThread.$anonfun$run$1";
        // The writer path (6) is hotter than the reader's (2); of its two equally hot runner frames
        // the deeper is the end of the prefix (PythonRDD$.writeIteratorToStream, below, is no
        // runner frame: no Runner or Worker in its name). The daemon (a Python child of a Python child) and a
        // worker whose stacks lack the pseudo root frame are stitched too; the orphan is not.
        assertEquals("""
                Executor$TaskRunner.run;org.apache.spark.api.python.BasePythonRunner$ReaderIterator.hasNext;Socket.read 2
                Main.main 5
                %1$s;[python pid 11];udf.score (udf.py)_[py] 7
                %1$s;[python pid 13];daemon.main (daemon.py)_[py] 1
                %1$s;[python pid 14];udf.other (udf.py)_[py] 4
                %1$s;org.apache.spark.api.python.PythonRDD$.writeIteratorToStream;Socket.write 6
                [python pid 12] 2
                """.formatted(writer), sorted(CollapsedFormatTest.write(stitched)));
        assertTotalsEqual(p, stitched);
        // and per instance, under the JVM's root like any other of its stacks
        String perInstance = CollapsedFormatTest.write(Views.perInstance(stitched));
        assertTrue(perInstance.contains("h:10 etl;" + writer + ";[python pid 11];udf.score (udf.py)_[py] 7\n"), perInstance);
    }

    @Test
    void stitchPythonLeavesStacksAloneWithoutARunnerFrame() throws IOException {
        Profile p = sparkLike(false);
        Profile stitched = Views.stitchPython(p, Views.SPARK_PYTHON_RUNNER);
        assertEquals(sorted(CollapsedFormatTest.write(p)), sorted(CollapsedFormatTest.write(stitched)));
        assertTrue(sorted(CollapsedFormatTest.write(stitched)).startsWith("Executor$TaskRunner.run;Socket.read 2\n"));
        assertTotalsEqual(p, stitched);
        // and the view of a profile without any Python instance is the profile itself
        Profile jvmOnly = CollapsedFormatTest.read("a;org.apache.spark.api.python.PythonRunner.x 3\n");
        assertSame(jvmOnly, Views.stitchPython(jvmOnly, Views.SPARK_PYTHON_RUNNER));
    }

    /** A JVM (pid 10, with or without Spark runner frames), another JVM, Python children of the first and an orphan. */
    private static Profile sparkLike(boolean runnerFrames) {
        Profile p = new Profile();
        int jvm = p.addInstance(InstanceInfo.newBuilder().setInstanceId(1).setHost("h").setPid(10).setService("etl").build());
        int other = p.addInstance(InstanceInfo.newBuilder().setInstanceId(2).setHost("h").setPid(20).setService("etl").build());
        int daemon = p.addInstance(InstanceInfo.newBuilder().setInstanceId(5).setHost("h").setPid(13).setService("etl")
                .setRuntime(FrameKind.PYTHON).setParentInstanceId(1).build());
        int py = p.addInstance(InstanceInfo.newBuilder().setInstanceId(3).setHost("h").setPid(11).setService("etl")
                .setRuntime(FrameKind.PYTHON).setParentInstanceId(5).build());
        int bare = p.addInstance(InstanceInfo.newBuilder().setInstanceId(6).setHost("h").setPid(14).setService("etl")
                .setRuntime(FrameKind.PYTHON).setParentInstanceId(1).build());
        int orphan = p.addInstance(InstanceInfo.newBuilder().setInstanceId(4).setHost("h").setPid(12).setService("etl")
                .setRuntime(FrameKind.PYTHON).setParentInstanceId(99).build());
        String reader = runnerFrames ? "org.apache.spark.api.python.BasePythonRunner$ReaderIterator.hasNext" : null;
        String[] writer = runnerFrames
                ? new String[] {"Thread.run", "org.apache.spark.api.python.BasePythonRunner$WriterThread.run",
                        "org.apache.spark.api.python.BasePythonRunner$WriterThread.$anonfun$run$1",
                        "org.apache.spark.api.python.PythonRDD$.writeIteratorToStream", "Socket.write"}
                : new String[] {"Thread.run", "Socket.write"};
        p.addSample(java(p, reader == null ? new String[] {"Executor$TaskRunner.run", "Socket.read"}
                : new String[] {"Executor$TaskRunner.run", reader, "Socket.read"}), jvm, EventType.CPU, 2, 0);
        p.addSample(java(p, writer), jvm, EventType.CPU, 6, 0);
        p.addSample(java(p, "Main.main"), other, EventType.CPU, 5, 0);
        p.addSample(new int[] {p.frame("[python pid 11]", FrameKind.PSEUDO, 0), p.frame("udf.score (udf.py)", FrameKind.PYTHON, 0)},
                py, EventType.CPU, 7, 0);
        p.addSample(new int[] {p.frame("[python pid 13]", FrameKind.PSEUDO, 0), p.frame("daemon.main (daemon.py)", FrameKind.PYTHON, 0)},
                daemon, EventType.CPU, 1, 0);
        p.addSample(new int[] {p.frame("udf.other (udf.py)", FrameKind.PYTHON, 0)}, bare, EventType.CPU, 4, 0);
        p.addSample(new int[] {p.frame("[python pid 12]", FrameKind.PSEUDO, 0)}, orphan, EventType.CPU, 2, 0);
        return p;
    }

    private static int[] java(Profile p, String... names) {
        int[] out = new int[names.length];
        for (int i = 0; i < names.length; i++) {
            out[i] = p.frame(names[i], FrameKind.JAVA, 0);
        }
        return out;
    }

    private static void assertTotalsEqual(Profile a, Profile b) {
        assertEquals(a.total(EventType.CPU, -1), b.total(EventType.CPU, -1));
        for (int i = 0; i < a.instances().size(); i++) {
            assertEquals(a.total(EventType.CPU, i), b.total(EventType.CPU, i), "instance " + i);
        }
    }

    private static String sorted(String collapsed) {
        return collapsed.lines().sorted().map(l -> l + "\n").reduce("", String::concat);
    }
}

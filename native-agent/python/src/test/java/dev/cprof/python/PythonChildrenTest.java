package dev.cprof.python;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PythonChildrenTest {

    /** bash → python: a grandchild of this JVM, found through the shell, reported once. */
    @Test
    void findsPythonThroughAShellAndReportsNewcomersOnce() throws Exception {
        String script = Pythons.splitScript().toString();
        // "; exit" keeps bash alive as the parent instead of exec-ing python in its place.
        Process bash1 = new ProcessBuilder("bash", "-c", "python3 " + script + " 20 >/dev/null; exit").start();
        Process bash2 = null;
        PythonChildren children = new PythonChildren((int) ProcessHandle.current().pid());
        try {
            int py1 = awaitPythonChild(children, bash1.pid());
            assertTrue(children.rescan().contains(py1), "first rescan reports it");
            assertFalse(children.rescan().contains(py1), "second rescan does not repeat it");

            bash2 = new ProcessBuilder("bash", "-c", "python3 " + script + " 20 >/dev/null; exit").start();
            int py2 = awaitPythonChild(children, bash2.pid());
            List<Integer> fresh = children.rescan();
            assertTrue(fresh.contains(py2) && !fresh.contains(py1), "only the newcomer: " + fresh);
            assertFalse(children.scan().contains((int) bash1.pid()), "bash is not python");
            assertTrue(children.rootAlive());
        } finally {
            killTree(bash1);
            if (bash2 != null) {
                killTree(bash2);
            }
        }
    }

    /** A JVM that spawns python (the PySpark shape): the worker is found under the JVM's pid. */
    @Test
    void findsThePythonWorkerOfAnotherJvm() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classes = Path.of(SpawnPython.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Process jvm = new ProcessBuilder(java, "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-Xmx32m", "-cp", classes,
                SpawnPython.class.getName(), "python3", Pythons.splitScript().toString(), "20")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            PythonChildren children = new PythonChildren((int) jvm.pid());
            Pythons.await("the JVM's python worker", 20_000, () -> !children.scan().isEmpty());
            Set<Integer> found = children.scan();
            assertEquals(1, found.size(), found.toString());
            int worker = found.iterator().next();
            assertEquals(jvm.pid(), ProcStat.read(worker).ppid());
            assertEquals(List.of(worker), children.rescan());
        } finally {
            killTree(jvm);
        }
    }

    private static int awaitPythonChild(PythonChildren children, long parent) throws InterruptedException {
        int[] found = {-1};
        Pythons.await("python under pid " + parent, 15_000, () -> {
            for (int pid : children.scan()) {
                ProcStat s = ProcStat.read(pid);
                if (s != null && s.ppid() == parent) {
                    found[0] = pid;
                    return true;
                }
            }
            return false;
        });
        return found[0];
    }

    private static void killTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }
}

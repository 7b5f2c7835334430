package dev.cprof.cli.doctor;

import dev.cprof.agent.JvmProcess;
import java.nio.file.Path;
import java.util.Optional;

/** Yama's kernel.yama.ptrace_scope: whether --python may read other processes' memory (process_vm_readv). */
public final class PtraceScopeCheck implements Check.Single {
    static final String NAME = "ptrace_scope";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() {
        Optional<Integer> v = Probes.readInt(Path.of("/proc/sys/kernel/yama/ptrace_scope"));
        boolean root = JvmProcess.selfUid() == 0;
        if (v.isEmpty()) {
            return Result.ok(NAME, "no Yama LSM: process_vm_readv (Python sampling) works for processes of the same"
                    + " user" + (root ? ", and as root for all" : ""));
        }
        int s = v.get();
        if (s >= 3) {
            return new Result(NAME, Status.WARN, s + ": ptrace is disabled for everyone, root included;"
                    + " --python cannot read Python processes", "the setting cannot be lowered without a reboot;"
                    + " boot with kernel.yama.ptrace_scope=1 where --python is needed");
        }
        if (s == 2 && !root) {
            return new Result(NAME, Status.WARN, s + ": only CAP_SYS_PTRACE may read other processes;"
                    + " --python cannot sample Python workers as this user",
                    "run cprof (or the peer) as root, or: sysctl kernel.yama.ptrace_scope=1");
        }
        String meaning = s == 0 ? "classic ptrace permissions" : s == 1 ? "descendants only, unless CAP_SYS_PTRACE"
                : "CAP_SYS_PTRACE only";
        return Result.ok(NAME, s + " (" + meaning + ")" + (root ? "; root may read every process" : "")
                + (s == 1 && !root ? "; the peer samples Python children of JVMs it did not start only as root" : ""));
    }
}

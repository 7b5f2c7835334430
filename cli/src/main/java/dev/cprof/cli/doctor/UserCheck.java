package dev.cprof.cli.doctor;

import dev.cprof.agent.JvmProcess;

/** Who runs cprof, and so whose JVMs it can attach to. */
public final class UserCheck implements Check.Single {
    static final String NAME = "user";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Result result() {
        int uid = JvmProcess.selfUid();
        String name = System.getProperty("user.name", "?");
        if (uid == 0) {
            return Result.ok(NAME, "root: can attach to the JVMs of every user (through jattach; each loads a copy of the agent"
                    + " in its own /tmp, see agent-copy)");
        }
        return Result.ok(NAME, name + " (uid " + uid + "): can attach to JVMs of uid " + uid + " only;"
                + " run as root (with jattach) to reach every JVM");
    }
}

package dev.cprof.cli;

import dev.cprof.discovery.registry.SessionNode;
import dev.cprof.discovery.registry.SessionRecord;
import dev.cprof.discovery.registry.ZkPaths;
import dev.cprof.profile.Json;
import dev.cprof.session.ExitCodes;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.curator.framework.CuratorFramework;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cprof sessions}: who profiles what right now, from the session znodes. */
@Command(
        name = "sessions",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Lists the active profiling sessions, for audit: who, from which host, which service and"
                    + " events, since and until when.",
            "",
            "Every 'cprof attach --service --zk' keeps an ephemeral znode under /cprof/v1/sessions"
                    + " while it runs; peers stop profiling for a session whose znode is gone. The znode of a"
                    + " CLI that died without ending its session (kill -9, a lost host) is listed until"
                    + " ZooKeeper expires its session, about 10 s later.",
        })
final class SessionsCommand implements Callable<Integer> {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneId.systemDefault());

    @Mixin
    ZkOptions zk;

    @Option(names = "--json", description = "Print a JSON array of sessions to stdout (for scripts).")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (!zk.hasZk()) {
            throw new CliException(ExitCodes.USAGE, "missing --zk CONNECT: sessions are kept in ZooKeeper (" + ZkPaths.SESSIONS + ")");
        }
        List<SessionRecord> sessions;
        try (CuratorFramework client = zk.connectOrFail()) {
            sessions = new ArrayList<>(SessionNode.list(client));
        }
        sessions.sort(Comparator.comparingLong(SessionRecord::startMs).thenComparing(SessionRecord::id));
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            List<Object> list = new ArrayList<>();
            for (SessionRecord s : sessions) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", s.id());
                m.put("user", s.user());
                m.put("host", s.host());
                m.put("service", s.service());
                m.put("events", List.of(s.events().isEmpty() ? new String[0] : s.events().split(",")));
                m.put("start_ms", s.startMs());
                m.put("planned_end_ms", s.plannedEndMs());
                list.add(m);
            }
            out.println(Json.write(list));
        } else if (sessions.isEmpty()) {
            spec.commandLine().getErr().println("cprof: no active sessions on ZooKeeper " + zk.connectString());
        } else {
            List<String[]> table = new ArrayList<>();
            table.add(new String[] {"ID", "USER", "FROM", "SERVICE", "EVENTS", "SINCE", "UNTIL"});
            for (SessionRecord s : sessions) {
                table.add(new String[] {s.id(), s.user(), s.host(), s.service(), s.events(), time(s.startMs()), time(s.plannedEndMs())});
            }
            Table.print(out, table);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static String time(long ms) {
        return ms > 0 ? TIME.format(Instant.ofEpochMilli(ms)) : "?";
    }
}

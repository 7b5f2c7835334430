package dev.cprof.cli;

import dev.cprof.discovery.local.JvmInfo;
import dev.cprof.discovery.local.LocalJvms;
import dev.cprof.discovery.local.NamingRules;
import dev.cprof.discovery.local.ServiceNamer;
import dev.cprof.discovery.peer.Peer;
import dev.cprof.discovery.registry.FleetView;
import dev.cprof.discovery.registry.InstanceRecord;
import dev.cprof.discovery.registry.ZkPaths;
import dev.cprof.profile.Json;
import dev.cprof.session.ExitCodes;
import java.io.PrintWriter;
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

/** {@code cprof list}: the instances of every service (or one), from ZooKeeper or on this host. */
@Command(
        name = "list",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Lists the instances per service, with host, pid, JDK and uptime.",
            "",
            "With --zk, the fleet as the peers registered it in ZooKeeper. Without it, the JVMs of"
                    + " this host, named by -Dcprof.service or CPROF_SERVICE; the others are listed under"
                    + " (unnamed). Exit 4 when --service names a service without instances.",
        })
final class ListCommand implements Callable<Integer> {
    static final String UNNAMED = "(unnamed)";

    @Option(names = {"-s", "--service"}, paramLabel = "SERVICE", description = "Only this service.")
    String service;

    @Mixin
    ZkOptions zk;

    @Option(names = "--json", description = "Print a JSON array of instances to stdout (for scripts).")
    boolean json;

    @Spec
    CommandSpec spec;

    /** One row of the listing. {@code service} is null for an unnamed local JVM. */
    record Row(String service, String host, long pid, String jdk, long startMs, String main) {}

    @Override
    public Integer call() throws Exception {
        List<Row> rows = zk.hasZk() ? fromZooKeeper() : local();
        if (service != null) {
            rows.removeIf(r -> !service.equals(r.service()));
        }
        rows.sort(Comparator.comparing((Row r) -> r.service() == null ? "\uffff" : r.service())
                .thenComparing(Row::host).thenComparingLong(Row::pid));
        PrintWriter out = spec.commandLine().getOut();
        long now = System.currentTimeMillis();
        if (json) {
            List<Object> list = new ArrayList<>();
            for (Row r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("service", r.service());
                m.put("host", r.host());
                m.put("pid", r.pid());
                m.put("jdk", r.jdk());
                m.put("start_ms", r.startMs());
                m.put("uptime_s", r.startMs() > 0 ? (now - r.startMs()) / 1000 : null);
                m.put("main", r.main());
                list.add(m);
            }
            out.println(Json.write(list));
        } else if (!rows.isEmpty()) {
            List<String[]> table = new ArrayList<>();
            table.add(new String[] {"SERVICE", "HOST", "PID", "JDK", "UPTIME", "MAIN"});
            for (Row r : rows) {
                table.add(new String[] {r.service() == null ? UNNAMED : r.service(), r.host(), Long.toString(r.pid()),
                        r.jdk().isEmpty() ? "?" : r.jdk(), r.startMs() > 0 ? uptime(now - r.startMs()) : "?", r.main()});
            }
            Table.print(out, table);
        }
        out.flush();
        if (rows.isEmpty() && service != null) {
            throw new CliException(ExitCodes.NOTHING_FOUND, zk.hasZk()
                    ? "no instance of service '" + service + "' under " + ZkPaths.service(service) + " on ZooKeeper " + zk.connectString()
                    : "no JVM of service '" + service + "' on this host (looked at -D" + ServiceNamer.PROPERTY + " and "
                            + ServiceNamer.ENV + "; give --zk to search the fleet)");
        }
        if (rows.isEmpty() && !json) {
            spec.commandLine().getErr().println(zk.hasZk() ? "cprof: no instances registered under " + ZkPaths.SERVICES
                    + " on ZooKeeper " + zk.connectString() : "cprof: no JVMs on this host");
        }
        return ExitCodes.OK;
    }

    private List<Row> fromZooKeeper() throws Exception {
        List<Row> rows = new ArrayList<>();
        try (CuratorFramework client = zk.connectOrFail()) {
            FleetView fleet = new FleetView(client);
            Map<String, List<InstanceRecord>> all = service != null
                    ? Map.of(service, fleet.instances(ZkPaths.checkName(service))) : fleet.all();
            for (List<InstanceRecord> list : all.values()) {
                for (InstanceRecord i : list) {
                    rows.add(new Row(i.service(), i.host(), i.pid(), i.jdkVersion(), i.startTimeMs(), i.mainClass()));
                }
            }
        }
        return rows;
    }

    private static List<Row> local() {
        ServiceNamer namer = new ServiceNamer(NamingRules.none(), null);
        String host = Peer.defaultHost();
        List<Row> rows = new ArrayList<>();
        try (LocalJvms jvms = new LocalJvms().start()) {
            for (JvmInfo j : jvms.snapshot()) {
                rows.add(new Row(namer.name(j).orElse(null), host, j.pid(), j.jdkVersion(), j.startTimeMs(), j.mainClass()));
            }
        }
        return rows;
    }

    /** 42s, 5m03s, 2h05m, 3d04h. */
    static String uptime(long ms) {
        long s = Math.max(0, ms / 1000);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(java.util.Locale.ROOT, "%dm%02ds", s / 60, s % 60);
        }
        if (s < 86400) {
            return String.format(java.util.Locale.ROOT, "%dh%02dm", s / 3600, s % 3600 / 60);
        }
        return String.format(java.util.Locale.ROOT, "%dd%02dh", s / 86400, s % 86400 / 3600);
    }
}

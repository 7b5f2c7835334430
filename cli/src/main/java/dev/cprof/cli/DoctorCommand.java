package dev.cprof.cli;

import dev.cprof.cli.doctor.AgentCopyCheck;
import dev.cprof.cli.doctor.AgentLibraryCheck;
import dev.cprof.cli.doctor.Check;
import dev.cprof.cli.doctor.JattachCheck;
import dev.cprof.cli.doctor.JdkCheck;
import dev.cprof.cli.doctor.JvmsCheck;
import dev.cprof.cli.doctor.KptrRestrictCheck;
import dev.cprof.cli.doctor.PerfEventParanoidCheck;
import dev.cprof.cli.doctor.PprofCheck;
import dev.cprof.cli.doctor.PtraceScopeCheck;
import dev.cprof.cli.doctor.PythonCheck;
import dev.cprof.cli.doctor.Report;
import dev.cprof.cli.doctor.Status;
import dev.cprof.cli.doctor.TmpDirCheck;
import dev.cprof.cli.doctor.UserCheck;
import dev.cprof.cli.doctor.ZooKeeperCheck;
import dev.cprof.session.ExitCodes;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code cprof doctor}: what works on this machine, one line per check (ok, warn or fail) with a
 * hint how to fix what does not. Reads files and runs small tools only; never attaches to a JVM and
 * never loads the agent into its own JVM. Each check is a class of {@code dev.cprof.cli.doctor}.
 */
@Command(
        name = "doctor",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        sortOptions = false,
        description = {
            "Checks what works here: jattach, the agent library and where other users' JVMs load their copy"
                    + " of it (/tmp), the kernel's perf and ptrace settings,"
                    + " the JDKs installed, the JVMs running and whether they can be attached, the tmp dir"
                    + " (the agent's control socket lives there), Python for --python, go tool pprof and,"
                    + " with --zk, ZooKeeper and the peers registered there.",
            "",
            "One line per check: ok, warn (works, with a limit) or fail (cprof cannot work), each warn"
                    + " and fail with a hint. Exit code 1 when a check fails, else 0.",
        })
final class DoctorCommand implements Callable<Integer> {
    @Option(names = "--zk", paramLabel = "CONNECT",
            description = "Also check this ZooKeeper (host:port[,host:port…][/chroot]): connect time, /cprof/v1 and the peers.")
    String zk;

    @Option(names = "--json", description = "Print one JSON object ({\"checks\": [{name, status, detail, hint}…], …}) instead of the lines.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Report report = Report.run(checks());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            report.printJson(out);
        } else {
            report.printText(out);
        }
        out.flush();
        return report.count(Status.FAIL) > 0 ? ExitCodes.FAILED : ExitCodes.OK;
    }

    /** The checks in the order of their lines; ZooKeeper only with --zk. */
    private List<Check> checks() {
        List<Check> checks = new ArrayList<>(List.of(new JattachCheck(), new AgentLibraryCheck(), new UserCheck(),
                new AgentCopyCheck(), new PerfEventParanoidCheck(), new KptrRestrictCheck(), new PtraceScopeCheck(),
                new JdkCheck(), new JvmsCheck(), new TmpDirCheck()));
        if (zk != null) {
            checks.add(new ZooKeeperCheck(zk));
        }
        checks.add(new PythonCheck());
        checks.add(new PprofCheck());
        return checks;
    }
}

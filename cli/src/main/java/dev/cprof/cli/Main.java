package dev.cprof.cli;

import dev.cprof.session.ExitCodes;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine;

/** The {@code cprof} command: picocli entry point, global options, error handling. */
@Command(
        name = "cprof",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        synopsisSubcommandLabel = "COMMAND",
        description = {
            "Profiles a fleet of JVMs from one command and writes flame graphs.",
            "",
            "Profile one JVM (attach --pid), every JVM of a service on this host (attach --service) or"
                    + " in the whole fleet (attach --service --zk, with 'cprof peer' on each host). 'cprof demo'"
                    + " shows the whole path on one machine.",
        },
        commandListHeading = "%nCommands:%n",
        subcommands = {AttachCommand.class, TopCommand.class, ListCommand.class, SessionsCommand.class, PeerCommand.class, ConvertCommand.class,
            DiffCommand.class, DemoCommand.class, DoctorCommand.class, HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            ExitCodes.OK + ":done",
            ExitCodes.FAILED + ":failed (bad input, I/O error, profiling failure)",
            ExitCodes.USAGE + ":usage error (unknown option, missing or malformed argument)",
            ExitCodes.PARTIAL + ":partial: some instances failed, the rest was written",
            ExitCodes.NOTHING_FOUND + ":nothing found to profile",
            ExitCodes.REGRESSION + ":diff --fail-on found a regression",
        },
        footerHeading = "%n",
        footer = "Run 'cprof help COMMAND' for a command's options. Errors are one line on stderr;"
                + " --debug adds the stack trace.")
public final class Main implements Callable<Integer> {

    @Option(names = "--debug", scope = ScopeType.INHERIT,
            description = "On an error, print the stack trace as well as the one-line message.")
    boolean debug;

    @Spec
    CommandSpec spec;

    /** Standard output as bytes, for binary output ({@code -o -}); tests replace it. */
    private PrintStream stdout = System.out;

    public static void main(String[] args) {
        System.exit(run(System.out, System.err, args));
    }

    /** Runs one command line with the given streams and returns its exit code. */
    public static int run(PrintStream out, PrintStream err, String... args) {
        return commandLine(out, err).execute(args);
    }

    /** The configured command line: streams, handlers, hidden helpers. */
    public static CommandLine commandLine(PrintStream out, PrintStream err) {
        Main main = new Main();
        main.stdout = out;
        CommandLine cl = new CommandLine(main);
        CommandLine completion = new CommandLine(new AutoComplete.GenerateCompletion());
        completion.getCommandSpec().usageMessage().hidden(true);
        cl.addSubcommand("generate-completion", completion);
        cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true));
        cl.setErr(new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setParameterExceptionHandler(new ErrorHandler());
        return cl;
    }

    /** The Main instance at the root of a command's spec tree. */
    static Main of(CommandSpec spec) {
        return (Main) spec.root().userObject();
    }

    /** Standard output as a byte stream. */
    PrintStream stdout() {
        return stdout;
    }

    @Override
    public Integer call() {
        // no subcommand: say what there is, as a usage error
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}

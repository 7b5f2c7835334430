package dev.cprof.cli;

import dev.cprof.profile.SafeText;
import dev.cprof.session.ExitCodes;
import dev.cprof.session.SessionException;
import java.io.FileNotFoundException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;
import picocli.CommandLine;

/**
 * Turns every failure into one line on stderr, {@code cprof: <message>}, and an exit code;
 * with {@code --debug} (or {@code CPROF_DEBUG=1}) the stack trace comes first.
 */
public final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        PrintWriter err = cl.getErr();
        if (debugRequested(args)) {
            ex.printStackTrace(err);
        }
        err.println("cprof: " + SafeText.escape(usageMessage(ex)));
        err.flush();
        return ExitCodes.USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        if (debug(parseResult)) {
            ex.printStackTrace(err);
        }
        int code;
        String message;
        if (ex instanceof ParameterException pe) {
            code = ExitCodes.USAGE;
            message = usageMessage(pe);
        } else if (ex instanceof SessionException ce) { // CliException too
            code = ce.exitCode();
            message = ce.getMessage();
        } else {
            code = ExitCodes.FAILED;
            message = describe(ex);
        }
        err.println("cprof: " + SafeText.escape(message)); // messages quote files, frames and remote errors
        err.flush();
        return code;
    }

    /** One line for any failure that is not a {@link SessionException}. */
    public static String describe(Throwable t) {
        if (t instanceof UncheckedIOException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof NoSuchFileException e) {
            return "no such file: " + e.getFile();
        }
        if (t instanceof AccessDeniedException e) {
            return "permission denied: " + e.getFile();
        }
        if (t instanceof FileSystemException e) {
            return e.getFile() + ": " + (e.getReason() != null ? e.getReason() : e.getClass().getSimpleName());
        }
        if (t instanceof FileNotFoundException) {
            return oneLine(t.getMessage());
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory; give the JVM more with CPROF_JAVA_OPTS=-Xmx4g";
        }
        if (t instanceof java.io.IOException) {
            return t.getMessage() != null ? oneLine(t.getMessage()) : "I/O error (" + t.getClass().getSimpleName() + ")";
        }
        String m = t.getMessage();
        return (m != null && !m.isBlank() ? oneLine(m) + " (" + t.getClass().getSimpleName() + ")" : t.getClass().getName())
                + "; this is a bug in cprof, --debug shows where";
    }

    private static String usageMessage(ParameterException ex) {
        StringBuilder sb = new StringBuilder(oneLine(ex.getMessage()));
        if (ex instanceof UnmatchedArgumentException u) {
            List<String> suggestions = u.getSuggestions();
            if (!suggestions.isEmpty()) {
                sb.append("; did you mean ").append(String.join(" or ", suggestions)).append('?');
            }
        }
        sb.append(" (see '").append(ex.getCommandLine().getCommandSpec().qualifiedName()).append(" --help')");
        return sb.toString();
    }

    private static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }

    private static boolean debug(ParseResult pr) {
        if (envDebug()) {
            return true;
        }
        for (ParseResult r = pr; r != null; r = r.subcommand()) {
            if (r.hasMatchedOption("--debug")) {
                return true;
            }
        }
        return false;
    }

    private static boolean debugRequested(String[] args) {
        if (envDebug()) {
            return true;
        }
        for (String a : args) {
            if ("--debug".equals(a)) {
                return true;
            }
            if ("--".equals(a)) {
                break;
            }
        }
        return false;
    }

    private static boolean envDebug() {
        String v = System.getenv("CPROF_DEBUG");
        return v != null && !v.isEmpty() && !"0".equals(v);
    }
}

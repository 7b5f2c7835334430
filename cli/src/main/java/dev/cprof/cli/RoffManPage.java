package dev.cprof.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Help;
import picocli.CommandLine.Help.Ansi;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/** Renders one command of the picocli model as a roff man page (section 1), for {@code man -l}. */
final class RoffManPage {
    private RoffManPage() {}

    /** The page name of a command: {@code cprof}, {@code cprof-convert}, ... */
    static String pageName(CommandSpec spec) {
        return spec.qualifiedName("-");
    }

    /** The visible commands of a tree, root first, depth first. */
    static List<CommandSpec> visibleCommands(CommandSpec root) {
        List<CommandSpec> out = new ArrayList<>();
        collect(root, out);
        return out;
    }

    private static void collect(CommandSpec spec, List<CommandSpec> out) {
        out.add(spec);
        for (Map.Entry<String, CommandLine> e : spec.subcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            // aliases map to the same spec: visit each command once, under its own name
            if (!sub.usageMessage().hidden() && e.getKey().equals(sub.name())) {
                collect(sub, out);
            }
        }
    }

    static void write(CommandSpec spec, String version, PrintWriter w) {
        String name = pageName(spec);
        String[] desc = spec.usageMessage().description();
        w.println(".\\\" Generated from the picocli model by dev.cprof.cli.GenerateDocs; do not edit.");
        w.println(".TH \"" + esc(name.toUpperCase(java.util.Locale.ROOT)) + "\" \"1\" \"\" \"cprof " + esc(version) + "\" \"cprof Manual\"");
        w.println(".SH NAME");
        w.println(esc(name) + " \\- " + esc(desc.length > 0 ? firstSentence(desc[0]) : ""));

        w.println(".SH SYNOPSIS");
        Help help = new Help(spec, Help.defaultColorScheme(Ansi.OFF));
        w.println(".nf");
        for (String line : help.synopsis(0).stripTrailing().split("\n")) {
            w.println(text(line));
        }
        w.println(".fi");

        if (desc.length > 0) {
            w.println(".SH DESCRIPTION");
            paragraphs(desc, w);
        }

        List<PositionalParamSpec> positionals = new ArrayList<>();
        for (PositionalParamSpec p : spec.positionalParameters()) {
            if (!p.hidden()) {
                positionals.add(p);
            }
        }
        if (!positionals.isEmpty()) {
            w.println(".SH ARGUMENTS");
            for (PositionalParamSpec p : positionals) {
                w.println(".TP");
                w.println("\\fI" + esc(p.paramLabel()) + "\\fR");
                w.println(text(String.join(" ", p.description())));
            }
        }

        List<OptionSpec> options = new ArrayList<>();
        for (OptionSpec o : spec.options()) {
            if (!o.hidden()) {
                options.add(o);
            }
        }
        if (!options.isEmpty()) {
            w.println(".SH OPTIONS");
            for (OptionSpec o : options) {
                w.println(".TP");
                StringBuilder sb = new StringBuilder();
                for (String n : o.names()) {
                    sb.append(sb.length() == 0 ? "" : ", ").append("\\fB").append(esc(n)).append("\\fR");
                }
                if (o.arity().max() > 0) {
                    sb.append("=\\fI").append(esc(o.paramLabel())).append("\\fR");
                }
                w.println(sb);
                w.println(text(String.join(" ", o.description())));
            }
        }

        List<CommandSpec> subs = new ArrayList<>();
        for (Map.Entry<String, CommandLine> e : spec.subcommands().entrySet()) {
            CommandSpec sub = e.getValue().getCommandSpec();
            if (!sub.usageMessage().hidden() && e.getKey().equals(sub.name())) {
                subs.add(sub);
            }
        }
        if (!subs.isEmpty()) {
            w.println(".SH COMMANDS");
            for (CommandSpec sub : subs) {
                w.println(".TP");
                w.println("\\fB" + esc(sub.name()) + "\\fR");
                String[] d = sub.usageMessage().description();
                w.println(text((d.length > 0 ? d[0] : "") + " See " + pageName(sub) + "(1)."));
            }
        }

        Map<String, String> exits = spec.root().usageMessage().exitCodeList();
        if (!exits.isEmpty()) {
            w.println(".SH EXIT STATUS");
            for (Map.Entry<String, String> e : exits.entrySet()) {
                w.println(".TP");
                w.println("\\fB" + esc(e.getKey().strip()) + "\\fR");
                w.println(text(e.getValue()));
            }
        }

        String[] footer = spec.root().usageMessage().footer();
        if (spec.root() == spec && footer.length > 0) {
            w.println(".SH NOTES");
            paragraphs(footer, w);
        }

        w.println(".SH SEE ALSO");
        List<String> see = new ArrayList<>();
        if (spec.parent() != null) {
            see.add(pageName(spec.parent()));
        }
        for (CommandSpec sub : subs) {
            see.add(pageName(sub));
        }
        if (see.isEmpty()) {
            see.add("cprof");
        }
        StringBuilder sb = new StringBuilder();
        for (String s : see) {
            sb.append(sb.length() == 0 ? "" : ", ").append("\\fB").append(esc(s)).append("\\fR(1)");
        }
        w.println(sb);
    }

    private static void paragraphs(String[] lines, PrintWriter w) {
        StringBuilder para = new StringBuilder();
        boolean first = true;
        for (String raw : lines) {
            String line = String.format(raw); // picocli descriptions use %n
            for (String part : line.split("\\R", -1)) {
                if (part.isBlank()) {
                    first = flush(para, first, w);
                } else {
                    para.append(para.length() == 0 ? "" : " ").append(part.strip());
                }
            }
        }
        flush(para, first, w);
    }

    private static boolean flush(StringBuilder para, boolean first, PrintWriter w) {
        if (para.length() == 0) {
            return first;
        }
        if (!first) {
            w.println(".PP");
        }
        w.println(text(para.toString()));
        para.setLength(0);
        return false;
    }

    private static String firstSentence(String s) {
        String t = s.strip();
        return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
    }

    /** Escapes roff specials inside a line. */
    static String esc(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }

    /** A text line: escaped, and never starting with a control character. */
    static String text(String s) {
        String e = esc(s);
        return e.startsWith(".") || e.startsWith("'") ? "\\&" + e : e;
    }
}

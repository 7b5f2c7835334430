package dev.cprof.discovery.local;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code --rules} file: lines {@code regex = service}, first match wins, '#' starts a comment.
 * The regex is searched (not anchored) in the main class or jar path, so {@code checkout-.*\.jar}
 * matches {@code /opt/app/checkout-1.2.jar}; anchor with ^ and $ for an exact match.
 */
public final class NamingRules {
    private record Rule(Pattern pattern, String service) {}

    private final List<Rule> rules;

    private NamingRules(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    public static NamingRules none() {
        return new NamingRules(List.of());
    }

    /** Loads a rules file; a bad line is an error naming the file and line, never skipped silently. */
    public static NamingRules load(Path file) throws IOException {
        return parse(Files.readAllLines(file, StandardCharsets.UTF_8), file.toString());
    }

    public static NamingRules parse(List<String> lines, String source) {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            // the service name cannot contain '=', the regex may: split at the last one
            int eq = line.lastIndexOf('=');
            String where = source + ":" + (i + 1) + ": ";
            if (eq <= 0) {
                throw new IllegalArgumentException(where + "expected 'regex = service', got '" + line + "'");
            }
            String regex = line.substring(0, eq).strip();
            String service = line.substring(eq + 1).strip();
            try {
                NodeNames.check(service);
                rules.add(new Rule(Pattern.compile(regex), service));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException(where + "bad regex: " + e.getDescription());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(where + e.getMessage());
            }
        }
        return new NamingRules(rules);
    }

    public Optional<String> match(String mainClassOrJar) {
        if (mainClassOrJar == null || mainClassOrJar.isEmpty()) {
            return Optional.empty();
        }
        for (Rule r : rules) {
            if (r.pattern().matcher(mainClassOrJar).find()) {
                return Optional.of(r.service());
            }
        }
        return Optional.empty();
    }
}

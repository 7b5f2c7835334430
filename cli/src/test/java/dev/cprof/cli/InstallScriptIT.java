package dev.cprof.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * scripts/install.sh into a temporary prefix, after package (it installs the shaded jar and the
 * completion script that package writes); then the installed launcher, man pages and completion.
 */
class InstallScriptIT {
    static final Path REPO = TargetProcess.testClasses().resolve("../../..").normalize();

    @TempDir
    Path prefix;

    static ScriptRun run(List<String> cmd, java.util.Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        pb.environment().putAll(env);
        return ScriptRun.of(pb, 300);
    }

    @Test
    void installsLauncherManPagesAndCompletion() throws Exception {
        Path jar = REPO.resolve("cli/target/cprof.jar");
        if (!Files.isRegularFile(jar) && System.getenv("CI") == null) {
            System.err.println("InstallScriptIT: skipped, " + jar + " is not built (mvn -pl cli package)");
            Assumptions.abort(jar + " is not built");
        }
        assertTrue(Files.isRegularFile(jar), "package builds " + jar);

        // CPROF_NO_BUILD: the jar package just made; never a Maven build inside this one
        ScriptRun install = run(List.of(REPO.resolve("scripts/install.sh").toString(), prefix.toString()),
                java.util.Map.of("CPROF_NO_BUILD", "1"));
        assertEquals(0, install.code(), install.out() + install.err());
        Path launcher = prefix.resolve("bin/cprof");
        assertEquals(launcher.toString(), install.out().strip());
        assertTrue(Files.isExecutable(launcher), launcher.toString());
        assertTrue(Files.isRegularFile(prefix.resolve("lib/cprof/cprof.jar")));

        ScriptRun version = run(List.of(launcher.toString(), "--version"), java.util.Map.of());
        assertEquals(0, version.code(), version.err());
        assertTrue(version.out().startsWith("cprof "), version.out());
        assertTrue(Files.readString(launcher).contains("-XX:+UseSerialGC"), "the launcher's JVM defaults");

        for (String page : List.of("cprof.1", "cprof-attach.1", "cprof-convert.1")) {
            Path installed = prefix.resolve("share/man/man1/" + page);
            assertTrue(Files.isRegularFile(installed), installed.toString());
            assertEquals(Files.readString(REPO.resolve("man/" + page)), Files.readString(installed), page);
        }

        Path bash = prefix.resolve("share/bash-completion/completions/cprof");
        assertTrue(Files.readString(bash).contains("complete -F _complete_cprof"), bash.toString());
        // the completion completes: 'cprof at<TAB>' → attach
        ScriptRun complete = run(List.of("bash", "-c", "source '" + bash + "'; COMP_WORDS=(cprof at); COMP_CWORD=1;"
                + " COMP_LINE='cprof at'; COMP_POINT=8; _complete_cprof; echo \"${COMPREPLY[@]}\""), java.util.Map.of());
        assertEquals(0, complete.code(), complete.err());
        assertTrue(complete.out().contains("attach"), complete.out());

        String zsh = Files.readString(prefix.resolve("share/zsh/site-functions/_cprof"));
        assertTrue(zsh.startsWith("#compdef cprof\n"), zsh);
        assertTrue(zsh.contains("bashcompinit") && zsh.contains("source '" + bash.toRealPath() + "'"), zsh);
    }
}

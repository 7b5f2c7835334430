package dev.cprof.cli.doctor;

import dev.cprof.cli.ErrorHandler;
import dev.cprof.profile.Json;
import dev.cprof.profile.SafeText;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The lines of the checks run in order, printed as text or as one JSON object. */
public final class Report {
    private final List<Result> results;
    private final int[] counts = new int[Status.values().length];

    private Report(List<Result> results) {
        this.results = results;
        for (Result r : results) {
            counts[r.status().ordinal()]++;
        }
    }

    /** Runs each check in turn; one that throws becomes a warn line naming the error: the doctor itself never crashes. */
    public static Report run(List<Check> checks) {
        List<Result> results = new ArrayList<>();
        for (Check c : checks) {
            results.addAll(guard(c));
        }
        return new Report(results);
    }

    private static List<Result> guard(Check check) {
        try {
            return check.run();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of(new Result(check.name(), Status.WARN, "interrupted", null));
        } catch (Exception | LinkageError e) {
            return List.of(new Result(check.name(), Status.WARN, "could not check: " + ErrorHandler.describe(e), null));
        }
    }

    public int count(Status status) {
        return counts[status.ordinal()];
    }

    /** {"checks": [{name, status, detail, hint}…], "ok": n, "warn": n, "fail": n} on one line. */
    public void printJson(PrintWriter out) {
        Map<String, Object> doc = new LinkedHashMap<>();
        List<Object> list = new ArrayList<>();
        results.forEach(r -> list.add(r.toMap()));
        doc.put("checks", list);
        doc.put("ok", count(Status.OK));
        doc.put("warn", count(Status.WARN));
        doc.put("fail", count(Status.FAIL));
        out.println(Json.write(doc));
    }

    /** One line per result, a hint line under each warn and fail that has one, then the tally. */
    public void printText(PrintWriter out) {
        int width = results.stream().mapToInt(r -> r.name().length()).max().orElse(8);
        for (Result r : results) {
            out.printf(Locale.ROOT, "%-4s  %-" + width + "s  %s%n", r.status().label(), r.name(), SafeText.escape(r.detail())); // JVMs' main classes: other users' data
            if (r.hint() != null && r.status() != Status.OK) {
                out.printf(Locale.ROOT, "%-4s  %-" + width + "s  hint: %s%n", "", "", SafeText.escape(r.hint()));
            }
        }
        out.printf(Locale.ROOT, "%d ok, %d warn, %d fail%n", count(Status.OK), count(Status.WARN), count(Status.FAIL));
    }
}

package dev.cprof.cli.doctor;

import java.util.LinkedHashMap;
import java.util.Map;

/** One line of the report; {@code hint} is null when there is nothing to do. */
public record Result(String name, Status status, String detail, String hint) {
    public static Result ok(String name, String detail) {
        return new Result(name, Status.OK, detail, null);
    }

    /** The line as an object of {@code --json}, keys in this order. */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("status", status.label());
        m.put("detail", detail);
        m.put("hint", hint);
        return m;
    }
}

package dev.cprof.profile;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Interned strings; id 0 is always the empty string, as in pprof. */
public final class StringTable {
    private final List<String> byId = new ArrayList<>();
    private final Map<String, Integer> ids = new HashMap<>();

    public StringTable() {
        intern("");
    }

    public int intern(String s) {
        Integer id = ids.get(s);
        if (id == null) {
            id = byId.size();
            byId.add(s);
            ids.put(s, id);
        }
        return id;
    }

    public String get(int id) {
        return byId.get(id);
    }

    public int size() {
        return byId.size();
    }
}

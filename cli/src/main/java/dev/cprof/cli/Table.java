package dev.cprof.cli;

import dev.cprof.profile.SafeText;
import java.io.PrintWriter;
import java.util.List;

/** A plain text table: columns padded to their widest cell, two spaces apart, the last one unpadded. */
final class Table {
    private Table() {}

    static void print(PrintWriter out, List<String[]> rows) {
        // cells hold ZooKeeper data, frame names and labels: escaped before measuring
        rows = rows.stream().map(r -> java.util.Arrays.stream(r).map(SafeText::escape).toArray(String[]::new)).toList();
        int columns = rows.get(0).length;
        int[] width = new int[columns];
        for (String[] r : rows) {
            for (int c = 0; c < columns; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < columns; c++) {
                sb.append(c == columns - 1 ? r[c] : pad(r[c], width[c] + 2));
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    private static String pad(String s, int width) {
        return s + " ".repeat(Math.max(0, width - s.length()));
    }
}

package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void escapesWhatJsonRequires() {
        assertEquals("\"plain com.shop.Cart$1.<init>\"", Json.string("plain com.shop.Cart$1.<init>"));
        assertEquals("\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f\"", Json.string("q\" b\\ n\n r\r t\t b\b f\f"));
        assertEquals("\"\\u0000\\u001f\\u007f\\u2028\\u2029\"", Json.string("\u0000\u001f\u007f\u2028\u2029"));
        assertEquals("\"\u00e9\u4e2d\ud83d\ude00\"", Json.string("\u00e9\u4e2d\ud83d\ude00"), "valid pairs stay");
        assertEquals("\"\\ud83d x \\ude00\"", Json.string("\ud83d x \ude00"), "lone surrogates are escaped");
        assertEquals("\"\"", Json.string(""));
    }

    @Test
    void numbersArePlainAndFinite() {
        assertEquals("3.1", Json.number(3.1, 6));
        assertEquals("-0.333333", Json.number(-1.0 / 3, 6));
        assertEquals("0", Json.number(-0.0000001, 6));
        assertEquals("12345678901", Json.number(12345678901.0, 6));
        assertEquals("0.000001", Json.number(1e-6, 6));
        assertEquals("null", Json.number(Double.POSITIVE_INFINITY, 6));
        assertEquals("null", Json.number(Double.NaN, 6));
    }

    @Test
    void htmlSafeLiteralsCannotCloseAScriptElement() throws Exception {
        StringBuilder sb = new StringBuilder();
        Json.string(sb, "</script><b>&amp;", true);
        assertEquals("\"\\u003c/script\\u003e\\u003cb\\u003e\\u0026amp;\"", sb.toString());
        sb.setLength(0);
        Json.string(sb, "a<b", false);
        assertEquals("\"a<b\"", sb.toString(), "plain JSON leaves < alone");
    }

    @Test
    void writesMapsListsAndScalars() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", 3);
        m.put("d", 1.5);
        m.put("inf", Double.POSITIVE_INFINITY);
        m.put("s", "q\"");
        m.put("l", List.of(true, "x"));
        m.put("none", null);
        assertEquals("{\"n\":3,\"d\":1.5,\"inf\":null,\"s\":\"q\\\"\",\"l\":[true,\"x\"],\"none\":null}", Json.write(m));
    }
}

package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

class SafeTextTest {
    @Test
    void plainTextIsReturnedAsItIs() {
        String s = "com.shop.Checkout.price(Checkout.java:42) → ünïcode ✓";
        assertSame(s, SafeText.escape(s));
    }

    @Test
    void everyC0ControlDelAndC1IsEscaped() {
        assertEquals("a\\x1b[31mb\\x1b]0;t\\x07c", SafeText.escape("a\u001b[31mb\u001b]0;t\u0007c"));
        assertEquals("\\x00\\x1f\\x7f\\x80\\x9b\\x9f\u00a0", SafeText.escape("\u0000\u001f\u007f\u0080\u009b\u009f\u00a0"));
        assertEquals("one\\ntwo\\r\\tthree", SafeText.escape("one\ntwo\r\tthree"));
    }

    @Test
    void jsonEscapesC1AsWell() {
        // --json output reaches terminals too: a C1 CSI (U+009B) must not go out raw
        assertEquals("\"a\\u001b[31m\\u009b2J\\u007f\"", Json.string("a\u001b[31m\u009b2J\u007f"));
    }
}

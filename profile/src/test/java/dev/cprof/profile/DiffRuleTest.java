package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Optional;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DiffRuleTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "total:+5%            | TOTAL       |             | 5",
        "total:5%             | TOTAL       |             | 5",
        "total:+0.5%          | TOTAL       |             | 0.5",
        "com.shop.*:+2pp      | TOTAL_SHARE | com.shop.*  | 2",
        "total:com.shop.*:2pp | TOTAL_SHARE | com.shop.*  | 2",
        "self:com.shop.*:+2pp | SELF_SHARE  | com.shop.*  | 2",
        "Foo.bar:+.25pp       | TOTAL_SHARE | Foo.bar     | 0.25",
        "a:b::c:+0pp          | TOTAL_SHARE | a:b::c      | 0",
        "new:1%               | NEW_METHOD  |             | 1",
        "new:0.1%             | NEW_METHOD  |             | 0.1",
    })
    void parsesGoodRules(String text, DiffRule.Kind kind, String glob, double limit) {
        DiffRule r = DiffRule.parse(text);
        assertEquals(kind, r.kind());
        assertEquals(glob, r.glob());
        assertEquals(limit, r.limit(), 1e-12);
        assertEquals(text, r.text());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "total", "total:", "total:+5", "total:+5pp", "total:-5%", "total:abc%", "total:5%%",
        "com.shop.*:+2%", "com.shop.*:2", "com.shop.*:+2 pp", ":+2pp", "self::+2pp", "self:+2pp", "total::+2pp",
        "new:+1%", "new:1pp", "new:-1%", "x:+1e3pp", "x:+2.pp", "x:++2pp", "x:pp", "x:+NaNpp", "x:+Infinitypp", "nocolon"})
    void rejectsMalformedRules(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DiffRule.parse(text));
        assertTrue(e.getMessage().startsWith("bad rule '") || e.getMessage().startsWith("empty rule"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void malformedMessagesSayWhatToWrite() {
        assertEquals("bad rule 'com.shop.*:+2%': a method's share changes in percentage points, e.g. com.shop.*:+2pp",
                assertThrows(IllegalArgumentException.class, () -> DiffRule.parse("com.shop.*:+2%")).getMessage());
        assertEquals("bad rule 'total:+5pp': total: takes a relative change in %, e.g. total:+5%",
                assertThrows(IllegalArgumentException.class, () -> DiffRule.parse("total:+5pp")).getMessage());
    }

    @Test
    void globsMatchWholeNamesWithStarForAnything() {
        DiffRule r = DiffRule.parse("com.shop.*:+2pp");
        assertTrue(r.matches("com.shop.Cart.total"));
        assertTrue(r.matches("com.shop."));
        assertFalse(r.matches("com.shopX.Cart"), "the dot is literal");
        assertFalse(r.matches("org.com.shop.Cart"), "anchored");
        assertTrue(DiffRule.parse("*Cart*:1pp").matches("com.shop.Cart.total"));
        assertTrue(DiffRule.parse("a+b(c)[d]$:1pp").matches("a+b(c)[d]$"), "regex characters are literal");
        assertFalse(DiffRule.parse("a+b:1pp").matches("aab"));
    }

    private static Optional<String> check(String rule) throws IOException {
        return DiffRule.parse(rule).check(DiffTest.diff(DiffTest.BASE, DiffTest.NEW));
    }

    @Test
    void checksAgainstTheDiff() throws IOException {
        // BASE→NEW: total 100→200; x +10pp total and self; a self −10, total 0; b −20; c new at 20 %.
        assertEquals(Optional.of("total cpu samples grew 100% (100 \u2192 200) (rule 'total:+50%')"), check("total:+50%"));
        assertEquals(Optional.empty(), check("total:+100%"), "more than, not equal");
        assertEquals(Optional.of("x grew 10pp (rule 'x:+9.5pp')"), check("x:+9.5pp"));
        assertEquals(Optional.empty(), check("x:+10pp"));
        assertEquals(Optional.of("c grew 20pp (and 1 more method over 5pp) (rule '*:+5pp')"), check("*:+5pp"));
        assertEquals(Optional.of("x grew 10pp self (rule 'self:x:+2pp')"), check("self:x:+2pp"));
        assertEquals(Optional.empty(), check("self:a:+0pp"), "a's self share fell");
        assertEquals(Optional.empty(), check("a:+0pp"), "a's total share did not move");
        assertEquals(Optional.of("new method c takes 20% (rule 'new:20%')"), check("new:20%"));
        assertEquals(Optional.empty(), check("new:20.5%"));
        assertEquals(Optional.empty(), check("nothing.*:+0pp"));
    }

    @Test
    void numbersAreShort() {
        assertEquals("3.1", DiffRule.number(3.1));
        assertEquals("2.04", DiffRule.number(2.0449));
        assertEquals("5", DiffRule.number(5.0));
        assertEquals("0", DiffRule.number(-0.0001));
    }
}

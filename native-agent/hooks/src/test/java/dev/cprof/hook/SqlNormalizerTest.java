package dev.cprof.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SqlNormalizerTest {
    @Test
    void literalsBecomeParameters() {
        assertEquals("SELECT * FROM users WHERE name = ? AND age > ? AND token = ?",
                SqlNormalizer.normalize("SELECT * FROM users WHERE name = 'alice' AND age > 42 AND token = 0xCAFE"));
        assertEquals("UPDATE t SET v = ? WHERE id = ?", SqlNormalizer.normalize("UPDATE t SET v = 'it''s secret' WHERE id = -1.5e3"));
    }

    @Test
    void inListsCollapseAndWhitespaceFolds() {
        assertEquals("SELECT a FROM t1 WHERE id IN (?) AND b IN (?)",
                SqlNormalizer.normalize("SELECT  a\n FROM\tt1 WHERE id IN (1, 2, 3,4) AND b IN ('x','y')"));
        assertEquals(SqlNormalizer.normalize("select * from t where id in (?, ?)"),
                SqlNormalizer.normalize("select * from t where id in (?,?,?,?,?)"));
    }

    @Test
    void identifiersWithDigitsAndQuotedNamesStay() {
        assertEquals("SELECT \"col 1\", t2.c3 FROM t2", SqlNormalizer.normalize("SELECT \"col 1\", t2.c3 FROM t2 -- trailing 'x'"));
        assertEquals("SELECT x FROM t WHERE y = ?", SqlNormalizer.normalize("SELECT /* hint 'a' */ x FROM t WHERE y = $1"));
    }

    @Test
    void anUnterminatedLiteralIsDroppedWholeAndLengthIsCapped() {
        String s = SqlNormalizer.normalize("SELECT 1 FROM t WHERE password = 'hunter2");
        assertFalse(s.contains("hunter"), s);
        String longSql = "SELECT " + "column_name, ".repeat(100) + "x FROM t WHERE k = 'secret'";
        String n = SqlNormalizer.normalize(longSql);
        assertTrue(n.length() <= SqlNormalizer.MAX_CHARS + 1, n);
        assertFalse(n.contains("secret"));
    }
}

package dev.cprof.profile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.cprof.wire.proto.EventType;
import java.io.IOException;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ViewsTest {
    @Test
    void includeAndExcludeSelectStacksByAnyFrame() throws IOException {
        Profile p = CollapsedFormatTest.read("main;a;x 5\nmain;b;x 7\nmain;b;y 11\nother;a 13\n");
        assertEquals(5 + 13, Views.filter(p, Pattern.compile("^a$"), null).total(EventType.CPU, -1));
        assertEquals(11 + 13, Views.filter(p, null, Pattern.compile("^x$")).total(EventType.CPU, -1));
        assertEquals(7, Views.filter(p, Pattern.compile("^main$"), Pattern.compile("y|^a$")).total(EventType.CPU, -1));
        assertEquals("main;b;x 7\n", CollapsedFormatTest.write(Views.filter(p, Pattern.compile("b"), Pattern.compile("y"))));
    }
}

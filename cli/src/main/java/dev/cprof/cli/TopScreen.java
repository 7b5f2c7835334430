package dev.cprof.cli;

import dev.cprof.profile.Events;
import dev.cprof.profile.SafeText;
import dev.cprof.session.InstanceSource;
import dev.cprof.session.SessionClock;
import dev.cprof.session.SessionMerger;
import dev.cprof.wire.proto.EventType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.jline.terminal.Attributes;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.AttributedStringBuilder;
import org.jline.utils.AttributedStyle;
import org.jline.utils.Display;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;

/**
 * The full-screen view of {@code cprof top}, on the terminal's alternate screen through JLine.
 * Reads keys with a short timeout, so a key is answered at once; takes the numbers from the
 * merge once a second ({@link TopModel#copy} under the profile's lock, the rest outside it).
 */
final class TopScreen {
    private static final long REFRESH_NANOS = 1_000_000_000L;
    private static final int ESC = 27;
    private final SessionMerger merger;
    private final InstanceSource source;
    private final SessionClock clock;
    private final List<EventType> events;
    private final long started;
    private final long durationNanos;
    private final TopModel model = new TopModel();
    private final Sparklines sparklines = new Sparklines();
    // view state
    private int eventIndex;
    private int instance = -1;
    private Pattern filter;
    private String filterText = "";
    private StringBuilder typing; // non-null while typing a filter
    private String selected;
    private int selectedIndex;
    private int scroll;
    private String status = "";
    private double rate;
    private long lastSamples;
    private long lastCopy;
    private TopModel.Result result;

    TopScreen(SessionMerger merger, InstanceSource source, SessionClock clock, List<EventType> events,
            long started, long durationNanos) {
        this.merger = merger;
        this.source = source;
        this.clock = clock;
        this.events = events;
        this.started = started;
        this.durationNanos = durationNanos;
    }

    /** Until q, Ctrl-C, a signal or the duration; the terminal is restored whatever happens. */
    void run() throws IOException, InterruptedException {
        // nativeSignals(false): Ctrl-C and SIGTERM stay with the JVM, whose shutdown hook (SessionClock) ends us cleanly
        try (Terminal terminal = TerminalBuilder.builder().system(true).nativeSignals(false).build()) {
            run(terminal);
        }
    }

    void run(Terminal terminal) throws IOException, InterruptedException {
        Attributes saved = terminal.enterRawMode();
        terminal.puts(Capability.enter_ca_mode);
        terminal.puts(Capability.keypad_xmit);
        terminal.puts(Capability.cursor_invisible);
        terminal.flush();
        try {
            Display display = new Display(terminal, true);
            NonBlockingReader keys = terminal.reader();
            lastCopy = started;
            refresh();
            draw(terminal, display);
            long nextRefresh = System.nanoTime() + REFRESH_NANOS;
            while (!clock.interrupted() && System.nanoTime() - started < durationNanos) {
                int c = keys.read(100);
                if (c == -1) {
                    break; // the terminal went away
                }
                boolean changed = false;
                if (c >= 0) {
                    if (!key(c, keys)) {
                        break;
                    }
                    changed = true;
                }
                if (System.nanoTime() - nextRefresh >= 0) {
                    refresh();
                    nextRefresh += REFRESH_NANOS;
                    changed = true;
                }
                if (changed) {
                    compute();
                    draw(terminal, display);
                }
            }
        } finally {
            terminal.puts(Capability.cursor_visible);
            terminal.puts(Capability.keypad_local);
            terminal.puts(Capability.exit_ca_mode);
            terminal.setAttributes(saved);
            terminal.flush();
        }
    }

    private void refresh() {
        merger.withProfile(p -> {
            model.copy(p);
            return null;
        });
        long now = System.nanoTime();
        List<SessionMerger.Stream> streams = merger.streams(); // in instance order
        long[] perInstance = new long[streams.size()];
        for (int i = 0; i < perInstance.length; i++) {
            perInstance[i] = streams.get(i).samples();
        }
        sparklines.sample(perInstance, now);
        rate = (model.samples() - lastSamples) * 1e9 / Math.max(1, now - lastCopy);
        lastSamples = model.samples();
        lastCopy = now;
        compute();
    }

    private void compute() {
        result = model.rows(events.get(eventIndex), instance, filter, selected);
        List<TopModel.Row> rows = result.rows();
        if (rows.isEmpty()) {
            selectedIndex = 0;
            return;
        }
        int at = -1;
        for (int i = 0; selected != null && i < rows.size(); i++) {
            if (rows.get(i).method().equals(selected)) {
                at = i;
                break;
            }
        }
        selectedIndex = at >= 0 ? at : Math.min(selectedIndex, rows.size() - 1);
        if (!rows.get(selectedIndex).method().equals(selected)) {
            selected = rows.get(selectedIndex).method();
            result = model.rows(events.get(eventIndex), instance, filter, selected);
        }
    }

    /** Handles one key; false to quit. */
    private boolean key(int c, NonBlockingReader keys) throws IOException {
        if (c == ESC) {
            int next = keys.read(50);
            if (next == '[' || next == 'O') {
                int code = keys.read(50);
                if (code >= '0' && code <= '9') {
                    keys.read(50); // the '~' of PageUp (5~) and PageDown (6~)
                }
                move(code == 'A' ? -1 : code == 'B' ? 1 : code == '5' ? -10 : code == '6' ? 10 : 0);
                return true;
            }
            typing = null;
            filter = null;
            filterText = "";
            status = "filter cleared";
            return true;
        }
        if (typing != null) {
            if (c == '\r' || c == '\n') {
                applyFilter(typing.toString());
                typing = null;
            } else if (c == 127 || c == 8) {
                if (typing.length() > 0) {
                    typing.setLength(typing.length() - 1);
                }
            } else if (c == 3) {
                return false;
            } else if (c >= 32) {
                typing.append((char) c);
            }
            return true;
        }
        switch (c) {
            case 'q', 'Q', 3, 4 -> {
                return false;
            }
            case 'e' -> {
                eventIndex = (eventIndex + 1) % events.size();
                status = events.size() == 1 ? "only " + Events.name(events.get(0)) + " is sampled (start with -e cpu,wall,alloc,lock for more)"
                        : "event: " + Events.name(events.get(eventIndex));
            }
            case 'i' -> {
                int n = model.instances().size();
                instance = instance + 1 >= n ? -1 : instance + 1;
                status = "instance: " + (instance < 0 ? "all" : model.instances().get(instance));
            }
            case 's' -> {
                try {
                    Path file = TopCommand.snapshot(merger, source.describe());
                    status = "saved " + file;
                } catch (IOException | RuntimeException e) {
                    status = "saving failed: " + e.getMessage();
                }
            }
            case '/' -> typing = new StringBuilder(filterText);
            case 'k' -> move(-1);
            case 'j' -> move(1);
            default -> { }
        }
        return true;
    }

    private void applyFilter(String text) {
        filterText = text;
        if (text.isEmpty()) {
            filter = null;
            status = "filter cleared";
            return;
        }
        try {
            filter = Pattern.compile(text, Pattern.CASE_INSENSITIVE);
        } catch (PatternSyntaxException e) {
            filter = Pattern.compile(Pattern.quote(text), Pattern.CASE_INSENSITIVE);
        }
        status = "";
        selected = null;
        selectedIndex = 0;
    }

    private void move(int by) {
        List<TopModel.Row> rows = result == null ? List.of() : result.rows();
        if (rows.isEmpty()) {
            return;
        }
        selectedIndex = Math.max(0, Math.min(rows.size() - 1, selectedIndex + by));
        selected = rows.get(selectedIndex).method();
    }

    private void draw(Terminal terminal, Display display) {
        Size size = terminal.getSize();
        int height = Math.max(size.getRows(), 10);
        int width = Math.max(size.getColumns(), 40);
        display.resize(height, width);
        List<AttributedString> lines = new ArrayList<>();
        EventType event = events.get(eventIndex);
        long elapsed = (System.nanoTime() - started) / 1_000_000_000L;
        String head = String.format(Locale.ROOT, "cprof top %s · %s · instance: %s · %d/%d instances · %,.0f samples/s · %02d:%02d:%02d%s",
                source.describe(), Events.name(event), instance < 0 ? "all" : model.instances().get(instance),
                merger.streams().size(), source.found(), rate, elapsed / 3600, elapsed / 60 % 60, elapsed % 60, model.losses());
        lines.add(line(head, width, AttributedStyle.INVERSE));
        String second = typing != null ? "filter: " + typing + "_   (Enter applies, Esc clears)"
                : (filter != null ? "filter: " + filterText + "   " : "") + status;
        lines.add(line(second, width, AttributedStyle.DEFAULT));
        String unit = Events.byWeight(event) ? "SELF " + Events.unit(event).toUpperCase(Locale.ROOT) : "SAMPLES";
        lines.add(line(String.format(Locale.ROOT, "  %6s  %6s  %12s  %s", "SELF%", "TOTAL%", unit, "METHOD"), width, AttributedStyle.BOLD));
        List<TopModel.Row> rows = result.rows();
        List<String> instances = result.instances();
        int perInstance = Math.min(instances.size(), Math.max(1, (height - 8) / 3));
        int listHeight = Math.max(1, height - 3 - (perInstance + 2) - 1);
        if (selectedIndex < scroll) {
            scroll = selectedIndex;
        } else if (selectedIndex >= scroll + listHeight) {
            scroll = selectedIndex - listHeight + 1;
        }
        for (int i = 0; i < listHeight; i++) {
            int r = scroll + i;
            if (r < rows.size()) {
                TopModel.Row row = rows.get(r);
                String text = String.format(Locale.ROOT, "%s %6.1f  %6.1f  %12d  %s", r == selectedIndex ? ">" : " ",
                        row.selfPct(), row.totalPct(), row.self(), row.method());
                lines.add(line(text, width, r == selectedIndex ? AttributedStyle.INVERSE : AttributedStyle.DEFAULT));
            } else {
                lines.add(line(r == 0 ? (filter != null ? "  (no method matches the filter)" : "  (no samples yet)") : "", width,
                        AttributedStyle.DEFAULT));
            }
        }
        lines.add(line("SELF% of " + (selected == null ? "the selected method" : selected) + " per instance, samples/s (last "
                + Sparklines.WIDTH + " s):", width,
                AttributedStyle.BOLD));
        double[] shares = result.selectedPerInstance();
        for (int i = 0; i < perInstance; i++) {
            lines.add(line(String.format(Locale.ROOT, "  %6.1f  %s %,7.0f/s  %s", shares[i], sparklines.line(i),
                    sparklines.current(i), instances.get(i)), width,
                    i == instance ? AttributedStyle.INVERSE : AttributedStyle.DEFAULT));
        }
        if (instances.size() > perInstance) {
            lines.add(line("  … " + (instances.size() - perInstance) + " more", width, AttributedStyle.DEFAULT));
        } else {
            lines.add(line("", width, AttributedStyle.DEFAULT));
        }
        while (lines.size() < height - 1) {
            lines.add(line("", width, AttributedStyle.DEFAULT));
        }
        lines.add(line("q quit  e event  i instance  s save  / filter  ↑↓ select", width, AttributedStyle.INVERSE));
        display.update(lines.subList(0, Math.min(lines.size(), height)), size.cursorPos(height - 1, 0));
    }

    private static AttributedString line(String raw, int width, AttributedStyle style) {
        String text = SafeText.escape(raw); // method names, instance labels and the filter come from outside
        AttributedStringBuilder b = new AttributedStringBuilder();
        b.style(style).append(text.length() > width ? text.substring(0, width) : text);
        if (style == AttributedStyle.INVERSE && text.length() < width) {
            b.append(" ".repeat(width - text.length() - 1)); // a full bar, short of the last column
        }
        return b.toAttributedString();
    }
}

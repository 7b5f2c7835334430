package dev.cprof.cli;

import dev.cprof.profile.Profile;
import dev.cprof.profile.TimeSlices;
import dev.cprof.profile.Timeline;
import dev.cprof.session.ExitCodes;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * A time range of a profile with time buckets, from the command line. A point is a UTC wall-clock
 * time on the session's date ({@code 12:03:10}, {@code 12:03}, {@code 12:03:10.5}), an ISO instant
 * ({@code 2026-03-01T12:03:10Z}, or with an offset), {@code +30s} after the profile's start or
 * {@code -20s} before its end. Every mistake is a usage error (exit 2) that says what was wrong.
 */
final class TimeRange {
    static final String POINT_HELP = "HH:MM[:SS] (UTC, the session's date), an ISO instant (2026-03-01T12:03:10Z),"
            + " +DURATION after the start or -DURATION before the end (+30s, -20s)";
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

    private TimeRange() {}

    /**
     * The profile of [from, to) of {@code profile} (either may be null: its start, its end).
     * {@code what} names the options in messages ("--from/--to", "--range").
     */
    static Profile slice(Profile profile, String file, String from, String to, String what) {
        Timeline t = profile.timeline();
        if (t == null || t.buckets() == 0) {
            throw new CliException(ExitCodes.USAGE, file + " has no time buckets (a profile converted from collapsed or pprof,"
                    + " or written by a cprof before time buckets), so " + what + " cannot select a range of it");
        }
        long start = profile.startTimeNs() > 0 ? Math.min(profile.startTimeNs(), t.originNs()) : t.originNs();
        long end = Math.max(profile.endTimeNs(), t.originNs() + t.buckets() * t.bucketNs());
        long fromNs = from == null ? start : point(from, start, end, what);
        long toNs = to == null ? end : point(to, start, end, what);
        if (from != null && fromNs >= end || to != null && toNs <= start) {
            throw outside(file, fromNs, toNs, start, end);
        }
        if (fromNs >= toNs) {
            throw new CliException(ExitCodes.USAGE, "empty range " + show(from, "start") + ".." + show(to, "end") + " ("
                    + clock(fromNs) + " is not before " + clock(toNs) + " UTC)");
        }
        Profile out = TimeSlices.slice(profile, fromNs, toNs);
        if (out == null) {
            throw outside(file, fromNs, toNs, start, end);
        }
        out.metadata().put("range", Instant.ofEpochSecond(0, fromNs) + ".." + Instant.ofEpochSecond(0, toNs));
        return out;
    }

    private static CliException outside(String file, long fromNs, long toNs, long start, long end) {
        return new CliException(ExitCodes.USAGE, "the range " + clock(fromNs) + ".." + clock(toNs) + " UTC is outside " + file
                + ", which covers " + clock(start) + ".." + clock(end) + " UTC (from " + Instant.ofEpochSecond(0, start) + ")");
    }

    /** {@code A..B} (either side may be empty) as {from, to}; a usage error without "..". */
    static String[] split(String range, String option) {
        int dots = range == null ? -1 : range.indexOf("..");
        if (dots < 0) {
            throw new CliException(ExitCodes.USAGE, option + ": '" + range + "' is not a range FROM..TO, each " + POINT_HELP);
        }
        String a = range.substring(0, dots).trim();
        String b = range.substring(dots + 2).trim();
        return new String[] {a.isEmpty() ? null : a, b.isEmpty() ? null : b};
    }

    /** The epoch ns of a point of a profile covering [start, end). */
    static long point(String text, long start, long end, String what) {
        String s = text.trim();
        try {
            if (s.startsWith("+")) {
                return start + DurationConverter.nanos(s.substring(1), "s");
            }
            if (s.startsWith("-")) {
                return end - DurationConverter.nanos(s.substring(1), "s");
            }
            if (s.contains("T") || s.contains("t")) {
                try {
                    return nanos(Instant.parse(s.toUpperCase(java.util.Locale.ROOT)));
                } catch (DateTimeParseException e) {
                    return nanos(OffsetDateTime.parse(s.toUpperCase(java.util.Locale.ROOT)).toInstant());
                }
            }
            LocalTime time = LocalTime.parse(s.matches("\\d:.*") ? "0" + s : s);
            LocalDate day = Instant.ofEpochSecond(0, start).atZone(ZoneOffset.UTC).toLocalDate();
            long at = nanos(day.atTime(time).toInstant(ZoneOffset.UTC));
            long dayNs = 86_400_000_000_000L;
            // a session across midnight: 00:10 means the next day when that day is in the profile
            if (at + dayNs <= end && at < start - 60_000_000_000L) {
                at += dayNs;
            }
            return at;
        } catch (DateTimeParseException | IllegalArgumentException | ArithmeticException e) {
            throw new CliException(ExitCodes.USAGE, what + ": '" + text + "' is not a time: expected " + POINT_HELP);
        }
    }

    private static long nanos(Instant i) {
        return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000_000L), i.getNano());
    }

    private static String show(String text, String missing) {
        return text == null ? missing : text;
    }

    static String clock(long epochNs) {
        return CLOCK.format(Instant.ofEpochSecond(0, epochNs));
    }
}

package io.switchboard.gateway.api.admin;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;

import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.usage.UsageQuery.GroupBy;

/**
 * The query of a usage view: {@code from} and {@code to} as UTC dates ({@code 2026-11-23}) or unix seconds (the day
 * they fall on), both included; {@code to} defaults to today and {@code from} to 30 days before {@code to}; at most
 * 400 days. {@code group_by} is {@code model}, {@code key} or {@code day}; without it, one total per tenant.
 */
public record UsageParams(LocalDate from, LocalDate to, GroupBy groupBy) {
    static final int MAX_DAYS = 400;

    public static UsageParams parse(String from, String to, String groupBy) {
        LocalDate end = to == null || to.isBlank() ? LocalDate.now(ZoneOffset.UTC) : day("to", to);
        LocalDate start = from == null || from.isBlank() ? end.minusDays(30) : day("from", from);
        if (start.isAfter(end)) {
            throw ApiException.invalidValue("from", "Invalid 'from': it is after 'to'.");
        }
        if (ChronoUnit.DAYS.between(start, end) >= MAX_DAYS) {
            throw ApiException.invalidValue("from", "Invalid 'from': at most " + MAX_DAYS + " days can be read at once.");
        }
        GroupBy group = switch (groupBy == null ? "" : groupBy) {
            case "" -> GroupBy.NONE;
            case "model" -> GroupBy.MODEL;
            case "key" -> GroupBy.KEY;
            case "day" -> GroupBy.DAY;
            default -> throw ApiException.invalidValue("group_by",
                    "Invalid value: '" + groupBy + "'. Supported values are: 'model', 'key' and 'day'.");
        };
        return new UsageParams(start, end, group);
    }

    private static LocalDate day(String param, String value) {
        try {
            if (value.chars().allMatch(Character::isDigit)) {
                return LocalDate.ofInstant(Instant.ofEpochSecond(Long.parseLong(value)), ZoneOffset.UTC);
            }
            return LocalDate.parse(value);
        } catch (NumberFormatException | java.time.DateTimeException e) {
            throw ApiException.invalidValue(param, "Invalid '" + param + "': expected a date (2026-11-23) or unix seconds.");
        }
    }
}

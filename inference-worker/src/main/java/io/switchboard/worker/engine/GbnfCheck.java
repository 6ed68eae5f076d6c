package io.switchboard.worker.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.switchboard.schema.event.FailureCode;

/**
 * Reads a GBNF grammar ({@code structured_outputs.grammar}) the way llama.cpp's parser does ({@code llama-grammar.cpp}
 * of b4916: rules {@code name ::= alternatives}, literals, character classes, groups, {@code .}, {@code * + ?} and
 * {@code {m,n}}, comments) and refuses one it would not use: one it would not parse, that refers to a rule it does not
 * define, has no {@code root}, or is left-recursive. The in-process binding does not report such a grammar: llama.cpp
 * logs the error and samples without it, so the answer would silently ignore the constraint. Counts above
 * {@value #MAX_REPEAT}, groups deeper than {@value #MAX_DEPTH} and grammars longer than {@value #MAX_LENGTH}
 * characters are refused too (llama.cpp writes a rule per repetition and reads groups recursively).
 */
final class GbnfCheck {
    static final int MAX_REPEAT = 1000;
    static final int MAX_DEPTH = 32;
    static final int MAX_LENGTH = 100_000;

    /** One item of a sequence: a terminal, a rule reference or a group; {@code optional} when it may match nothing. */
    private record Item(String ref, List<List<Item>> group, boolean empty, boolean optional) {
        Item optionalToo(boolean may) {
            return new Item(ref, group, empty, optional || may);
        }
    }

    private final String src;
    private int pos;
    private final Map<String, List<List<Item>>> rules = new LinkedHashMap<>();
    private final Set<String> used = new HashSet<>();

    private GbnfCheck(String src) {
        this.src = src;
    }

    /** Throws {@link EngineException} ({@code engine_rejected_request}) for a grammar llama.cpp would not use. */
    static void check(String grammar) {
        GbnfCheck g = new GbnfCheck(grammar);
        if (grammar.length() > MAX_LENGTH) {
            g.fail("it is longer than " + MAX_LENGTH + " characters");
        }
        if (grammar.indexOf('\0') >= 0) {
            g.fail("it holds a NUL character");
        }
        g.space(true);
        while (g.pos < grammar.length()) {
            g.rule();
        }
        for (String name : g.used) {
            if (!g.rules.containsKey(name)) {
                g.fail("the rule '" + name + "' is used but not defined");
            }
        }
        if (!g.rules.containsKey("root")) {
            g.fail("there is no 'root' rule");
        }
        g.leftRecursion();
    }

    private void rule() {
        String name = name();
        space(false);
        if (!src.startsWith("::=", pos)) {
            fail("expecting '::='");
        }
        pos += 3;
        space(true);
        List<List<Item>> alternatives = alternates(false, 0);
        rules.computeIfAbsent(name, n -> new ArrayList<>()).addAll(alternatives);
        if (at() == '\r') {
            pos += pos + 1 < src.length() && src.charAt(pos + 1) == '\n' ? 2 : 1;
        } else if (at() == '\n') {
            pos++;
        } else if (pos < src.length()) {
            fail("expecting a new line or the end");
        }
        space(true);
    }

    private List<List<Item>> alternates(boolean nested, int depth) {
        List<List<Item>> out = new ArrayList<>();
        out.add(sequence(nested, depth));
        while (at() == '|') {
            pos++;
            space(true);
            out.add(sequence(nested, depth));
        }
        return out;
    }

    private List<Item> sequence(boolean nested, int depth) {
        List<Item> items = new ArrayList<>();
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '"') {
                pos++;
                int chars = 0;
                while (at() != '"') {
                    if (pos >= src.length()) {
                        fail("a literal does not end");
                    }
                    character();
                    chars++;
                }
                pos++;
                items.add(new Item(null, null, chars == 0, chars == 0));
            } else if (c == '[') {
                pos++;
                if (at() == '^') {
                    pos++;
                }
                int chars = 0;
                while (at() != ']') {
                    if (pos >= src.length()) {
                        fail("a character class does not end");
                    }
                    character();
                    chars++;
                    if (at() == '-' && pos + 1 < src.length() && src.charAt(pos + 1) != ']') {
                        pos++;
                        character();
                    }
                }
                pos++;
                items.add(new Item(null, null, chars == 0, false));
            } else if (word(c)) {
                String name = name();
                used.add(name);
                items.add(new Item(name, null, false, false));
            } else if (c == '(') {
                if (depth + 1 > MAX_DEPTH) {
                    fail("groups nest deeper than " + MAX_DEPTH);
                }
                pos++;
                space(true);
                List<List<Item>> group = alternates(true, depth + 1);
                if (at() != ')') {
                    fail("expecting ')'");
                }
                pos++;
                items.add(new Item(null, group, false, false));
            } else if (c == '.') {
                pos++;
                items.add(new Item(null, null, false, false));
            } else if (c == '*' || c == '+' || c == '?') {
                quantified(items, c == '+' ? 1 : 0, "'" + c + "'");
                pos++;
            } else if (c == '{') {
                pos++;
                space(nested);
                int min = integer();
                space(nested);
                int max = min;
                if (at() == ',') {
                    pos++;
                    space(nested);
                    max = -1;
                    if (ascii(at())) {
                        max = integer();
                        space(nested);
                    }
                }
                if (at() != '}') {
                    fail("expecting '}'");
                }
                pos++;
                quantified(items, min, "'{'");
                if (max >= 0 && max < min) {
                    fail("a count runs backwards");
                }
            } else {
                break;
            }
            space(nested);
        }
        return items;
    }

    /** A quantifier applies to the item before it, which must have produced something; {@code min} 0 makes it optional. */
    private void quantified(List<Item> items, int min, String what) {
        if (items.isEmpty() || items.getLast().empty()) {
            fail(what + " has nothing before it");
        }
        items.set(items.size() - 1, items.getLast().optionalToo(min == 0));
    }

    private void character() {
        if (at() != '\\') {
            pos += Character.charCount(src.codePointAt(pos));
            return;
        }
        pos++;
        char e = at();
        int hex = switch (e) {
            case 'x' -> 2;
            case 'u' -> 4;
            case 'U' -> 8;
            case 't', 'r', 'n', '\\', '"', '[', ']' -> 0;
            default -> -1;
        };
        if (hex < 0) {
            fail("unknown escape '\\" + e + "'");
        }
        pos++;
        for (int i = 0; i < hex; i++) {
            char h = at();
            if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f') || (h >= 'A' && h <= 'F'))) {
                fail("expecting " + hex + " hex digits");
            }
            pos++;
        }
    }

    private String name() {
        int start = pos;
        while (pos < src.length() && word(src.charAt(pos))) {
            pos++;
        }
        if (pos == start) {
            fail("expecting a name");
        }
        return src.substring(start, pos);
    }

    private int integer() {
        int start = pos;
        while (ascii(at())) {
            pos++;
        }
        if (pos == start) {
            fail("expecting an integer");
        }
        if (pos - start > 4 || Integer.parseInt(src.substring(start, pos)) > MAX_REPEAT) {
            fail("a count is above " + MAX_REPEAT);
        }
        return Integer.parseInt(src.substring(start, pos));
    }

    private void space(boolean newlines) {
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '#') {
                while (pos < src.length() && src.charAt(pos) != '\r' && src.charAt(pos) != '\n') {
                    pos++;
                }
            } else if (c == ' ' || c == '\t' || (newlines && (c == '\r' || c == '\n'))) {
                pos++;
            } else {
                return;
            }
        }
    }

    /** llama.cpp refuses a rule that can reach itself before it has matched anything (its detect_left_recursion). */
    private void leftRecursion() {
        Map<String, Boolean> nullable = new HashMap<>();
        boolean changed = true;
        while (changed) { // a fixpoint: which rules may match nothing
            changed = false;
            for (Map.Entry<String, List<List<Item>>> r : rules.entrySet()) {
                if (!nullable.getOrDefault(r.getKey(), false) && anyNullable(r.getValue(), nullable)) {
                    nullable.put(r.getKey(), true);
                    changed = true;
                }
            }
        }
        Map<String, Integer> state = new HashMap<>(); // 1 on the path, 2 done
        for (String name : rules.keySet()) {
            visit(name, nullable, state);
        }
    }

    private void visit(String name, Map<String, Boolean> nullable, Map<String, Integer> state) {
        Integer s = state.get(name);
        if (s != null && s == 2) {
            return;
        }
        if (s != null) {
            fail("the rule '" + name + "' is left-recursive");
        }
        state.put(name, 1);
        Set<String> first = new HashSet<>();
        leftmost(rules.getOrDefault(name, List.of()), nullable, first);
        for (String next : first) {
            visit(next, nullable, state);
        }
        state.put(name, 2);
    }

    private static void leftmost(List<List<Item>> alternatives, Map<String, Boolean> nullable, Set<String> into) {
        for (List<Item> sequence : alternatives) {
            for (Item item : sequence) {
                if (item.ref() != null) {
                    into.add(item.ref());
                } else if (item.group() != null) {
                    leftmost(item.group(), nullable, into);
                }
                if (!nullable(item, nullable)) {
                    break;
                }
            }
        }
    }

    private static boolean anyNullable(List<List<Item>> alternatives, Map<String, Boolean> nullable) {
        for (List<Item> sequence : alternatives) {
            if (sequence.stream().allMatch(i -> nullable(i, nullable))) {
                return true;
            }
        }
        return false;
    }

    private static boolean nullable(Item item, Map<String, Boolean> nullable) {
        return item.optional() || item.empty() || (item.ref() != null && nullable.getOrDefault(item.ref(), false))
                || (item.group() != null && anyNullable(item.group(), nullable));
    }

    private char at() {
        return pos < src.length() ? src.charAt(pos) : '\0';
    }

    private static boolean ascii(char c) {
        return c >= '0' && c <= '9';
    }

    private static boolean word(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    }

    private void fail(String why) {
        throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                "Invalid 'structured_outputs.grammar': " + why + " (at character " + pos + ").", null);
    }
}

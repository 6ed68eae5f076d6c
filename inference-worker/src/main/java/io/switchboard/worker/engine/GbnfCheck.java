package io.switchboard.worker.engine;

import java.util.HashSet;
import java.util.Set;

import io.switchboard.schema.event.FailureCode;

/**
 * Reads a GBNF grammar ({@code structured_outputs.grammar}) the way llama.cpp's parser does ({@code llama-grammar.cpp}
 * of b4916: rules {@code name ::= alternatives}, literals, character classes, groups, {@code .}, {@code * + ?} and
 * {@code {m,n}}, comments) and refuses one it would not parse, or that refers to a rule it does not define, or has no
 * {@code root}. The in-process binding does not report such a grammar: llama.cpp logs the error and samples without
 * it, so the answer would silently ignore the constraint.
 */
final class GbnfCheck {
    private final String src;
    private int pos;
    private final Set<String> defined = new HashSet<>();
    private final Set<String> used = new HashSet<>();

    private GbnfCheck(String src) {
        this.src = src;
    }

    /** Throws {@link EngineException} ({@code engine_rejected_request}) for a grammar llama.cpp would not use. */
    static void check(String grammar) {
        GbnfCheck g = new GbnfCheck(grammar);
        g.space(true);
        while (g.pos < grammar.length()) {
            g.rule();
        }
        for (String name : g.used) {
            if (!g.defined.contains(name)) {
                g.fail("the rule '" + name + "' is used but not defined");
            }
        }
        if (!g.defined.contains("root")) {
            g.fail("there is no 'root' rule");
        }
    }

    private void rule() {
        String name = name();
        defined.add(name);
        space(false);
        if (!src.startsWith("::=", pos)) {
            fail("expecting '::='");
        }
        pos += 3;
        space(true);
        alternates(false);
        if (at() == '\r') {
            pos += pos + 1 < src.length() && src.charAt(pos + 1) == '\n' ? 2 : 1;
        } else if (at() == '\n') {
            pos++;
        } else if (pos < src.length()) {
            fail("expecting a new line or the end");
        }
        space(true);
    }

    private void alternates(boolean nested) {
        sequence(nested);
        while (at() == '|') {
            pos++;
            space(true);
            sequence(nested);
        }
    }

    private void sequence(boolean nested) {
        boolean item = false;
        while (pos < src.length()) {
            char c = src.charAt(pos);
            if (c == '"') {
                pos++;
                while (at() != '"') {
                    if (pos >= src.length()) {
                        fail("a literal does not end");
                    }
                    character();
                }
                pos++;
                item = true;
            } else if (c == '[') {
                pos++;
                if (at() == '^') {
                    pos++;
                }
                while (at() != ']') {
                    if (pos >= src.length()) {
                        fail("a character class does not end");
                    }
                    character();
                    if (at() == '-' && pos + 1 < src.length() && src.charAt(pos + 1) != ']') {
                        pos++;
                        character();
                    }
                }
                pos++;
                item = true;
            } else if (word(c)) {
                used.add(name());
                item = true;
            } else if (c == '(') {
                pos++;
                space(true);
                alternates(true);
                if (at() != ')') {
                    fail("expecting ')'");
                }
                pos++;
                item = true;
            } else if (c == '.') {
                pos++;
                item = true;
            } else if (c == '*' || c == '+' || c == '?') {
                if (!item) {
                    fail("'" + c + "' has nothing before it");
                }
                pos++;
            } else if (c == '{') {
                if (!item) {
                    fail("'{' has nothing before it");
                }
                pos++;
                space(nested);
                integer();
                space(nested);
                if (at() == ',') {
                    pos++;
                    space(nested);
                    if (Character.isDigit(at())) {
                        integer();
                        space(nested);
                    }
                }
                if (at() != '}') {
                    fail("expecting '}'");
                }
                pos++;
            } else {
                break;
            }
            space(nested);
        }
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
            if (Character.digit(at(), 16) < 0) {
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

    private void integer() {
        int start = pos;
        while (Character.isDigit(at())) {
            pos++;
        }
        if (pos == start) {
            fail("expecting an integer");
        }
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

    private char at() {
        return pos < src.length() ? src.charAt(pos) : '\0';
    }

    private static boolean word(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    }

    private void fail(String why) {
        throw new EngineException(FailureCode.ENGINE_REJECTED_REQUEST,
                "Invalid 'structured_outputs.grammar': " + why + " (at character " + pos + ").", null);
    }
}

package io.github.dgpo.data.template;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Rewrites a HuggingFace chat template (Python jinja2 syntax) into the subset jinjava
 * evaluates identically:
 *
 * <ul>
 *   <li>whitespace control ({@code {{-}, {@code -}}}, {@code {%-}, {@code -%}}, {@code {#-},
 *       {@code -#}}): jinjava ignores it on expressions, so the adjacent template text is
 *       stripped here and the dashes removed;
 *   <li>{@code x[::-1]} becomes {@code (x|reverse|list)};
 *   <li>Python string methods ({@code startswith}, {@code endswith}, {@code strip}, {@code
 *       lstrip}, {@code rstrip}, {@code split}, {@code upper}, {@code lower}, {@code title},
 *       {@code capitalize}) become calls of {@link PyStringFilters}, because jinjava would
 *       call Java's methods (Java's {@code split} takes a regex and drops trailing empty
 *       strings, which silently changes Qwen3's {@code <think>} handling);
 *   <li>{@code namespace(a=expr, ...)}: each value is parenthesised, since jinjava binds
 *       {@code a=x|length - 1} as {@code (a=x|length) - 1}.
 * </ul>
 *
 * String literals inside tags are never rewritten.
 */
final class JinjaSource {

    private static final Pattern PY_METHOD =
            Pattern.compile("\\.(startswith|endswith|strip|lstrip|rstrip|split|upper|lower|title|capitalize)\\(");
    private static final Pattern TRAILING_WS = Pattern.compile("\\s+$", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern LEADING_WS = Pattern.compile("^\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    private JinjaSource() {}

    /**
     * Rewrites a template.
     *
     * @param source the HF template
     * @return the jinjava template
     */
    static String rewrite(String source) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        boolean stripNext = false;
        while (i < source.length()) {
            int open = nextTagStart(source, i);
            String text = source.substring(i, open < 0 ? source.length() : open);
            if (stripNext) {
                text = LEADING_WS.matcher(text).replaceFirst("");
            }
            if (open < 0) {
                out.append(text);
                break;
            }
            char kind = source.charAt(open + 1);
            int bodyStart = open + 2;
            boolean stripBefore = bodyStart < source.length() && source.charAt(bodyStart) == '-';
            if (stripBefore) {
                text = TRAILING_WS.matcher(text).replaceFirst("");
                bodyStart++;
            }
            out.append(text);
            int close = tagEnd(source, bodyStart, kind);
            int bodyEnd = close;
            stripNext = source.charAt(close - 1) == '-' && close - 1 >= bodyStart;
            if (stripNext) {
                bodyEnd = close - 1;
            }
            String body = source.substring(bodyStart, bodyEnd);
            if (kind != '#') {
                body = rewriteExpression(body);
            }
            out.append('{').append(kind).append(body).append(kind == '{' ? '}' : kind).append('}');
            i = close + 2;
        }
        return out.toString();
    }

    private static int nextTagStart(String s, int from) {
        for (int i = from; i + 1 < s.length(); i++) {
            if (s.charAt(i) == '{') {
                char c = s.charAt(i + 1);
                if (c == '{' || c == '%' || c == '#') {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Index of the closing {@code }}}, {@code %}} or {@code #}} of a tag, skipping string literals. */
    private static int tagEnd(String s, int from, char kind) {
        char closer = kind == '{' ? '}' : kind;
        int i = from;
        while (i + 1 < s.length()) {
            char c = s.charAt(i);
            if (kind != '#' && (c == '\'' || c == '"')) {
                i = skipString(s, i) ;
                continue;
            }
            if (c == closer && s.charAt(i + 1) == '}') {
                return i;
            }
            i++;
        }
        throw new IllegalArgumentException("chat template: unclosed tag starting near: " + s.substring(Math.max(0, from - 2), Math.min(s.length(), from + 40)));
    }

    /** Returns the index after the string literal starting at {@code i}. */
    private static int skipString(String s, int i) {
        char q = s.charAt(i);
        int j = i + 1;
        while (j < s.length()) {
            char c = s.charAt(j);
            if (c == '\\') {
                j += 2;
                continue;
            }
            if (c == q) {
                return j + 1;
            }
            j++;
        }
        return j;
    }

    /** Rewrites one tag body outside its string literals. */
    static String rewriteExpression(String body) {
        String b = body;
        b = rewriteReverseSlices(b);
        b = rewritePyMethods(b);
        b = parenthesiseNamespaceArgs(b);
        return b;
    }

    private static String rewriteReverseSlices(String b) {
        int at;
        while ((at = indexOutsideStrings(b, "[::-1]", 0)) >= 0) {
            int start = receiverStart(b, at);
            b = b.substring(0, start) + "(" + b.substring(start, at) + "|reverse|list)" + b.substring(at + 6);
        }
        return b;
    }

    private static String rewritePyMethods(String b) {
        int from = 0;
        while (true) {
            Matcher m = PY_METHOD.matcher(b);
            int at = -1;
            while (m.find(from)) {
                if (!insideString(b, m.start())) {
                    at = m.start();
                    break;
                }
                from = m.end();
            }
            if (at < 0) {
                return b;
            }
            String method = m.group(1);
            int argsStart = m.end();
            int argsEnd = matchingParen(b, argsStart - 1);
            String args = b.substring(argsStart, argsEnd).trim();
            int start = receiverStart(b, at);
            String receiver = b.substring(start, at);
            String call = "__py_" + method + (args.isEmpty() ? "" : "(" + args + ")");
            String replacement = "(" + receiver + "|" + call + ")";
            b = b.substring(0, start) + replacement + b.substring(argsEnd + 1);
            from = 0;
        }
    }

    private static String parenthesiseNamespaceArgs(String b) {
        int at = indexOutsideStrings(b, "namespace(", 0);
        if (at < 0) {
            return b;
        }
        int open = at + "namespace".length();
        int close = matchingParen(b, open);
        StringBuilder args = new StringBuilder();
        int depth = 0;
        int partStart = open + 1;
        for (int i = open + 1; i <= close; i++) {
            char c = b.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(b, i) - 1;
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                depth++;
            } else if ((c == ')' || c == ']' || c == '}') && i < close) {
                depth--;
            }
            if ((c == ',' && depth == 0) || i == close) {
                String part = b.substring(partStart, i);
                int eq = equalsSign(part);
                if (eq > 0) {
                    part = part.substring(0, eq + 1) + "(" + part.substring(eq + 1).trim() + ")";
                }
                args.append(args.length() > 0 ? ", " : "").append(part.trim());
                partStart = i + 1;
            }
        }
        return b.substring(0, open + 1) + args + b.substring(close);
    }

    /** Position of a keyword argument's {@code =} (not {@code ==}), or -1. */
    private static int equalsSign(String part) {
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c == '\'' || c == '"') {
                return -1;
            }
            if (c == '=') {
                boolean eq = (i + 1 < part.length() && part.charAt(i + 1) == '=') || (i > 0 && "=!<>".indexOf(part.charAt(i - 1)) >= 0);
                return eq ? -1 : i;
            }
            if (!(Character.isLetterOrDigit(c) || c == '_' || Character.isWhitespace(c))) {
                return -1;
            }
        }
        return -1;
    }

    private static int matchingParen(String b, int open) {
        int depth = 0;
        for (int i = open; i < b.length(); i++) {
            char c = b.charAt(i);
            if (c == '\'' || c == '"') {
                i = skipString(b, i) - 1;
                continue;
            }
            if (c == '(' || c == '[') {
                depth++;
            } else if (c == ')' || c == ']') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        throw new IllegalArgumentException("chat template: unbalanced parentheses in: " + b.trim());
    }

    /** Start of the postfix expression (names, dots, calls, subscripts, a literal) ending at {@code end}. */
    private static int receiverStart(String b, int end) {
        int i = end - 1;
        while (i >= 0) {
            char c = b.charAt(i);
            if (c == ')' || c == ']') {
                i = matchingOpen(b, i) - 1;
            } else if (c == '\'' || c == '"') {
                i = openingQuote(b, i) - 1;
            } else if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else {
                break;
            }
        }
        return i + 1;
    }

    private static int matchingOpen(String b, int close) {
        int depth = 0;
        for (int i = close; i >= 0; i--) {
            char c = b.charAt(i);
            if (c == '\'' || c == '"') {
                i = openingQuote(b, i);
                continue;
            }
            if (c == ')' || c == ']') {
                depth++;
            } else if (c == '(' || c == '[') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        throw new IllegalArgumentException("chat template: unbalanced brackets in: " + b.trim());
    }

    private static int openingQuote(String b, int close) {
        char q = b.charAt(close);
        for (int i = close - 1; i >= 0; i--) {
            if (b.charAt(i) == q && (i == 0 || b.charAt(i - 1) != '\\')) {
                return i;
            }
        }
        throw new IllegalArgumentException("chat template: unterminated string in: " + b.trim());
    }

    private static int indexOutsideStrings(String b, String needle, int from) {
        int at = b.indexOf(needle, from);
        while (at >= 0 && insideString(b, at)) {
            at = b.indexOf(needle, at + 1);
        }
        return at;
    }

    private static boolean insideString(String b, int pos) {
        int i = 0;
        while (i < pos) {
            char c = b.charAt(i);
            if (c == '\'' || c == '"') {
                int end = skipString(b, i);
                if (pos < end) {
                    return true;
                }
                i = end;
            } else {
                i++;
            }
        }
        return false;
    }
}

package io.github.dgpo.data.template;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Python {@code str} methods with Python's semantics, as jinjava filters named {@code
 * __py_<method>} (the target of {@link JinjaSource}'s rewrite).
 */
final class PyStringFilters {

    private PyStringFilters() {}

    static List<Filter> all() {
        List<Filter> f = new ArrayList<>();
        f.add(filter("startswith", (s, a) -> anyOf(a, 0, s::startsWith)));
        f.add(filter("endswith", (s, a) -> anyOf(a, 0, s::endsWith)));
        f.add(filter("strip", (s, a) -> rstrip(lstrip(s, chars(a)), chars(a))));
        f.add(filter("lstrip", (s, a) -> lstrip(s, chars(a))));
        f.add(filter("rstrip", (s, a) -> rstrip(s, chars(a))));
        f.add(filter("split", (s, a) -> split(s, a.length > 0 && a[0] != null ? a[0].toString() : null, a.length > 1 ? ((Number) a[1]).intValue() : -1)));
        f.add(filter("upper", (s, a) -> s.toUpperCase(Locale.ROOT)));
        f.add(filter("lower", (s, a) -> s.toLowerCase(Locale.ROOT)));
        f.add(filter("capitalize", (s, a) -> s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT)));
        f.add(filter("title", (s, a) -> title(s)));
        f.add(named("trim", (var, a) -> rstrip(lstrip(String.valueOf(var), chars(a)), chars(a))));
        f.add(named("tojson", (var, a) -> PythonJson.dumps(var)));
        return f;
    }

    /** A filter under a jinja2 built-in name, replacing jinjava's version of it. */
    private static Filter named(String name, BiFunction<Object, Object[], Object> body) {
        return new Filter() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
                return filter(var, interpreter, (Object[]) args, Map.of());
            }

            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
                return body.apply(var, args == null ? new Object[0] : args);
            }
        };
    }

    private static Filter filter(String method, BiFunction<String, Object[], Object> body) {
        return new Filter() {
            @Override
            public String getName() {
                return "__py_" + method;
            }

            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
                return filter(var, interpreter, (Object[]) args, Map.of());
            }

            @Override
            public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
                if (var == null) {
                    throw new IllegalArgumentException("chat template calls ." + method + "() on an undefined value");
                }
                return body.apply(var.toString(), args == null ? new Object[0] : args);
            }
        };
    }

    private static boolean anyOf(Object[] args, int i, java.util.function.Predicate<String> test) {
        Object a = args.length > i ? args[i] : null;
        if (a instanceof Collection<?> c) {
            return c.stream().anyMatch(x -> test.test(String.valueOf(x)));
        }
        return test.test(String.valueOf(a));
    }

    private static String chars(Object[] a) {
        return a.length > 0 && a[0] != null ? a[0].toString() : null;
    }

    /** Python's {@code str.isspace} set for one char. */
    private static boolean isSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u001c' || c == '\u001d' || c == '\u001e' || c == '\u001f' || c == '\u0085';
    }

    private static boolean strips(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && strips(s.charAt(i - 1), chars)) {
            i--;
        }
        return s.substring(0, i);
    }

    /** Python's {@code str.split}: literal separator keeping empty parts, or whitespace runs. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            while (i < s.length()) {
                while (i < s.length() && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    break;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(rstrip(s.substring(i), null));
                    return out;
                }
                int j = i;
                while (j < s.length() && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("chat template: split() with an empty separator");
        }
        int from = 0;
        int at;
        while ((maxSplit < 0 || out.size() < maxSplit) && (at = s.indexOf(sep, from)) >= 0) {
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder b = new StringBuilder(s.length());
        boolean previousCased = false;
        for (char c : s.toCharArray()) {
            b.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return b.toString();
    }
}

package io.github.dgpo.data.template;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.Iterator;
import java.util.Map;

/**
 * {@code json.dumps(x, ensure_ascii=False)} as HF's chat-template {@code tojson} produces it:
 * separators {@code ", "} and {@code ": "}, non-ASCII kept, keys in insertion order.
 */
final class PythonJson {

    private PythonJson() {}

    static String dumps(Object value) {
        StringBuilder b = new StringBuilder();
        write(b, value);
        return b.toString();
    }

    private static void write(StringBuilder b, Object v) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Boolean) {
            b.append((Boolean) v ? "true" : "false");
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof java.math.BigInteger) {
            b.append(v);
        } else if (v instanceof Number n) {
            double d = n.doubleValue();
            b.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity") : pythonFloat(d));
        } else if (v instanceof Map<?, ?> m) {
            b.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                string(b, String.valueOf(e.getKey()));
                b.append(": ");
                write(b, e.getValue());
                if (it.hasNext()) {
                    b.append(", ");
                }
            }
            b.append('}');
        } else if (v instanceof Iterable<?> list) {
            b.append('[');
            Iterator<?> it = list.iterator();
            while (it.hasNext()) {
                write(b, it.next());
                if (it.hasNext()) {
                    b.append(", ");
                }
            }
            b.append(']');
        } else {
            string(b, v.toString());
        }
    }

    /**
     * Python's {@code repr(float)}: the shortest correctly rounded digits that read back as the
     * same double (Java 17's {@code Double.toString} is not always shortest: 4.9E-324 for
     * Python's 5e-324), positional for decimal exponents -4..15 ({@code 0.0001}, {@code
     * 12345678.5}, {@code 100.0}), else {@code 1e-05}, {@code 1.5e+16}.
     */
    static String pythonFloat(double d) {
        String sign = d < 0 || (d == 0 && 1 / d < 0) ? "-" : "";
        double a = Math.abs(d);
        if (a == 0) {
            return sign + "0.0";
        }
        BigDecimal exact = new BigDecimal(a);
        BigDecimal v = exact;
        for (int precision = 1; precision <= 17; precision++) {
            v = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            if (v.doubleValue() == a) {
                break;
            }
        }
        v = v.stripTrailingZeros();
        String digits = v.unscaledValue().toString();
        int exponent = digits.length() - 1 - v.scale();
        if (exponent >= -4 && exponent < 16) {
            String plain = v.toPlainString();
            return sign + (plain.contains(".") ? plain : plain + ".0");
        }
        String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + (Math.abs(exponent) < 10 ? "0" : "") + Math.abs(exponent);
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                case '\b' -> b.append("\\b");
                case '\f' -> b.append("\\f");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}

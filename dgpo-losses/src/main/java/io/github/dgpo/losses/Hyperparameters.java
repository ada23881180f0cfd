package io.github.dgpo.losses;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeSet;

/**
 * Typed, validated access to a loss's hyperparameters given as a map of names to values
 * (numbers, booleans or strings, as they come from YAML, {@code --param key=value} or code).
 *
 * <p>Every read records the name, so that after construction {@link #rejectUnknown(String)}
 * can refuse names the loss never asked for, listing the valid ones. Out-of-range values
 * fail with a message naming the parameter and its range.
 */
public final class Hyperparameters {

    private final Map<String, Object> given;
    private final Map<String, Object> effective = new LinkedHashMap<>();

    /**
     * Wraps the given values.
     *
     * @param given hyperparameter names to values; may be empty
     */
    public Hyperparameters(Map<String, ?> given) {
        this.given = new LinkedHashMap<>(given);
    }

    /**
     * A number {@code > 0} (β, τ).
     *
     * @param name config name
     * @param defaultValue value when absent
     * @return the value
     */
    public double positive(String name, double defaultValue) {
        double v = number(name, defaultValue);
        if (!(v > 0)) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
        return v;
    }

    /**
     * A number {@code >= 0} (weights such as α, λ).
     *
     * @param name config name
     * @param defaultValue value when absent
     * @return the value
     */
    public double nonNegative(String name, double defaultValue) {
        double v = number(name, defaultValue);
        if (!(v >= 0)) {
            throw new IllegalArgumentException(name + " must be >= 0, got " + v);
        }
        return v;
    }

    /**
     * A number in {@code [0, 0.5)} (label smoothing ε).
     *
     * @param name config name
     * @param defaultValue value when absent
     * @return the value
     */
    public double halfOpenFraction(String name, double defaultValue) {
        double v = number(name, defaultValue);
        if (!(v >= 0 && v < 0.5)) {
            throw new IllegalArgumentException(name + " must be in [0, 0.5), got " + v);
        }
        return v;
    }

    /**
     * A number in the open interval {@code (0, 1)} (EXO's label smoothing ε).
     *
     * @param name config name
     * @param defaultValue value when absent
     * @return the value
     */
    public double openFraction(String name, double defaultValue) {
        double v = number(name, defaultValue);
        if (!(v > 0 && v < 1)) {
            throw new IllegalArgumentException(name + " must be in (0, 1), got " + v);
        }
        return v;
    }

    /**
     * Any finite number (margins such as δ, γ).
     *
     * @param name config name
     * @param defaultValue value when absent
     * @return the value
     */
    public double finite(String name, double defaultValue) {
        return number(name, defaultValue);
    }

    /**
     * An optional finite number (KTO's given {@code z0}).
     *
     * @param name config name
     * @return the value, or empty when absent
     */
    public OptionalDouble optionalFinite(String name) {
        if (given.get(name) == null) {
            effective.put(name, null);
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(number(name, Double.NaN));
    }

    /**
     * A boolean ({@code true}/{@code false}, case-insensitive, when given as text).
     *
     * @param name config name
     * @param defaultValue value when absent
     * @return the value
     */
    public boolean flag(String name, boolean defaultValue) {
        Object raw = given.get(name);
        boolean v;
        if (raw == null) {
            v = defaultValue;
        } else if (raw instanceof Boolean b) {
            v = b;
        } else {
            String s = raw.toString().trim().toLowerCase(Locale.ROOT);
            if (!s.equals("true") && !s.equals("false")) {
                throw new IllegalArgumentException(name + " must be true or false, got '" + raw + "'");
            }
            v = Boolean.parseBoolean(s);
        }
        effective.put(name, v);
        return v;
    }

    /**
     * One of a fixed set of names (case-sensitive, as in TRL's configs).
     *
     * @param name config name
     * @param defaultValue value when absent
     * @param allowed the valid values
     * @return the value
     */
    public String choice(String name, String defaultValue, List<String> allowed) {
        Object raw = given.get(name);
        String v = raw == null ? defaultValue : raw.toString().trim();
        if (!allowed.contains(v)) {
            throw new IllegalArgumentException(name + " must be one of " + String.join(", ", allowed) + ", got '" + raw + "'");
        }
        effective.put(name, v);
        return v;
    }

    /**
     * Returns whether a value was given for the name (whether or not the loss reads it).
     *
     * @param name config name
     * @return true when given and not null
     */
    public boolean isGiven(String name) {
        return given.get(name) != null;
    }

    /**
     * A reduction ({@code sum} or {@code average}).
     *
     * @param name config name
     * @param defaultValue value when absent
     * @return the value
     */
    public Reduction reduction(String name, Reduction defaultValue) {
        Object raw = given.get(name);
        Reduction v = raw == null ? defaultValue : Reduction.parse(raw.toString());
        effective.put(name, v.label());
        return v;
    }

    /**
     * Fails when a given name was never read by the loss.
     *
     * @param loss the loss's name, for the message
     * @throws IllegalArgumentException naming the unknown and the valid hyperparameters
     */
    public void rejectUnknown(String loss) {
        Set<String> unknown = new TreeSet<>(given.keySet());
        unknown.removeAll(effective.keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException(
                    "unknown hyperparameter"
                            + (unknown.size() > 1 ? "s " : " ")
                            + String.join(", ", unknown)
                            + " for loss '"
                            + loss
                            + "'; valid: "
                            + (effective.isEmpty() ? "(none)" : String.join(", ", effective.keySet())));
        }
    }

    /**
     * Returns the values the loss uses, defaults included, in the order read.
     *
     * @return an unmodifiable map
     */
    public Map<String, Object> effective() {
        return Collections.unmodifiableMap(new LinkedHashMap<>(effective));
    }

    private double number(String name, double defaultValue) {
        Object raw = given.get(name);
        double v;
        if (raw == null) {
            v = defaultValue;
        } else if (raw instanceof Number n) {
            v = n.doubleValue();
        } else {
            try {
                v = Double.parseDouble(raw.toString().trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        name + " must be a number, got '" + raw + "'", e);
            }
        }
        if (raw != null && !Double.isFinite(v)) {
            throw new IllegalArgumentException(name + " must be finite, got " + raw);
        }
        effective.put(name, v);
        return v;
    }
}

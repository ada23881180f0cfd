package io.github.dgpo.core.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;

/**
 * Typed, checked reads of a config object's fields: sizes must be JSON integers within bounds,
 * numbers finite, flags booleans, ids non-negative integers; every error names the source and
 * the field.
 */
final class ConfigFields {

    private final ObjectNode json;
    private final String source;
    private final String label;

    ConfigFields(ObjectNode json, String source) {
        this(json, source, "field");
    }

    ConfigFields(ObjectNode json, String source, String label) {
        this.json = json;
        this.source = source;
        this.label = label;
    }

    private IllegalArgumentException error(String field, String rule, JsonNode v) {
        return new IllegalArgumentException(source + ": " + label + " '" + field + "' " + rule + ", got " + v);
    }

    /** A required integer in {@code [1, max]}. */
    int size(String field, int max) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException(source + ": required " + label + " '" + field + "' is missing");
        }
        return checkedSize(field, v, max);
    }

    int optionalSize(String field, int max, int def) {
        JsonNode v = json.get(field);
        return v == null || v.isNull() ? def : checkedSize(field, v, max);
    }

    private int checkedSize(String field, JsonNode v, int max) {
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
            throw error(field, "must be a positive integer", v);
        }
        if (v.asInt() > max) {
            throw new IllegalArgumentException(source + ": " + label + " '" + field + "' is " + v.asInt() + ", more than " + max
                    + ", which no supported model has: is the config corrupt?");
        }
        return v.asInt();
    }

    int optionalInt(String field, int def) {
        return optional(field, def, v -> v.isIntegralNumber() && v.canConvertToInt(), "must be an integer or null", JsonNode::asInt);
    }

    /** An optional field's value, {@code def} when absent or null, else checked by {@code ok}. */
    private <T> T optional(String field, T def, Predicate<JsonNode> ok, String rule, Function<JsonNode, T> read) {
        JsonNode v = json.get(field);
        if (v == null || v.isNull()) {
            return def;
        }
        if (!ok.test(v)) {
            throw error(field, rule, v);
        }
        return read.apply(v);
    }

    /** A finite number, {@code > 0} when {@code positive}, else {@code >= 0}. */
    double number(String field, double def, boolean positive) {
        return optional(field, def, v -> v.isNumber() && Double.isFinite(v.asDouble()) && (positive ? v.asDouble() > 0 : v.asDouble() >= 0),
                "must be a finite number " + (positive ? "> 0" : ">= 0"), JsonNode::asDouble);
    }

    boolean bool(String field, boolean def) {
        return optional(field, def, JsonNode::isBoolean, "must be true or false", JsonNode::asBoolean);
    }

    String text(String field, String def) {
        return optional(field, def, JsonNode::isTextual, "must be a string", JsonNode::asText);
    }

    private static boolean isId(JsonNode v) {
        return v.isIntegralNumber() && v.canConvertToInt() && v.asInt() >= 0;
    }

    /** A token id, or -1 when absent. */
    int tokenId(String field) {
        return optional(field, -1, ConfigFields::isId, "must be a token id (an integer >= 0)", JsonNode::asInt);
    }

    /** One token id or a list of them (may be empty). */
    List<Integer> tokenIds(String field) {
        JsonNode v = json.get(field);
        List<Integer> out = new ArrayList<>();
        if (v == null || v.isNull()) {
            return out;
        }
        boolean ok = v.isArray() ? StreamSupport.stream(v.spliterator(), false).allMatch(ConfigFields::isId) : isId(v);
        if (!ok) {
            throw error(field, "must be a token id (an integer >= 0) or a list of them", v);
        }
        if (v.isArray()) {
            v.forEach(x -> out.add(x.asInt()));
        } else {
            out.add(v.asInt());
        }
        return out;
    }
}

package io.github.dgpo.core.util;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.io.JsonEOFException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * JSON files read whole and bounded (through {@link InputFiles}), and JSON errors told by
 * position. Jackson's own messages quote the text at fault ({@code Unrecognized token
 * 'xyz'}); a file that is a symlink to a secret would leak a piece of it into the console and
 * logs. So a message here names the file, the line and column, and the kind of fault, never
 * the content.
 */
public final class JsonFiles {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonFiles() {}

    /**
     * Reads a JSON object of at most {@link InputFiles#MAX_CONFIG_BYTES}.
     *
     * @param file the file
     * @return the object
     * @throws IOException naming the file (and position) if it is not a regular file, too large,
     *     not JSON or not an object
     */
    public static ObjectNode readObject(Path file) throws IOException {
        JsonNode node = read(file, InputFiles.MAX_CONFIG_BYTES, "a JSON config");
        if (!(node instanceof ObjectNode o)) {
            throw new IOException(file + ": not a JSON object" + (node == null || node.isMissingNode() ? " (the file is empty)" : ""));
        }
        return o;
    }

    /**
     * Reads a JSON value with a size limit.
     *
     * @param file the file
     * @param maxBytes the largest file accepted
     * @param what what the file is, for the size message
     * @return the value (a missing node for an empty file)
     * @throws IOException naming the file (and position) if it cannot be read or is not JSON
     */
    public static JsonNode read(Path file, long maxBytes, String what) throws IOException {
        byte[] bytes = InputFiles.readBounded(file, maxBytes, what);
        try {
            return JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw error(file.toString(), e);
        }
    }

    /**
     * An exception for a parse or mapping error of a JSON source, by position only.
     *
     * @param source the file (or other source) name
     * @param e Jackson's error
     * @return {@code source: not valid JSON at line L, column C (kind)}
     */
    public static IOException error(String source, JsonProcessingException e) {
        return new IOException(source + ": " + describe(e), e);
    }

    /**
     * Describes a Jackson error by position and kind, without quoting the input.
     *
     * @param e the error
     * @return e.g. {@code not valid JSON at line 3, column 5 (unexpected character)}, or for a
     *     mapping error {@code field 'global_step' has the wrong type or value (expected int) at line 2, column 18}
     */
    public static String describe(JsonProcessingException e) {
        String at = position(e.getLocation());
        if (e instanceof JsonMappingException m && !(e instanceof JsonParseException)) {
            String path = m.getPath().stream()
                    .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                    .collect(Collectors.joining(".")).replace(".[", "[");
            String expected = m instanceof com.fasterxml.jackson.databind.exc.MismatchedInputException mi && mi.getTargetType() != null
                    ? " (expected " + mi.getTargetType().getSimpleName() + ")" : "";
            return (path.isEmpty() ? "a value" : "field '" + path + "'") + " has the wrong type or value" + expected + at;
        }
        return "not valid JSON" + at + " (" + kind(e) + ")";
    }

    private static String kind(JsonProcessingException e) {
        if (e instanceof JsonEOFException) {
            return "the text ends early: truncated?";
        }
        if (e instanceof StreamConstraintsException) {
            // the message holds only lengths and limits
            return e.getOriginalMessage();
        }
        String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (m.startsWith("Unrecognized token")) {
            return "not a JSON value";
        }
        if (m.startsWith("Unexpected character") || m.startsWith("Unexpected close marker")) {
            return "unexpected character";
        }
        if (m.startsWith("Invalid UTF-8") || m.startsWith("Invalid UTF-32")) {
            return "invalid UTF-8";
        }
        if (m.startsWith("Illegal unquoted character") || m.startsWith("Illegal character")) {
            return "a control character where none may be";
        }
        if (m.startsWith("Duplicate field")) {
            return "a duplicate key";
        }
        if (m.startsWith("Unexpected end-of-input")) {
            return "the text ends early: truncated?";
        }
        return "syntax error";
    }

    private static String position(JsonLocation l) {
        if (l == null || l.getLineNr() < 1) {
            return "";
        }
        return " at line " + l.getLineNr() + ", column " + l.getColumnNr();
    }
}

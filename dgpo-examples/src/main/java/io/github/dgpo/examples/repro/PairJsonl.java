package io.github.dgpo.examples.repro;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes text pairs in dgpo's {@code jsonl} format, as {@code GenericJsonlReader} reads them
 * back: {@code {"prompt": [{"role", "content"}...], "chosen": "...", "rejected": "..."}} (a
 * prompt of one user message as a plain string).
 */
public final class PairJsonl {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PairJsonl() {}

    /**
     * Writes the pairs.
     *
     * @param file the file (its folder is created)
     * @param pairs text-only pairs without tools
     * @throws IOException if it cannot be written
     * @throws IllegalArgumentException naming the pair when one has tools, tool calls or reasoning
     */
    public static void write(Path file, List<PreferenceExample> pairs) throws IOException {
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (PreferenceExample p : pairs) {
                w.write(JSON.writeValueAsString(row(p)));
                w.write('\n');
            }
        }
    }

    private static ObjectNode row(PreferenceExample p) {
        if (!p.tools().isEmpty() || !p.chosen().isTextOnly() || !p.rejected().isTextOnly() || p.prompt().stream().anyMatch(m -> !m.isTextOnly())) {
            throw new IllegalArgumentException(p.source() + ": only text pairs without tools are written");
        }
        ObjectNode o = JSON.createObjectNode();
        if (p.prompt().size() == 1 && p.prompt().get(0).role().equals("user")) {
            o.put("prompt", p.prompt().get(0).content());
        } else {
            ArrayNode prompt = o.putArray("prompt");
            for (Message m : p.prompt()) {
                prompt.addObject().put("role", m.role()).put("content", m.content());
            }
        }
        o.put("chosen", p.chosen().content());
        o.put("rejected", p.rejected().content());
        return o;
    }
}

package io.github.dgpo.core.generate;

import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.util.JsonFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The end-of-sequence ids of a model folder: {@code eos_token_id} of {@code
 * generation_config.json} (a single id or a list, as Llama 3 Instruct lists both {@code
 * <|end_of_text|>} and {@code <|eot_id|>}) together with {@code config.json}'s.
 */
public final class StopTokens {

    private StopTokens() {}

    /**
     * Reads the stop ids.
     *
     * @param dir the model folder, or null
     * @param config the model config
     * @return the ids (may be empty)
     * @throws IOException if generation_config.json exists but is not JSON
     */
    public static Set<Integer> of(Path dir, ModelConfig config) throws IOException {
        Set<Integer> ids = new LinkedHashSet<>(config.eosTokenIds());
        Path file = dir == null ? null : dir.resolve("generation_config.json");
        if (file != null && Files.exists(file)) {
            JsonNode eos = JsonFiles.readObject(file).get("eos_token_id");
            if (eos != null && eos.isArray()) {
                eos.forEach(e -> ids.add(e.asInt()));
            } else if (eos != null && eos.canConvertToInt()) {
                ids.add(eos.asInt());
            }
        }
        return ids;
    }
}

package io.github.dgpo.train.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.dgpo.train.config.ConfigLoader;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --template-kwarg KEY=VALUE}: chat template variables, values YAML-typed as in {@code
 * --set} ({@code enable_thinking=false} is the boolean false), like the config's {@code
 * chat_template_kwargs}.
 */
final class TemplateKwargs {

    /** The option's description, shared by the commands that render prompts from data. */
    static final String DESCRIPTION = "chat template variable, YAML-typed, repeatable (e.g. enable_thinking=false for Qwen3); as chat_template_kwargs in configs";

    private TemplateKwargs() {}

    /**
     * Types the values.
     *
     * @param raw the option's key/value strings, in order
     * @return the variables
     * @throws UserInputException if a value is not YAML
     */
    static Map<String, Object> typed(Map<String, String> raw) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            JsonNode value;
            try {
                value = ConfigLoader.YAML.readTree(e.getValue());
            } catch (JsonProcessingException ex) {
                throw new UserInputException("--template-kwarg " + e.getKey() + ": '" + e.getValue() + "' is not a YAML value: " + ex.getOriginalMessage());
            }
            out.put(e.getKey(), value == null || value.isMissingNode() ? null : ConfigLoader.YAML.convertValue(value, Object.class));
        }
        return out;
    }
}

package io.github.dgpo.data.tokenize;

import io.github.dgpo.data.template.ChatTemplate;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Length limits and the chat template's extra variables.
 *
 * @param maxLength prompt + completion tokens (the DGPO paper's 2048 by default)
 * @param maxPromptLength prompt tokens, 0 for no separate limit
 * @param chatTemplateKwargs extra template variables, as transformers' {@code
 *     apply_chat_template(..., **kwargs)} passes them (e.g. Qwen3's {@code enable_thinking:
 *     false}); empty for none
 */
public record TokenizeOptions(int maxLength, int maxPromptLength, Map<String, Object> chatTemplateKwargs) {

    /** The DGPO paper's setting: 2048 tokens, no separate prompt limit. */
    public static final TokenizeOptions DEFAULT = new TokenizeOptions(2048, 0);

    /** Validates the limits and the variables' names; keeps the variables' order. */
    public TokenizeOptions {
        if (maxLength < 2) {
            throw new IllegalArgumentException("max_length must be >= 2, got " + maxLength);
        }
        if (maxPromptLength < 0 || maxPromptLength >= maxLength) {
            throw new IllegalArgumentException("max_prompt_length must be in [0, max_length), got " + maxPromptLength);
        }
        // not Map.copyOf: a variable may be null (YAML's null), as a Python None
        chatTemplateKwargs = chatTemplateKwargs == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(chatTemplateKwargs));
        ChatTemplate.checkKwargs(chatTemplateKwargs);
    }

    /**
     * Length limits without template variables.
     *
     * @param maxLength prompt + completion tokens
     * @param maxPromptLength prompt tokens, 0 for no separate limit
     */
    public TokenizeOptions(int maxLength, int maxPromptLength) {
        this(maxLength, maxPromptLength, Map.of());
    }
}

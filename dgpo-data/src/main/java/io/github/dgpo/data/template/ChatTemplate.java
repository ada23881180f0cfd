package io.github.dgpo.data.template;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import io.github.dgpo.core.util.InputFiles;
import io.github.dgpo.core.util.JsonFiles;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.ToolCall;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * A model's chat template, rendered with jinjava as HF renders templates: {@code trim_blocks}
 * and {@code lstrip_blocks} on, {@code raise_exception}, {@code bos_token}/{@code eos_token}
 * and {@code add_generation_prompt} in the context, {@code tools} when there are any, and
 * the caller's extra variables ({@code chat_template_kwargs}, which override the special
 * tokens as they do in transformers). Messages reach the template as transformers' dicts:
 * {@code role}, {@code content}, and {@code reasoning_content} and {@code tool_calls} (in
 * the nested {@code {"type": "function", "function": {"name", "arguments"}}} form) when set. The template is {@code chat_template.jinja}
 * beside the tokenizer when present (it takes precedence), else {@code tokenizer_config.json}'s
 * {@code chat_template} (a string, or a list of named templates of which {@code default} is
 * used). It is rewritten by {@link JinjaSource} into the subset jinjava evaluates like jinja2;
 * any render error or warning fails loudly, so a prompt is never silently different from HF's.
 * jinjava's {@code trim} (Java's {@code String.trim}, which also strips control characters) and
 * {@code tojson} (compact separators) are replaced by jinja2's / HF's semantics, and nested
 * interpretation (executing template syntax found in message text) is off.
 *
 * <p>Without a template, {@link #plain} is used: {@value #PLAIN}. It renders text only and
 * fails on tools, tool calls, reasoning and the {@code tool} role rather than drop them.
 */
public final class ChatTemplate {

    /** The documented fallback for tokenizers without a template. */
    public static final String PLAIN = "{% if tools %}{{ raise_exception('the plain fallback template renders no tools; give the tokenizer a chat template') }}{% endif %}"
            + "{% for message in messages %}{% if message.tool_calls or message.reasoning_content %}"
            + "{{ raise_exception('the plain fallback template renders no tool calls or reasoning; give the tokenizer a chat template') }}{% endif %}"
            + "{% if message.role == 'system' %}{{ message.content }}\n\n"
            + "{% elif message.role == 'user' %}User: {{ message.content }}\n\n{% elif message.role == 'assistant' %}Assistant:\n{{ message.content }}{{ eos_token }}\n\n"
            + "{% else %}{{ raise_exception('the plain fallback template renders system, user and assistant messages, not ' + message.role) }}"
            + "{% endif %}{% endfor %}{% if add_generation_prompt %}Assistant:\n{% endif %}";

    /**
     * Names {@code chat_template_kwargs} may not use: transformers' {@code apply_chat_template}
     * consumes them itself (they never reach the template as extra variables), or dgpo sets
     * them from the data.
     */
    public static final Set<String> RESERVED_KWARGS = Set.of("messages", "conversation", "tools", "documents", "add_generation_prompt",
            "continue_final_message", "chat_template", "tokenize", "padding", "truncation", "max_length", "return_tensors", "return_dict",
            "return_assistant_tokens_mask", "tokenizer_kwargs");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SENTINEL = "DGPO_END_OF_TURN_PROBE_5f1c";

    private final String source;
    private final String rewritten;
    private final String bosToken;
    private final String eosToken;
    private final List<String> specialTokens;
    private final boolean fallback;
    private final Jinjava jinjava;
    private final Node parsed;

    private ChatTemplate(String source, String bosToken, String eosToken, List<String> specialTokens, boolean fallback) {
        this.source = source;
        this.rewritten = JinjaSource.rewrite(source);
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.specialTokens = List.copyOf(specialTokens);
        this.fallback = fallback;
        // Nested interpretation would execute template syntax found in message text: off, as in jinja2.
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true).withNestedInterpretationEnabled(false).build());
        PyStringFilters.all().forEach(f -> jinjava.getGlobalContext().registerFilter(f));
        jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        // Parsed once: jinjava's renderForResult re-parses the template text on every call.
        JinjavaInterpreter parser = jinjava.newInterpreter();
        this.parsed = parser.parse(rewritten);
        if (!parser.getErrors().isEmpty()) {
            throw new IllegalArgumentException("chat template does not parse: "
                    + parser.getErrors().stream().map(ChatTemplate::describe).collect(Collectors.joining("; ")));
        }
    }

    /**
     * Creates a template from its text.
     *
     * @param template jinja2 source
     * @param bosToken {@code bos_token}, or null
     * @param eosToken {@code eos_token}, or null
     * @return the template
     */
    public static ChatTemplate of(String template, String bosToken, String eosToken) {
        List<String> special = new ArrayList<>();
        if (eosToken != null) {
            special.add(eosToken);
        }
        return new ChatTemplate(template, bosToken, eosToken, special, false);
    }

    /**
     * The plain fallback.
     *
     * @param bosToken {@code bos_token}, or null
     * @param eosToken {@code eos_token}, or null
     * @return the fallback template
     */
    public static ChatTemplate plain(String bosToken, String eosToken) {
        return new ChatTemplate(PLAIN, bosToken, eosToken, eosToken == null ? List.of() : List.of(eosToken), true);
    }

    /**
     * Reads the template of a tokenizer folder.
     *
     * @param dir folder with {@code tokenizer_config.json} and/or {@code chat_template.jinja}
     * @return the template, or the plain fallback when there is none
     * @throws IOException if a file cannot be read
     */
    public static ChatTemplate fromFolder(Path dir) throws IOException {
        Path config = dir.resolve("tokenizer_config.json");
        JsonNode cfg = Files.exists(config, LinkOption.NOFOLLOW_LINKS) ? JsonFiles.readObject(config) : JSON.createObjectNode();
        String bos = tokenText(cfg.get("bos_token"));
        String eos = tokenText(cfg.get("eos_token"));
        List<String> special = new ArrayList<>();
        if (eos != null) {
            special.add(eos);
        }
        JsonNode added = cfg.get("added_tokens_decoder");
        if (added != null && added.isObject()) {
            added.elements().forEachRemaining(t -> {
                if (t.path("special").asBoolean(false) && t.hasNonNull("content")) {
                    special.add(t.get("content").asText());
                }
            });
        }
        Path sidecar = dir.resolve("chat_template.jinja");
        String template = null;
        if (Files.exists(sidecar, LinkOption.NOFOLLOW_LINKS)) {
            template = new String(InputFiles.readBounded(sidecar, InputFiles.MAX_CONFIG_BYTES, "a chat template"), java.nio.charset.StandardCharsets.UTF_8);
        } else {
            JsonNode t = cfg.get("chat_template");
            if (t != null && t.isTextual()) {
                template = t.asText();
            } else if (t != null && t.isArray()) {
                for (JsonNode named : t) {
                    if ("default".equals(named.path("name").asText())) {
                        template = named.path("template").asText();
                    }
                }
            }
        }
        if (template == null) {
            return new ChatTemplate(PLAIN, bos, eos, special, true);
        }
        return new ChatTemplate(template, bos, eos, special, false);
    }

    private static String tokenText(JsonNode t) {
        if (t == null || t.isNull()) {
            return null;
        }
        return t.isObject() ? t.path("content").asText(null) : t.asText();
    }

    /**
     * Called by templates; fails the render.
     *
     * @param message the template's message
     * @return never
     */
    public static String raiseException(String message) {
        throw new IllegalArgumentException("chat template raised: " + message);
    }

    /**
     * Checks extra template variables: names only ({@link #RESERVED_KWARGS} excluded).
     *
     * @param kwargs the variables
     * @throws IllegalArgumentException naming the offending key
     */
    public static void checkKwargs(Map<String, Object> kwargs) {
        for (String key : kwargs.keySet()) {
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("chat_template_kwargs: a key is empty");
            }
            if (RESERVED_KWARGS.contains(key)) {
                throw new IllegalArgumentException("chat_template_kwargs: '" + key + "' is not a template variable (apply_chat_template "
                        + "consumes it, or dgpo sets it from the data); reserved: " + String.join(", ", new TreeSet<>(RESERVED_KWARGS)));
            }
        }
    }

    /**
     * Renders a conversation without tools or extra variables.
     *
     * @param messages the messages
     * @param addGenerationPrompt whether to open an assistant turn at the end
     * @return the text
     * @throws IllegalArgumentException if the template fails or warns
     */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        return render(messages, List.of(), Map.of(), addGenerationPrompt);
    }

    /**
     * Renders a conversation as {@code tokenizer.apply_chat_template(messages, tools=tools,
     * add_generation_prompt=..., tokenize=False, **kwargs)} does.
     *
     * @param messages the messages
     * @param tools the functions' JSON schemas; empty for none ({@code tools} is then
     *     undefined, as TRL passes {@code tools or None})
     * @param kwargs extra template variables ({@code chat_template_kwargs}, e.g. Qwen3's
     *     {@code enable_thinking})
     * @param addGenerationPrompt whether to open an assistant turn at the end
     * @return the text
     * @throws IllegalArgumentException if the template fails or warns, or a kwarg is reserved
     */
    public String render(List<Message> messages, List<Map<String, Object>> tools, Map<String, Object> kwargs, boolean addGenerationPrompt) {
        checkKwargs(kwargs);
        Map<String, Object> context = new HashMap<>();
        context.put("bos_token", bosToken == null ? "" : bosToken);
        context.put("eos_token", eosToken == null ? "" : eosToken);
        context.putAll(kwargs);
        List<Map<String, Object>> list = new ArrayList<>();
        for (Message m : messages) {
            list.add(templateValue(m));
        }
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        if (!tools.isEmpty()) {
            context.put("tools", tools);
        }
        JinjavaInterpreter interpreter = new JinjavaInterpreter(jinjava, new Context(jinjava.getGlobalContext(), context), jinjava.getGlobalConfig());
        JinjavaInterpreter.pushCurrent(interpreter);
        String output;
        try {
            output = interpreter.render(parsed, true);
        } finally {
            JinjavaInterpreter.popCurrent();
        }
        if (!interpreter.getErrors().isEmpty()) {
            String errors = interpreter.getErrors().stream().map(ChatTemplate::describe).collect(Collectors.joining("; "));
            throw new IllegalArgumentException("chat template failed: " + errors);
        }
        return output;
    }

    /** The message as the dict transformers hands the template; absent fields stay undefined. */
    private static Map<String, Object> templateValue(Message m) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("role", m.role());
        map.put("content", m.content());
        if (m.reasoningContent() != null) {
            map.put("reasoning_content", m.reasoningContent());
        }
        if (!m.toolCalls().isEmpty()) {
            List<Map<String, Object>> calls = new ArrayList<>();
            for (ToolCall c : m.toolCalls()) {
                Map<String, Object> function = new LinkedHashMap<>();
                function.put("name", c.name());
                function.put("arguments", c.arguments());
                Map<String, Object> call = new LinkedHashMap<>();
                if (c.id() != null) {
                    call.put("id", c.id());
                }
                call.put("type", "function");
                call.put("function", function);
                calls.add(call);
            }
            map.put("tool_calls", calls);
        }
        return map;
    }

    private static String describe(TemplateError e) {
        Throwable cause = e.getException();
        while (cause != null && cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String msg = cause instanceof IllegalArgumentException && cause.getMessage() != null ? cause.getMessage() : e.getMessage();
        return msg + (e.getLineno() > 0 ? " (template line " + e.getLineno() + ")" : "");
    }

    /**
     * The token that closes an assistant turn in this template: the first special token (or
     * the EOS) that follows an assistant message's content when the template renders one.
     *
     * @return the end-of-turn token text
     * @throws IllegalArgumentException if none can be found
     */
    public String endOfTurn() {
        String text = render(List.of(Message.user("hi"), Message.assistant(SENTINEL)), false);
        int at = text.lastIndexOf(SENTINEL);
        if (at < 0) {
            throw new IllegalArgumentException("chat template does not render assistant content");
        }
        String after = text.substring(at + SENTINEL.length());
        String best = null;
        for (String t : specialTokens) {
            if (!t.isEmpty() && after.startsWith(t) && (best == null || t.length() > best.length())) {
                best = t;
            }
        }
        if (best != null) {
            return best;
        }
        if (eosToken != null) {
            return eosToken;
        }
        throw new IllegalArgumentException("chat template closes assistant turns with '" + after + "', which is not a special token, and there is no eos_token");
    }

    /** @return {@code bos_token}, or null */
    public String bosToken() {
        return bosToken;
    }

    /** @return {@code eos_token}, or null */
    public String eosToken() {
        return eosToken;
    }

    /** @return whether this is the plain fallback */
    public boolean isFallback() {
        return fallback;
    }

    /** @return the original template text */
    public String source() {
        return source;
    }

    /** @return the template as given to jinjava */
    public String rewrittenSource() {
        return rewritten;
    }
}

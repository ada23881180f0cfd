package io.github.dgpo.data.tokenize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.core.util.JsonFiles;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.UnpairedExample;
import io.github.dgpo.data.template.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Turns examples into token ids the way preference trainers need them.
 *
 * <ul>
 *   <li>The prompt is the chat template rendered with {@code add_generation_prompt} (with the
 *       example's {@code tools} and the options' {@code chat_template_kwargs}); a text
 *       completion is the assistant content followed by the template's end-of-turn token. The
 *       two are tokenized separately and concatenated, so no BPE merge crosses the seam.
 *   <li>When a completion carries {@code tool_calls} or {@code reasoning_content}, the pair's
 *       completions are rendered as TRL renders a conversation's last assistant turn: the
 *       template renders prompt + completion, which must start with the rendered prompt; the
 *       completion is the rest up to its end-of-turn token (which is kept, and what follows it
 *       dropped, as for text completions). Both completions of such a pair (and of a pair
 *       whose other side is text only) are rendered this way, so the two differ only in what
 *       the data says (Qwen3 puts an empty think block before an answer without reasoning).
 *   <li>Exactly one BOS where the tokenizer uses one: the template's own {@code bos_token}
 *       text, or one added when {@code add_bos_token} is set; never two.
 *   <li>Truncation: the prompt keeps its end (and its BOS) to {@code max_prompt_length}; a
 *       completion keeps its start to fit {@code max_length}; a pair whose prompt alone
 *       leaves no room is dropped ({@value DropReasons#PROMPT_TOO_LONG}), as is one the chat
 *       template rejects ({@code chat template error}).
 * </ul>
 */
public final class PairTokenizer implements AutoCloseable {

    /** Examples tokenized per native batch call. */
    private static final int BATCH = 256;

    /** Drop reason of rows the chat template refuses (e.g. roles that do not alternate). */
    public static final String TEMPLATE_ERROR = "chat template error";

    private final TextTokenizer tokenizer;
    private final ChatTemplate template;
    private final TokenizeOptions options;
    private final long bosId;
    private final boolean addBos;
    private final String endOfTurn;
    private final long endOfTurnId;
    private final long padId;

    /**
     * Creates the tokenizer.
     *
     * @param tokenizer the text tokenizer
     * @param template the chat template
     * @param options the length limits
     * @param addBos whether the tokenizer adds BOS ({@code add_bos_token})
     */
    public PairTokenizer(TextTokenizer tokenizer, ChatTemplate template, TokenizeOptions options, boolean addBos) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.options = options;
        this.bosId = template.bosToken() == null ? -1 : singleId(template.bosToken(), "bos_token");
        this.addBos = addBos && bosId >= 0;
        this.endOfTurn = template.endOfTurn();
        this.endOfTurnId = singleId(endOfTurn, "end-of-turn token");
        this.padId = endOfTurnId;
    }

    /**
     * Loads tokenizer, template and special tokens from a folder ({@code tokenizer.json[.gz]},
     * {@code tokenizer_config.json}, optional {@code chat_template.jinja}).
     *
     * @param dir the folder
     * @param options the length limits
     * @return the pair tokenizer; close it
     * @throws IOException if a file cannot be read
     */
    public static PairTokenizer fromFolder(Path dir, TokenizeOptions options) throws IOException {
        ChatTemplate template = ChatTemplate.fromFolder(dir);
        Path cfg = dir.resolve("tokenizer_config.json");
        JsonNode config = Files.exists(cfg, LinkOption.NOFOLLOW_LINKS) ? JsonFiles.readObject(cfg) : new ObjectMapper().createObjectNode();
        TextTokenizer tokenizer = TextTokenizer.load(dir);
        try {
            PairTokenizer p = new PairTokenizer(tokenizer, template, options, config.path("add_bos_token").asBoolean(false));
            String pad = config.hasNonNull("pad_token") ? (config.get("pad_token").isObject() ? config.get("pad_token").path("content").asText(null) : config.get("pad_token").asText()) : null;
            return pad == null ? p : p.withPad(p.singleId(pad, "pad_token"));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    private PairTokenizer(PairTokenizer base, long padId) {
        this.tokenizer = base.tokenizer;
        this.template = base.template;
        this.options = base.options;
        this.bosId = base.bosId;
        this.addBos = base.addBos;
        this.endOfTurn = base.endOfTurn;
        this.endOfTurnId = base.endOfTurnId;
        this.padId = padId;
    }

    private PairTokenizer withPad(long pad) {
        return new PairTokenizer(this, pad);
    }

    private long singleId(String text, String what) {
        long[] ids = tokenizer.encode(text);
        if (ids.length != 1) {
            throw new IllegalArgumentException(what + " '" + text + "' is not a single token in " + tokenizer.source() + " (got " + Arrays.toString(ids) + ")");
        }
        return ids[0];
    }

    /** @return the id padding uses: {@code pad_token}, or the end-of-turn (EOS) id when there is none */
    public long padId() {
        return padId;
    }

    /** @return the end-of-turn id that closes every completion */
    public long endOfTurnId() {
        return endOfTurnId;
    }

    /** @return the BOS id, or -1 */
    public long bosId() {
        return bosId;
    }

    /** @return the chat template */
    public ChatTemplate template() {
        return template;
    }

    /** @return the length limits */
    public TokenizeOptions options() {
        return options;
    }

    /**
     * Prompt ids: the rendered prompt with exactly one BOS where the tokenizer uses one.
     *
     * @param prompt the messages
     * @return the ids, before truncation
     */
    public long[] promptIds(List<Message> prompt) {
        return promptIds(prompt, List.of());
    }

    /**
     * Prompt ids of a conversation with tools.
     *
     * @param prompt the messages
     * @param tools the functions' JSON schemas, empty for none
     * @return the ids, before truncation
     * @throws BadRowException if the template refuses the prompt
     */
    public long[] promptIds(List<Message> prompt, List<Map<String, Object>> tools) {
        return withBos(tokenizer.encode(render(prompt, tools, true)));
    }

    private String render(List<Message> messages, List<Map<String, Object>> tools, boolean addGenerationPrompt) {
        try {
            return template.render(messages, tools, options.chatTemplateKwargs(), addGenerationPrompt);
        } catch (IllegalArgumentException e) {
            throw new BadRowException(TEMPLATE_ERROR, e.getMessage());
        }
    }

    /**
     * The texts an example is tokenized from: the rendered prompt, then each completion's text
     * without its end-of-turn token: the content for text completions, the template's
     * rendering when any completion carries tool calls or reasoning.
     */
    private String[] texts(List<Message> prompt, List<Map<String, Object>> tools, Message... completions) {
        String[] out = new String[1 + completions.length];
        out[0] = render(prompt, tools, true);
        boolean rendered = Arrays.stream(completions).anyMatch(m -> !m.isTextOnly());
        for (int i = 0; i < completions.length; i++) {
            out[i + 1] = rendered ? renderedCompletion(prompt, tools, completions[i], out[0]) : completions[i].content();
        }
        return out;
    }

    /** TRL's completion: the full conversation's rendering after the prompt's, cut before the end-of-turn token. */
    private String renderedCompletion(List<Message> prompt, List<Map<String, Object>> tools, Message completion, String renderedPrompt) {
        List<Message> conversation = new ArrayList<>(prompt);
        conversation.add(completion);
        String full = render(conversation, tools, false);
        if (!full.startsWith(renderedPrompt)) {
            int at = 0;
            while (at < full.length() && at < renderedPrompt.length() && full.charAt(at) == renderedPrompt.charAt(at)) {
                at++;
            }
            throw new BadRowException(TEMPLATE_ERROR, "the conversation with its completion does not render as the prompt "
                    + "and a continuation: at character " + at + " the prompt has '" + excerpt(renderedPrompt, at) + "', the conversation '" + excerpt(full, at)
                    + "' (e.g. reasoning with enable_thinking false)");
        }
        String rest = full.substring(renderedPrompt.length());
        int end = rest.indexOf(endOfTurn);
        if (end < 0) {
            throw new BadRowException(TEMPLATE_ERROR, "the rendered completion '" + excerpt(rest, 0) + "' has no end-of-turn token " + endOfTurn);
        }
        return rest.substring(0, end);
    }

    private static String excerpt(String text, int from) {
        String s = text.substring(from, Math.min(text.length(), from + 40));
        return s.replace("\n", "\\n");
    }

    /** Exactly one BOS at the start where the tokenizer uses one. */
    private long[] withBos(long[] ids) {
        if (bosId >= 0) {
            int leading = 0;
            while (leading < ids.length && ids[leading] == bosId) {
                leading++;
            }
            if (leading > 1) {
                ids = Arrays.copyOfRange(ids, leading - 1, ids.length);
            } else if (leading == 0 && addBos) {
                long[] withBos = new long[ids.length + 1];
                withBos[0] = bosId;
                System.arraycopy(ids, 0, withBos, 1, ids.length);
                ids = withBos;
            }
        }
        return ids;
    }

    /**
     * Completion ids: the text then the end-of-turn token.
     *
     * @param content the assistant content (or a rendered completion without its end-of-turn token)
     * @return the ids, before truncation
     */
    public long[] completionIds(String content) {
        return withEndOfTurn(tokenizer.encode(content));
    }

    private long[] withEndOfTurn(long[] text) {
        long[] ids = Arrays.copyOf(text, text.length + 1);
        ids[text.length] = endOfTurnId;
        return ids;
    }

    /**
     * Tokenizes one pair.
     *
     * @param e the pair
     * @return the ids
     * @throws BadRowException when the prompt leaves no room or the template refuses the prompt
     */
    public TokenizedPair tokenize(PreferenceExample e) {
        String[] t = texts(e.prompt(), e.tools(), e.chosen(), e.rejected());
        return fit(withBos(tokenizer.encode(t[0])), completionIds(t[1]), completionIds(t[2]), e.source());
    }

    private TokenizedPair fit(long[] prompt, long[] chosen, long[] rejected, io.github.dgpo.data.Source source) {
        boolean[] truncated = {false};
        long[] p = fitPrompt(prompt, truncated);
        return new TokenizedPair(p, fitCompletion(chosen, p.length, truncated), fitCompletion(rejected, p.length, truncated), truncated[0], source);
    }

    /**
     * Tokenizes one unpaired example.
     *
     * @param e the example
     * @return the ids
     */
    public TokenizedExample tokenize(UnpairedExample e) {
        String[] t = texts(e.prompt(), e.tools(), e.completion());
        boolean[] truncated = {false};
        long[] prompt = fitPrompt(withBos(tokenizer.encode(t[0])), truncated);
        long[] completion = fitCompletion(completionIds(t[1]), prompt.length, truncated);
        return new TokenizedExample(prompt, completion, e.desirable(), truncated[0], e.source());
    }

    /**
     * Tokenizes many pairs, counting truncated pairs and dropping (and counting) the ones that
     * cannot be tokenized.
     *
     * @param examples the pairs
     * @param report where counts go (its kept count becomes the tokenized count)
     * @return the tokenized pairs
     */
    public List<TokenizedPair> tokenizeAll(List<PreferenceExample> examples, ReadReport report) {
        List<TokenizedPair> out = new ArrayList<>(examples.size());
        for (int start = 0; start < examples.size(); start += BATCH) {
            List<PreferenceExample> part = examples.subList(start, Math.min(examples.size(), start + BATCH));
            List<PreferenceExample> rendered = new ArrayList<>(part.size());
            List<String> texts = new ArrayList<>(part.size() * 3);
            // Each render has its own interpreter over the shared parsed template, so examples render in parallel.
            List<Object> results = part.parallelStream().map(e -> {
                try {
                    return (Object) texts(e.prompt(), e.tools(), e.chosen(), e.rejected());
                } catch (BadRowException ex) {
                    return ex;
                }
            }).collect(java.util.stream.Collectors.toList());
            for (int i = 0; i < part.size(); i++) {
                PreferenceExample e = part.get(i);
                if (results.get(i) instanceof BadRowException ex) {
                    report.countKept(-1);
                    report.drop(e.source(), ex);
                    continue;
                }
                texts.addAll(Arrays.asList((String[]) results.get(i)));
                rendered.add(e);
            }
            long[][] ids = tokenizer.encodeAll(texts);
            for (int i = 0; i < rendered.size(); i++) {
                PreferenceExample e = rendered.get(i);
                try {
                    TokenizedPair t = fit(withBos(ids[3 * i]), withEndOfTurn(ids[3 * i + 1]), withEndOfTurn(ids[3 * i + 2]), e.source());
                    if (t.truncated()) {
                        report.countTruncated();
                    }
                    out.add(t);
                } catch (BadRowException ex) {
                    report.countKept(-1);
                    report.drop(e.source(), ex);
                }
            }
        }
        return out;
    }

    /**
     * Tokenizes many unpaired examples, counting as {@link #tokenizeAll(List, ReadReport)} does.
     *
     * @param examples the examples
     * @param report where counts go
     * @return the tokenized examples
     */
    public List<TokenizedExample> tokenizeAllUnpaired(List<UnpairedExample> examples, ReadReport report) {
        List<TokenizedExample> out = new ArrayList<>(examples.size());
        for (UnpairedExample e : examples) {
            try {
                TokenizedExample t = tokenize(e);
                if (t.truncated()) {
                    report.countTruncated();
                }
                out.add(t);
            } catch (BadRowException ex) {
                report.countKept(-1);
                report.drop(e.source(), ex);
            }
        }
        return out;
    }

    private long[] fitPrompt(long[] prompt, boolean[] truncated) {
        int limit = options.maxPromptLength() > 0 ? options.maxPromptLength() : options.maxLength() - 1;
        if (prompt.length >= options.maxLength() && options.maxPromptLength() == 0) {
            throw new BadRowException(DropReasons.PROMPT_TOO_LONG, prompt.length + " prompt tokens leave no room within max_length " + options.maxLength());
        }
        if (prompt.length <= limit) {
            return prompt;
        }
        truncated[0] = true;
        boolean keepBos = bosId >= 0 && prompt[0] == bosId;
        long[] out = new long[limit];
        int head = keepBos ? 1 : 0;
        if (keepBos) {
            out[0] = bosId;
        }
        System.arraycopy(prompt, prompt.length - (limit - head), out, head, limit - head);
        return out;
    }

    private long[] fitCompletion(long[] completion, int promptLength, boolean[] truncated) {
        int room = options.maxLength() - promptLength;
        if (completion.length <= room) {
            return completion;
        }
        truncated[0] = true;
        return Arrays.copyOf(completion, room);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

package io.github.dgpo.data.tokenize;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.RepoFiles;
import io.github.dgpo.data.Source;
import io.github.dgpo.data.UnpairedExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Token ids against HF tokenizers ({@code tokenizer(apply_chat_template(...),
 * add_special_tokens=False)} and {@code tokenizer(content) + [end of turn]}, computed once with
 * transformers 5.18 and written out here), pairs with tools, tool calls, reasoning and
 * chat_template_kwargs against TRL's tokenization ({@code templates/pairs.json}), BOS handling,
 * and truncation.
 */
class PairTokenizerTest {

    private static final List<Message> PROMPT = List.of(Message.system("Be brief."), Message.user("What is 2+2?"));
    private static final Source SRC = new Source("test", 1);

    private static Path resource(String name) {
        return Paths.get(PairTokenizerTest.class.getResource("/tokenizers/" + name).getPath());
    }

    private static PreferenceExample pair(List<Message> prompt, String chosen, String rejected) {
        return new PreferenceExample(prompt, chosen, rejected, null, null, SRC);
    }

    @Test
    void qwen3IdsEqualTransformers() throws Exception {
        try (PairTokenizer t = PairTokenizer.fromFolder(RepoFiles.qwen3(), TokenizeOptions.DEFAULT)) {
            TokenizedPair p = t.tokenize(pair(PROMPT, "It is 4.", "It is 5."));
            assertArrayEquals(new long[] {151644, 8948, 198, 3430, 9814, 13, 151645, 198, 151644, 872, 198, 3838, 374, 220, 17, 10, 17, 30, 151645, 198, 151644, 77091, 198}, p.prompt());
            assertArrayEquals(new long[] {2132, 374, 220, 19, 13, 151645}, p.chosen());
            assertEquals(151645, t.endOfTurnId());
            assertEquals(151643, t.padId(), "Qwen3's pad_token <|endoftext|>");
            assertEquals(-1, t.bosId(), "Qwen3 has no BOS");
            assertFalse(p.truncated());
        }
    }

    @Test
    void llama3HasExactlyOneBosFromItsTemplate(@TempDir Path tmp) throws Exception {
        long[] expected = {128000, 128006, 9125, 128007, 271, 3513, 10015, 13, 128009, 128006, 882, 128007, 271, 3923, 374, 220, 17, 10, 17, 30, 128009, 128006, 78191, 128007, 271};
        try (PairTokenizer t = PairTokenizer.fromFolder(resource("llama3"), TokenizeOptions.DEFAULT)) {
            TokenizedPair p = t.tokenize(pair(PROMPT, "It is 4.", "It is 5."));
            assertArrayEquals(expected, p.prompt());
            assertArrayEquals(new long[] {2181, 374, 220, 19, 13, 128009}, p.chosen());
            assertEquals(128009, t.padId(), "no pad_token: the end-of-turn id pads");
        }
        // add_bos_token on top of a template that writes bos_token: still one BOS
        Files.copy(resource("llama3").resolve("tokenizer.json.gz"), tmp.resolve("tokenizer.json.gz"));
        String cfg = Files.readString(resource("llama3").resolve("tokenizer_config.json")).replaceFirst("\\{", "{\"add_bos_token\": true,");
        Files.writeString(tmp.resolve("tokenizer_config.json"), cfg);
        try (PairTokenizer t = PairTokenizer.fromFolder(tmp, TokenizeOptions.DEFAULT)) {
            assertArrayEquals(expected, t.tokenize(pair(PROMPT, "a", "b")).prompt());
        }
    }

    @Test
    void mistralWithoutTemplateUsesThePlainFallbackAndAddsBosOnce() throws Exception {
        try (PairTokenizer t = PairTokenizer.fromFolder(RepoFiles.path("tokenizers/mistral"), TokenizeOptions.DEFAULT)) {
            assertTrue(t.template().isFallback());
            TokenizedPair p = t.tokenize(pair(List.of(Message.user("What is 2+2?")), "It is 4.", "It is 5."));
            assertArrayEquals(new long[] {1, 1247, 28747, 1824, 349, 28705, 28750, 28806, 28750, 28804, 13, 13, 7226, 11143, 28747, 13}, p.prompt());
            assertArrayEquals(new long[] {661, 349, 28705, 28781, 28723, 2}, p.chosen());
            assertEquals(1, Arrays.stream(p.prompt()).filter(x -> x == 1).count());
            assertEquals(1824, p.prompt()[3], "'▁What' is 1824 in Mistral's vocabulary (1724 in Llama 2's): the bundled tokenizer is Mistral's");
        }
    }

    /**
     * The batch path (prompts rendered in parallel, one native tokenizer call per 256 pairs)
     * gives exactly what tokenizing each pair alone gives, on every pair of the bundled split.
     */
    @Test
    void batchTokenizationEqualsOneByOne() throws Exception {
        io.github.dgpo.data.Datasets.Pairs pairs = io.github.dgpo.data.Datasets.readPairs(
                io.github.dgpo.data.Datasets.Spec.of(io.github.dgpo.data.DataFormat.HH_RLHF, RepoFiles.hhRlhf()));
        try (PairTokenizer t = PairTokenizer.fromFolder(RepoFiles.qwen3(), new TokenizeOptions(512, 256))) {
            List<TokenizedPair> batch = t.tokenizeAll(pairs.examples(), pairs.report());
            assertEquals(pairs.examples().size(), batch.size());
            for (int i = 0; i < batch.size(); i++) {
                TokenizedPair one = t.tokenize(pairs.examples().get(i));
                assertArrayEquals(one.prompt(), batch.get(i).prompt(), "prompt of pair " + i);
                assertArrayEquals(one.chosen(), batch.get(i).chosen(), "chosen of pair " + i);
                assertArrayEquals(one.rejected(), batch.get(i).rejected(), "rejected of pair " + i);
                assertEquals(one.truncated(), batch.get(i).truncated());
            }
        }
    }

    /**
     * Rows in dgpo's JSONL form with tools, tool calls (mapping and string arguments, nested and
     * flat), reasoning and {@code enable_thinking}, read by the JSONL reader, tokenize as TRL
     * 1.13's DPOTrainer does (fixture from {@code tools/generate_template_fixtures.py}): the
     * prompt ids equal {@code apply_chat_template(prompt, tools=..., add_generation_prompt=True,
     * **kwargs)}'s, each completion's ids equal TRL's (the ids of {@code
     * apply_chat_template(prompt + [completion])} after the prompt's) up to and including the
     * end-of-turn id, where dgpo ends a completion; decoded, they are TRL's texts byte for byte.
     */
    @ParameterizedTest
    @ValueSource(strings = {"qwen3", "llama3"})
    void structuredPairsTokenizeAsTrl(String name, @TempDir Path tmp) throws Exception {
        JsonNode cases = new ObjectMapper().readTree(getClass().getResourceAsStream("/templates/pairs.json")).get(name);
        Path rows = tmp.resolve("rows.jsonl");
        List<String> lines = new ArrayList<>();
        cases.forEach(c -> lines.add(c.get("row").toString()));
        Files.write(rows, lines);
        Datasets.Pairs read = Datasets.readPairs(Datasets.Spec.of(DataFormat.JSONL, rows));
        assertEquals(cases.size(), read.examples().size(), read.report().summary());
        Path dir = name.equals("qwen3") ? RepoFiles.qwen3() : resource("llama3");
        Map<Map<String, Object>, PairTokenizer> byKwargs = new HashMap<>();
        try (TextTokenizer text = TextTokenizer.load(dir)) {
            for (int i = 0; i < cases.size(); i++) {
                JsonNode c = cases.get(i);
                @SuppressWarnings("unchecked")
                Map<String, Object> kwargs = c.has("chat_template_kwargs") ? new ObjectMapper().convertValue(c.get("chat_template_kwargs"), Map.class) : Map.of();
                PairTokenizer t = byKwargs.get(kwargs);
                if (t == null) {
                    t = PairTokenizer.fromFolder(dir, new TokenizeOptions(2048, 0, kwargs));
                    byKwargs.put(kwargs, t);
                }
                PreferenceExample e = read.examples().get(i);
                TokenizedPair p = t.tokenize(e);
                String where = name + " pair " + i;
                assertArrayEquals(ids(c.get("prompt_ids")), p.prompt(), where + " prompt");
                assertArrayEquals(throughEndOfTurn(ids(c.get("chosen_ids")), t.endOfTurnId()), p.chosen(), where + " chosen");
                assertArrayEquals(throughEndOfTurn(ids(c.get("rejected_ids")), t.endOfTurnId()), p.rejected(), where + " rejected");
                assertEquals(c.get("prompt_text").asText(), text.decode(p.prompt(), false), where);
                String eot = t.template().endOfTurn();
                String chosen = c.get("chosen_text").asText();
                assertEquals(chosen.substring(0, chosen.indexOf(eot) + eot.length()), text.decode(p.chosen(), false), where);
                TokenizedPair batch = t.tokenizeAll(List.of(e), new ReadReport(false)).get(0);
                assertArrayEquals(p.chosen(), batch.chosen());
                assertArrayEquals(p.rejected(), batch.rejected());
            }
        } finally {
            byKwargs.values().forEach(PairTokenizer::close);
        }
        assertEquals(2, byKwargs.size(), "cases with and without enable_thinking");
    }

    private static long[] ids(JsonNode list) {
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = list.get(i).asLong();
        }
        return out;
    }

    private static long[] throughEndOfTurn(long[] ids, long endOfTurn) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == endOfTurn) {
                return Arrays.copyOf(ids, i + 1);
            }
        }
        throw new AssertionError("no end-of-turn id in " + Arrays.toString(ids));
    }

    @Test
    void aStructuredCompletionRendersBothSidesAndContradictionsAreDropped() throws Exception {
        List<Message> prompt = List.of(Message.user("2+2?"));
        Message reasoned = new Message("assistant", "4", "2 and 2", List.of());
        try (PairTokenizer t = PairTokenizer.fromFolder(RepoFiles.qwen3(), TokenizeOptions.DEFAULT);
                TextTokenizer text = TextTokenizer.load(RepoFiles.qwen3())) {
            TokenizedPair p = t.tokenize(new PreferenceExample(prompt, reasoned, Message.assistant("5"), List.of(), null, null, SRC));
            assertEquals("<think>\n2 and 2\n</think>\n\n4<|im_end|>", text.decode(p.chosen(), false));
            assertEquals("<think>\n\n</think>\n\n5<|im_end|>", text.decode(p.rejected(), false), "the text side is rendered as the template renders it too");
            TokenizedPair plain = t.tokenize(pair(prompt, "4", "5"));
            assertEquals("5<|im_end|>", text.decode(plain.rejected(), false), "text-only pairs keep content + end of turn");
        }
        Map<String, Object> noThinking = Map.of("enable_thinking", false);
        try (PairTokenizer t = PairTokenizer.fromFolder(RepoFiles.qwen3(), new TokenizeOptions(2048, 0, noThinking))) {
            BadRowException e = assertThrows(BadRowException.class,
                    () -> t.tokenize(new PreferenceExample(prompt, reasoned, Message.assistant("5"), List.of(), null, null, SRC)));
            assertEquals(PairTokenizer.TEMPLATE_ERROR, e.reason());
            assertTrue(e.getMessage().contains("does not render as the prompt and a continuation"), e.getMessage());
            ReadReport report = new ReadReport(false);
            report.countRead();
            report.countKept(1);
            assertEquals(List.of(), t.tokenizeAll(List.of(new PreferenceExample(prompt, reasoned, Message.assistant("5"), List.of(), null, null, SRC)), report));
            assertEquals(Map.of(PairTokenizer.TEMPLATE_ERROR, 1L), report.dropped());
        }
        try (PairTokenizer mistral = PairTokenizer.fromFolder(RepoFiles.path("tokenizers/mistral"), TokenizeOptions.DEFAULT)) {
            Map<String, Object> tool = Map.of("type", "function", "function", Map.of("name", "f"));
            BadRowException e = assertThrows(BadRowException.class,
                    () -> mistral.tokenize(new PreferenceExample(prompt, Message.assistant("4"), Message.assistant("5"), List.of(tool), null, null, SRC)));
            assertTrue(e.getMessage().contains("the plain fallback template renders no tools"), e.getMessage());
        }
        IllegalArgumentException reserved = assertThrows(IllegalArgumentException.class, () -> new TokenizeOptions(2048, 0, Map.of("tools", List.of())));
        assertTrue(reserved.getMessage().startsWith("chat_template_kwargs: 'tools' is not a template variable"), reserved.getMessage());
    }

    @Test
    void unpairedStructuredCompletionsRenderThroughTheTemplate() throws Exception {
        try (PairTokenizer t = PairTokenizer.fromFolder(RepoFiles.qwen3(), TokenizeOptions.DEFAULT);
                TextTokenizer text = TextTokenizer.load(RepoFiles.qwen3())) {
            Message call = new Message("assistant", "", null, List.of(new io.github.dgpo.data.ToolCall(null, "f", "{\"a\": 1}")));
            TokenizedExample e = t.tokenize(new UnpairedExample(List.of(Message.user("q")), call, List.of(), true, SRC));
            assertEquals("<think>\n\n</think>\n\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": 1}}\n</tool_call><|im_end|>", text.decode(e.completion(), false));
            assertEquals("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n", text.decode(e.prompt(), false));
        }
    }

    @Test
    void noSilent512TokenTruncation() throws Exception {
        String longText = "word ".repeat(3000);
        try (PairTokenizer t = PairTokenizer.fromFolder(RepoFiles.qwen3(), new TokenizeOptions(100_000, 0))) {
            TokenizedPair p = t.tokenize(pair(List.of(Message.user(longText)), longText, "short"));
            assertTrue(p.prompt().length > 3000, "prompt has " + p.prompt().length + " tokens");
            assertTrue(p.chosen().length > 3000);
            assertEquals(2, p.rejected().length);
        }
    }

    @Test
    void truncationKeepsPromptEndCompletionStartAndDropsHopelessPrompts() throws Exception {
        try (PairTokenizer full = PairTokenizer.fromFolder(RepoFiles.qwen3(), TokenizeOptions.DEFAULT);
                PairTokenizer limited = PairTokenizer.fromFolder(RepoFiles.qwen3(), new TokenizeOptions(30, 12))) {
            PreferenceExample e = pair(PROMPT, "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty", "ok");
            TokenizedPair f = full.tokenize(e);
            TokenizedPair l = limited.tokenize(e);
            assertTrue(l.truncated());
            assertArrayEquals(Arrays.copyOfRange(f.prompt(), f.prompt().length - 12, f.prompt().length), l.prompt(), "the prompt keeps its end");
            assertArrayEquals(Arrays.copyOf(f.chosen(), 30 - 12), l.chosen(), "the completion keeps its start");
            assertArrayEquals(f.rejected(), l.rejected());
        }
        try (PairTokenizer tiny = PairTokenizer.fromFolder(RepoFiles.qwen3(), new TokenizeOptions(10, 0))) {
            BadRowException ex = assertThrows(BadRowException.class, () -> tiny.tokenize(pair(PROMPT, "a", "b")));
            assertEquals("prompt too long", ex.reason());
        }
        try (PairTokenizer mistral = PairTokenizer.fromFolder(RepoFiles.path("tokenizers/mistral"), new TokenizeOptions(40, 8))) {
            TokenizedPair p = mistral.tokenize(pair(List.of(Message.user("a rather long question with many many words in it")), "x", "y"));
            assertEquals(8, p.prompt().length);
            assertEquals(1, p.prompt()[0], "a truncated prompt keeps its BOS");
        }
    }
}

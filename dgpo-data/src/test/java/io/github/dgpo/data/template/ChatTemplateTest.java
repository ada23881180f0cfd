package io.github.dgpo.data.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.RepoFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Chat templates rendered by dgpo equal HF transformers' {@code apply_chat_template} byte for
 * byte (fixtures from {@code tools/generate_template_fixtures.py}), and a few conversations are
 * written out here in full.
 */
class ChatTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode fixture(String name) throws IOException {
        return JSON.readTree(ChatTemplateTest.class.getResourceAsStream("/templates/" + name + ".json"));
    }

    private static List<Message> messages(JsonNode list) {
        List<Message> out = new ArrayList<>();
        list.forEach(m -> out.add(new Message(m.get("role").asText(), m.get("content").asText())));
        return out;
    }

    static Stream<Arguments> fixtureCases() throws IOException {
        List<Arguments> args = new ArrayList<>();
        for (String name : List.of("qwen3", "llama3", "mistral-instruct", "zephyr")) {
            JsonNode f = fixture(name);
            ChatTemplate t = ChatTemplate.of(f.get("template").asText(), f.path("bos_token").asText(null), f.path("eos_token").asText(null));
            int i = 0;
            for (JsonNode c : f.get("cases")) {
                args.add(Arguments.of(name + " #" + i++, t, c));
            }
        }
        return args.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtureCases")
    void rendersExactlyAsTransformers(String label, ChatTemplate template, JsonNode c) {
        List<Message> messages = messages(c.get("messages"));
        boolean gen = c.get("add_generation_prompt").asBoolean();
        if (c.has("error")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> template.render(messages, gen));
            assertTrue(e.getMessage().contains(c.get("error").asText()), e.getMessage());
        } else {
            assertEquals(c.get("expected").asText(), template.render(messages, gen));
        }
    }

    @Test
    void qwen3MultiTurnWithSystemWrittenOut() throws IOException {
        ChatTemplate t = ChatTemplate.fromFolder(RepoFiles.qwen3());
        String text = t.render(List.of(Message.system("You are terse."), Message.user("Hi"), Message.assistant("Hello."), Message.user("2+2?")), true);
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n"
                + "<|im_start|>user\nHi<|im_end|>\n"
                + "<|im_start|>assistant\nHello.<|im_end|>\n"
                + "<|im_start|>user\n2+2?<|im_end|>\n"
                + "<|im_start|>assistant\n", text);
        assertEquals("<|im_end|>", t.endOfTurn());
        assertFalse(t.isFallback());
    }

    @Test
    void qwen3SplitsThinkingWithPythonSemantics() throws IOException {
        ChatTemplate t = ChatTemplate.fromFolder(RepoFiles.qwen3());
        // The final assistant turn gets an (empty) think block; a trailing </think> leaves empty content,
        // which Java's String.split would have turned into the reasoning text.
        assertEquals("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\nreasoning\n</think>\n\n<|im_end|>\n",
                t.render(List.of(Message.user("q"), Message.assistant("reasoning</think>")), false));
    }

    @Test
    void llama3MultiTurnWithSystemWrittenOut() throws IOException {
        ChatTemplate t = ChatTemplate.fromFolder(Paths.get(getClass().getResource("/tokenizers/llama3").getPath()));
        String text = t.render(List.of(Message.system("Be kind."), Message.user("Hello"), Message.assistant("Hi!"), Message.user("Bye")), true);
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe kind.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHi!<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nBye<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", text);
        assertEquals("<|eot_id|>", t.endOfTurn());
    }

    @Test
    void endOfTurnOfMistralAndZephyr() throws IOException {
        JsonNode m = fixture("mistral-instruct");
        assertEquals("</s>", ChatTemplate.of(m.get("template").asText(), "<s>", "</s>").endOfTurn());
        JsonNode z = fixture("zephyr");
        assertEquals("</s>", ChatTemplate.of(z.get("template").asText(), "<s>", "</s>").endOfTurn());
    }

    @Test
    void sidecarTakesPrecedenceAndFallbackIsPlain(@TempDir Path dir) throws IOException {
        java.nio.file.Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\", \"chat_template\": \"IGNORED\"}");
        java.nio.file.Files.writeString(dir.resolve("chat_template.jinja"), "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}");
        assertEquals("[user]x", ChatTemplate.fromFolder(dir).render(List.of(Message.user("x")), false));
        java.nio.file.Files.delete(dir.resolve("chat_template.jinja"));
        java.nio.file.Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"</s>\"}");
        ChatTemplate plain = ChatTemplate.fromFolder(dir);
        assertTrue(plain.isFallback());
        assertEquals("sys\n\nUser: hi\n\nAssistant:\nyo</s>\n\nUser: again\n\nAssistant:\n",
                plain.render(List.of(Message.system("sys"), Message.user("hi"), Message.assistant("yo"), Message.user("again")), true));
        assertEquals("</s>", plain.endOfTurn());
    }

    @Test
    void templateErrorsAreLoud() {
        ChatTemplate t = ChatTemplate.of("{{ messages[0].content.nosuchmethod() }}", null, null);
        assertThrows(IllegalArgumentException.class, () -> t.render(List.of(Message.user("x")), false));
    }

    @Test
    void rewriteLeavesStringLiteralsAlone() {
        assertEquals("{{ '[::-1] .strip( {{-' }}", JinjaSource.rewrite("{{ '[::-1] .strip( {{-' }}"));
        assertEquals("a{{ (x|__py_lstrip('\\n')) }}b", JinjaSource.rewrite("a  \n {{- x.lstrip('\\n') -}}  \n b"));
        assertEquals("{% for m in (messages|reverse|list) %}", JinjaSource.rewrite("{%- for m in messages[::-1] %}"));
        assertEquals("{% set ns = namespace(a=(true), b=(x|length - 1)) %}", JinjaSource.rewrite("{% set ns = namespace(a=true, b=x|length - 1) %}"));
        assertEquals("{{ ((m.content|__py_split('</think>'))[0]|__py_rstrip('\\n')) }}", JinjaSource.rewrite("{{ m.content.split('</think>')[0].rstrip('\\n') }}"));
    }
}

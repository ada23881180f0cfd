package io.github.dgpo.data.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.RepoFiles;
import io.github.dgpo.data.ToolCall;
import io.github.dgpo.data.read.ChatJson;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Chat templates rendered by dgpo equal HF transformers' {@code apply_chat_template} byte for
 * byte (fixtures from {@code tools/generate_template_fixtures.py}: plain conversations, and
 * conversations with tools, tool calls, reasoning, the tool role and chat_template_kwargs,
 * whose messages are read here by dgpo's own JSON reader), and a few conversations are
 * written out here in full.
 */
class ChatTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode fixture(String name) throws IOException {
        return JSON.readTree(ChatTemplateTest.class.getResourceAsStream("/templates/" + name + ".json"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> kwargs(JsonNode c) {
        return c.has("chat_template_kwargs") ? JSON.convertValue(c.get("chat_template_kwargs"), LinkedHashMap.class) : Map.of();
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
        List<Message> messages = ChatJson.messages(c.get("messages"), "messages");
        List<Map<String, Object>> tools = ChatJson.tools(c, "tools");
        Map<String, Object> kwargs = kwargs(c);
        boolean gen = c.get("add_generation_prompt").asBoolean();
        if (c.has("error")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> template.render(messages, tools, kwargs, gen));
            assertTrue(e.getMessage().contains(c.get("error").asText()), e.getMessage());
        } else {
            assertEquals(c.get("expected").asText(), template.render(messages, tools, kwargs, gen));
        }
    }

    @Test
    void fixturesCoverToolsToolCallsReasoningAndKwargs() throws IOException {
        JsonNode cases = fixture("qwen3").get("cases");
        int tools = 0;
        int calls = 0;
        int stringArguments = 0;
        int reasoning = 0;
        int toolRole = 0;
        int kwargs = 0;
        for (JsonNode c : cases) {
            tools += c.path("tools").size() > 0 ? 1 : 0;
            kwargs += c.has("chat_template_kwargs") ? 1 : 0;
            for (JsonNode m : c.get("messages")) {
                calls += m.has("tool_calls") ? 1 : 0;
                reasoning += m.has("reasoning_content") ? 1 : 0;
                toolRole += m.get("role").asText().equals("tool") ? 1 : 0;
                for (JsonNode call : m.path("tool_calls")) {
                    stringArguments += call.path("function").path("arguments").isTextual() ? 1 : 0;
                }
            }
        }
        assertTrue(tools >= 10 && calls >= 6 && stringArguments >= 1 && reasoning >= 4 && toolRole >= 6 && kwargs >= 5,
                tools + " " + calls + " " + stringArguments + " " + reasoning + " " + toolRole + " " + kwargs);
        assertEquals(41, cases.size());
    }

    @Test
    void qwen3ToolCallWrittenOut() throws IOException {
        ChatTemplate t = ChatTemplate.fromFolder(RepoFiles.qwen3());
        Map<String, Object> args = new LinkedHashMap<>();
        args.put("x", 1.5e-7);
        args.put("y", List.of(1, "ü"));
        Map<String, Object> tool = new LinkedHashMap<>();
        tool.put("type", "function");
        tool.put("function", Map.of("name", "f"));
        List<Message> messages = List.of(Message.user("go"), new Message("assistant", "", "why", List.of(new ToolCall(null, "f", args))));
        assertEquals("<|im_start|>system\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
                + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
                + "{\"type\": \"function\", \"function\": {\"name\": \"f\"}}\n</tools>\n\n"
                + "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
                + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\ngo<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\nwhy\n</think>\n\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1.5e-07, \"y\": [1, \"ü\"]}}\n</tool_call><|im_end|>\n",
                t.render(messages, List.of(tool), Map.of(), false));
        assertEquals("<|im_start|>user\ngo<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n",
                t.render(List.of(Message.user("go")), List.of(), Map.of("enable_thinking", false), true));
    }

    @Test
    void reservedKwargsAreRefused() throws IOException {
        ChatTemplate t = ChatTemplate.fromFolder(RepoFiles.qwen3());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(Message.user("x")), List.of(), Map.of("add_generation_prompt", true), false));
        assertTrue(e.getMessage().startsWith("chat_template_kwargs: 'add_generation_prompt' is not a template variable"), e.getMessage());
        // kwargs override the special tokens, as in transformers ({**special_tokens_map, **kwargs})
        assertEquals("<s>!", ChatTemplate.of("{{ bos_token }}{{ extra }}", "<bos>", null).render(List.of(Message.user("x")), List.of(), Map.of("bos_token", "<s>", "extra", "!"), false));
    }

    @Test
    void plainFallbackRefusesWhatItCannotRender() {
        ChatTemplate plain = ChatTemplate.plain(null, "</s>");
        Map<String, Object> tool = Map.of("type", "function");
        assertTrue(assertThrows(IllegalArgumentException.class, () -> plain.render(List.of(Message.user("x")), List.of(tool), Map.of(), true))
                .getMessage().contains("renders no tools"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> plain.render(List.of(Message.user("x"), Message.tool("42")), true))
                .getMessage().contains("not tool"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> plain.render(List.of(Message.user("x"), new Message("assistant", "a", "r", List.of())), false)).getMessage().contains("no tool calls or reasoning"));
    }

    @Test
    void pythonFloatsAsPythonPrintsThem() {
        assertEquals("[1e-05, 0.0001, 12345678.5, 1e+16, 1.5e+300, -0.0, 100.0, 0.25, 123456789012345.0, 1.2345678901234567e+19, 5e-324]",
                PythonJson.dumps(List.of(1e-5, 1e-4, 12345678.5, 1e16, 1.5e300, -0.0, 100.0, 0.25, 123456789012345.0, 12345678901234567890.0, Double.MIN_VALUE)));
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

package io.github.dgpo.data.read;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.DataFormatException;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.RepoFiles;
import io.github.dgpo.data.ToolCall;
import io.github.dgpo.data.UnpairedExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** UltraFeedback (binarized from Parquet and JSONL, raw), generic JSONL and KTO readers, and row errors. */
class FormatReadersTest {

    @TempDir
    Path tmp;

    private static Datasets.Spec spec(DataFormat f, Path p, String split) {
        return new Datasets.Spec(f, p, split, false, UltraFeedbackRawReader.Options.DEFAULT);
    }

    @Test
    void ultraFeedbackParquetAndJsonlGiveTheSamePairs() {
        Datasets.Pairs parquet = Datasets.readPairs(spec(DataFormat.ULTRAFEEDBACK, RepoFiles.path("data/ultrafeedback-sample/parquet"), "train_prefs"));
        Datasets.Pairs jsonl = Datasets.readPairs(spec(DataFormat.ULTRAFEEDBACK, RepoFiles.path("data/ultrafeedback-sample/jsonl"), "train_prefs"));
        assertEquals(36, parquet.examples().size());
        assertEquals(36, parquet.report().read());
        assertEquals(parquet.examples().size(), jsonl.examples().size());
        for (int i = 0; i < 36; i++) {
            PreferenceExample a = parquet.examples().get(i);
            PreferenceExample b = jsonl.examples().get(i);
            assertEquals(b.prompt(), a.prompt());
            assertEquals(b.chosen(), a.chosen());
            assertEquals(b.rejected(), a.rejected());
            assertEquals(b.scoreChosen(), a.scoreChosen());
            assertEquals(i + 1, a.source().line());
        }
        PreferenceExample first = parquet.examples().get(0);
        assertEquals(List.of(Message.system("You are a helpful, honest assistant."), Message.user("What is the capital of France?")), first.prompt());
        assertEquals("The capital of France is Paris.", first.chosen().content());
        assertEquals(List.of(Message.user("How many legs does a spider have?")), parquet.examples().get(1).prompt());
        assertEquals(12, Datasets.readPairs(spec(DataFormat.ULTRAFEEDBACK, RepoFiles.path("data/ultrafeedback-sample/parquet"), "test_prefs")).examples().size());
        DataFormatException e = assertThrows(DataFormatException.class,
                () -> Datasets.readPairs(spec(DataFormat.ULTRAFEEDBACK, RepoFiles.path("data/ultrafeedback-sample/parquet"), "validation")));
        assertTrue(e.getMessage().contains("no data files for split 'validation'; found: test_prefs-00000-of-00001.parquet, train_prefs-00000-of-00001.parquet"), e.getMessage());
    }

    @Test
    void badRowsAreCountedPerReasonWithTheirLines() throws Exception {
        Path f = tmp.resolve("uf.jsonl");
        String ok = "{\"prompt\":\"q\",\"chosen\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"good\"}],"
                + "\"rejected\":[{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"bad\"}]}";
        Files.write(f, List.of(
                ok,
                "{not json",
                "{\"prompt\":\"q\",\"rejected\":[]}",
                "{\"prompt\":\"q\",\"chosen\":\"text\",\"rejected\":[]}",
                ok.replace("\"good\"", "\"  \""),
                ok.replace("\"good\"", "\"bad\""),
                ok.replace("\"role\":\"user\"", "\"role\":\"human\""),
                ok.replace("{\"role\":\"user\",\"content\":\"q\"},{\"role\":\"assistant\",\"content\":\"bad\"}", "{\"role\":\"user\",\"content\":\"other\"},{\"role\":\"assistant\",\"content\":\"bad\"}"),
                "",
                ok));
        Datasets.Pairs pairs = Datasets.readPairs(spec(DataFormat.ULTRAFEEDBACK, f, null));
        assertEquals(9, pairs.report().read(), "blank lines are not rows");
        assertEquals(2, pairs.report().kept());
        assertEquals(Map.of("malformed JSON", 1L, "missing field", 1L, "wrong field type", 1L, "empty completion", 1L,
                "chosen identical to rejected", 1L, "unknown role", 1L, "chosen and rejected prompts differ", 1L), pairs.report().dropped());
        assertTrue(pairs.report().locations().get("missing field").get(0).startsWith(f + ":3: missing field: field 'chosen' is missing"));
        assertTrue(pairs.report().locations().get("unknown role").get(0).contains(":7: unknown role: chosen[0].role is 'human'"));
        DataFormatException strict = assertThrows(DataFormatException.class,
                () -> Datasets.readPairs(new Datasets.Spec(DataFormat.ULTRAFEEDBACK, f, null, true, UltraFeedbackRawReader.Options.DEFAULT)));
        assertTrue(strict.getMessage().startsWith(f + ":2: malformed JSON"), strict.getMessage());
    }

    @Test
    void rawUltraFeedbackPairingRules() {
        Path raw = RepoFiles.path("data/ultrafeedback-sample/raw");
        Datasets.Pairs worst = Datasets.readPairs(new Datasets.Spec(DataFormat.ULTRAFEEDBACK_RAW, raw, null, false, new UltraFeedbackRawReader.Options(PairRule.BEST_VS_WORST, 1, false, 42)));
        assertEquals(12, worst.report().read());
        assertEquals(Map.of("tie", 1L, "fewer than two rated completions", 1L), worst.report().dropped());
        assertEquals(10, worst.examples().size());
        PreferenceExample capital = worst.examples().get(0);
        assertEquals("The capital of France is Paris.", capital.chosen().content());
        assertEquals("I am not sure.", capital.rejected().content());
        assertEquals(8.5, capital.scoreChosen());
        assertEquals(2.0, capital.scoreRejected());
        // line 6 has no overall scores: the fine-grained mean ranks "model-a" (5) first and "model-d" (1, N/A skipped) last
        PreferenceExample fine = worst.examples().stream().filter(e -> e.source().line() == 6).findFirst().orElseThrow();
        assertEquals(5.0, fine.scoreChosen());
        assertEquals(1.0, fine.scoreRejected());

        UltraFeedbackRawReader.Options random = new UltraFeedbackRawReader.Options(PairRule.BEST_VS_RANDOM, 1, false, 7);
        List<PreferenceExample> a = Datasets.readPairs(new Datasets.Spec(DataFormat.ULTRAFEEDBACK_RAW, raw, null, false, random)).examples();
        List<PreferenceExample> b = Datasets.readPairs(new Datasets.Spec(DataFormat.ULTRAFEEDBACK_RAW, raw, null, false, random)).examples();
        assertEquals(a, b, "the random pairing is deterministic for a seed");
        assertTrue(a.stream().allMatch(e -> e.scoreChosen() > e.scoreRejected()));

        Datasets.Pairs all = Datasets.readPairs(new Datasets.Spec(DataFormat.ULTRAFEEDBACK_RAW, raw, null, false, new UltraFeedbackRawReader.Options(PairRule.ALL_PAIRS, 4.0, false, 0)));
        // per regular row: 8.5-3, 8.5-2, 7-2 reach a gap of 4; the tie row and the single-rated row give none
        assertTrue(all.examples().stream().allMatch(e -> e.scoreChosen() - e.scoreRejected() >= 4.0));
        assertEquals(all.report().kept(), all.examples().size());
    }

    @Test
    void genericJsonlAcceptsStringsAndMessageLists() throws Exception {
        Path f = tmp.resolve("pairs.jsonl");
        Files.write(f, List.of(
                "{\"prompt\": \"Say hi\", \"chosen\": \"Hi!\", \"rejected\": \"No.\"}",
                "{\"prompt\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"u\"}], \"chosen\": \"a\", \"rejected\": \"b\"}",
                "{\"chosen\": [{\"role\": \"user\", \"content\": \"u\"}, {\"role\": \"assistant\", \"content\": \"a\"}], \"rejected\": [{\"role\": \"user\", \"content\": \"u\"}, {\"role\": \"assistant\", \"content\": \"b\"}]}"));
        List<PreferenceExample> pairs = Datasets.readPairs(spec(DataFormat.JSONL, f, null)).examples();
        assertEquals(List.of(Message.user("Say hi")), pairs.get(0).prompt());
        assertEquals(List.of(Message.system("s"), Message.user("u")), pairs.get(1).prompt());
        assertEquals(List.of(Message.user("u")), pairs.get(2).prompt());
        assertEquals("b", pairs.get(2).rejected().content());
        assertNull(pairs.get(0).scoreChosen());
    }

    @Test
    void genericJsonlCarriesToolsToolCallsAndReasoning() throws Exception {
        Path f = tmp.resolve("tools.jsonl");
        String tools = "[{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}, \"days\": {\"type\": \"integer\", \"default\": 1}}}}}]";
        String prompt = "[{\"role\": \"user\", \"content\": \"Weather?\"}, {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"c1\", \"type\": \"function\", "
                + "\"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 2, \"hot\": 1.5}}}]}, {\"role\": \"tool\", \"content\": \"21\"}]";
        String row = "{\"prompt\": " + prompt + ", \"tools\": TOOLS, \"chosen\": [{\"role\": \"assistant\", \"content\": \"21 degrees.\", \"reasoning_content\": \"The tool said 21.\"}], "
                + "\"rejected\": [{\"role\": \"assistant\", \"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Rome\\\"}\"}]}]}";
        Files.write(f, List.of(
                row.replace("TOOLS", tools),
                row.replace("TOOLS", new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(tools)),
                row.replace("TOOLS", "{}"),
                row.replace("TOOLS", "[]").replace("\"content\": \"21 degrees.\", ", ""),
                row.replace("TOOLS", "[]").replace("\"arguments\": {", "\"arguments\": [{").replace("1.5}}}]", "1.5}]}}]"),
                row.replace("TOOLS", "[]").replace("\"type\": \"function\", \"function\"", "\"type\": \"code\", \"function\""),
                row.replace("TOOLS", "[]").replace("\"reasoning_content\": \"The tool said 21.\"", "\"reasoning_content\": 7"),
                row.replace("TOOLS", "[]").replace("\"role\": \"tool\"", "\"role\": \"ipython\"")));
        Datasets.Pairs pairs = Datasets.readPairs(spec(DataFormat.JSONL, f, null));
        assertEquals(Map.of("wrong field type", 4L, "missing field", 1L, "unknown role", 1L), pairs.report().dropped());
        List<String> problems = pairs.report().locations().values().stream().flatMap(List::stream).map(l -> l.substring(l.indexOf(".jsonl:") + 7)).sorted().toList();
        assertEquals(List.of(
                "3: wrong field type: field 'tools' must be a list of tool schemas (objects), or a string holding one",
                "4: missing field: chosen[0] needs role and content",
                "5: wrong field type: prompt[1].tool_calls[0].function.arguments must be an object or a JSON string",
                "6: wrong field type: prompt[1].tool_calls[0].type is \"code\" (only \"function\" calls exist)",
                "7: wrong field type: chosen[0].reasoning_content must be a string",
                "8: unknown role: prompt[2].role is 'ipython' (system, user, assistant or tool)"), problems);
        assertEquals(2, pairs.examples().size());
        PreferenceExample e = pairs.examples().get(0);
        PreferenceExample fromString = pairs.examples().get(1);
        assertEquals(e.tools(), fromString.tools(), "tools given as a JSON string read as the list");
        assertEquals(List.of(e.prompt(), e.chosen(), e.rejected()), List.of(fromString.prompt(), fromString.chosen(), fromString.rejected()));
        assertEquals(List.of("type", "function"), List.copyOf(e.tools().get(0).keySet()), "schemas keep their key order");
        Message call = e.prompt().get(1);
        assertEquals("", call.content(), "null content of a tool-calling message is empty");
        ToolCall paris = call.toolCalls().get(0);
        assertEquals("c1", paris.id());
        assertEquals("get_weather", paris.name());
        assertEquals(List.of("city", "days", "hot"), List.copyOf(((Map<?, ?>) paris.arguments()).keySet()));
        assertEquals(2, ((Map<?, ?>) paris.arguments()).get("days"));
        assertEquals(1.5, ((Map<?, ?>) paris.arguments()).get("hot"));
        assertEquals(Message.tool("21"), e.prompt().get(2));
        assertEquals(new Message("assistant", "21 degrees.", "The tool said 21.", List.of()), e.chosen());
        assertEquals(new Message("assistant", "", null, List.of(new ToolCall(null, "get_weather", "{\"city\": \"Rome\"}"))), e.rejected(),
                "the flat call form reads as the nested one; string arguments stay strings");
    }

    @Test
    void ktoUnpairedForm() throws Exception {
        Path f = tmp.resolve("kto.jsonl");
        Files.write(f, List.of(
                "{\"prompt\": \"q\", \"completion\": \"good\", \"label\": true}",
                "{\"prompt\": \"q\", \"completion\": \"bad\", \"label\": false}",
                "{\"prompt\": \"q\", \"completion\": \"x\", \"label\": \"yes\"}"));
        Datasets.Unpaired u = Datasets.readUnpaired(spec(DataFormat.KTO, f, null));
        assertEquals(List.of(true, false), u.examples().stream().map(UnpairedExample::desirable).toList());
        assertEquals(Map.of("wrong field type", 1L), u.report().dropped());
        assertThrows(DataFormatException.class, () -> Datasets.readPairs(spec(DataFormat.KTO, f, null)));
    }

    @Test
    void ktoCompletionsMayBeMessagesWithTools() throws Exception {
        Path f = tmp.resolve("kto-tools.jsonl");
        Files.write(f, List.of(
                "{\"prompt\": \"q\", \"tools\": [{\"type\": \"function\"}], \"completion\": [{\"role\": \"assistant\", \"tool_calls\": [{\"function\": {\"name\": \"f\", \"arguments\": {}}}]},"
                        + " {\"role\": \"tool\", \"content\": \"r\"}, {\"role\": \"assistant\", \"content\": \"done\", \"reasoning_content\": \"ok\"}], \"label\": true}",
                "{\"prompt\": \"q\", \"completion\": [{\"role\": \"assistant\", \"content\": \" \"}], \"label\": false}"));
        Datasets.Unpaired u = Datasets.readUnpaired(spec(DataFormat.KTO, f, null));
        assertEquals(Map.of("empty completion", 1L), u.report().dropped());
        UnpairedExample e = u.examples().get(0);
        assertEquals(List.of(Map.of("type", "function")), e.tools());
        assertEquals(new Message("assistant", "done", "ok", List.of()), e.completion());
        assertEquals(List.of(Message.user("q"), new Message("assistant", "", null, List.of(new ToolCall(null, "f", Map.of()))), Message.tool("r")), e.prompt(),
                "the completion's earlier messages continue the prompt");
    }

    @Test
    void missingPathAndUnknownFormatAreClear() {
        DataFormatException missing = assertThrows(DataFormatException.class, () -> Datasets.readPairs(spec(DataFormat.HH_RLHF, tmp.resolve("nope.jsonl"), null)));
        assertTrue(missing.getMessage().endsWith("nope.jsonl: no such file or folder"));
        DataFormatException format = assertThrows(DataFormatException.class, () -> DataFormat.parse("csv"));
        assertEquals("unknown dataset format 'csv'; valid: hh-rlhf, ultrafeedback, ultrafeedback-raw, jsonl, kto", format.getMessage());
    }
}

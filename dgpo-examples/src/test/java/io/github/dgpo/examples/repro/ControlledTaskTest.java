package io.github.dgpo.examples.repro;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.Message;
import io.github.dgpo.data.PreferenceExample;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controlled task, its word-level tokenizer in {@code configs/repro/}, the low-similarity
 * control, the JSONL writer and the HH-RLHF subset.
 */
class ControlledTaskTest {

    private static final Path REPO = Paths.get("").toAbsolutePath().getParent();
    private static final Path TOKENIZER = REPO.resolve("configs/repro");

    private static Map<String, Long> vocabulary() throws Exception {
        JsonNode vocab = new ObjectMapper().readTree(TOKENIZER.resolve("tokenizer.json").toFile()).path("model").path("vocab");
        Map<String, Long> out = new HashMap<>();
        vocab.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asLong()));
        return out;
    }

    private static long[] ids(Map<String, Long> vocab, String words) {
        return Arrays.stream(words.split(" ")).mapToLong(w -> {
            Long id = vocab.get(w);
            if (id == null) {
                throw new AssertionError("'" + w + "' is not in the vocabulary");
            }
            return id;
        }).toArray();
    }

    @Test
    void tokenizerLoadsThroughPairTokenizerAndTheTemplateRendersAsWritten() throws Exception {
        Map<String, Long> vocab = vocabulary();
        try (PairTokenizer t = PairTokenizer.fromFolder(TOKENIZER, TokenizeOptions.DEFAULT)) {
            assertEquals(0, t.padId(), "pad_token <pad>");
            assertEquals(1, t.bosId(), "bos_token <s>");
            assertEquals(2, t.endOfTurnId(), "the template closes assistant turns with </s>");
            assertEquals("<s>user : sort : 31 4 17\nassistant :", t.template().render(List.of(Message.user("sort : 31 4 17")), true));
            assertEquals("<s>user : sort : 31 4 17\nassistant : okay , sorted : 4 17 31 .</s>\n",
                    t.template().render(List.of(Message.user("sort : 31 4 17"), Message.assistant("okay , sorted : 4 17 31 .")), false));
            TokenizedPair p = t.tokenize(new PreferenceExample(List.of(Message.user("sort : 31 4 17")), "okay , sorted : 4 17 31 .", "okay , sorted : 17 4 31 .",
                    null, null, null));
            assertArrayEquals(ids(vocab, "<s> user : sort : 31 4 17 assistant :"), p.prompt());
            assertArrayEquals(ids(vocab, "okay , sorted : 4 17 31 . </s>"), p.chosen());
            assertArrayEquals(ids(vocab, "okay , sorted : 17 4 31 . </s>"), p.rejected());
            // a word outside the vocabulary is <unk>, not silently split
            assertArrayEquals(ids(vocab, "<unk> <unk> . </s>"), t.completionIds("zebra 51 ."));
        }
    }

    @Test
    void theVocabularyIsTheSpecialTokensTheTemplateAndTheTaskWords() throws Exception {
        Set<String> expected = new HashSet<>(List.of("<pad>", "<s>", "</s>", "<unk>", "user", "assistant"));
        expected.addAll(ControlledTask.WORDS);
        Map<String, Long> vocab = vocabulary();
        assertEquals(expected, vocab.keySet());
        assertEquals(new HashSet<>(vocab.values()), java.util.stream.LongStream.range(0, vocab.size()).boxed().collect(Collectors.toSet()), "ids 0..n-1");
        assertEquals(103, vocab.size(), "the SFT config's vocab_size 128 must cover it");
    }

    @Test
    void generatedPairsAreCorrectAnswersAgainstAOneOrTwoTokenError() throws Exception {
        List<ControlledTask.Row> rows = ControlledTask.generate(11, 2000, List.of());
        Map<String, Integer> tasks = new HashMap<>();
        try (PairTokenizer t = PairTokenizer.fromFolder(TOKENIZER, TokenizeOptions.DEFAULT)) {
            List<TokenizedPair> tokenized = t.tokenizeAll(ControlledTask.examples(rows, "test"), new ReadReport(true));
            assertEquals(rows.size(), tokenized.size());
            for (int i = 0; i < rows.size(); i++) {
                ControlledTask.Row r = rows.get(i);
                TokenizedPair p = tokenized.get(i);
                for (long[] ids : List.of(p.prompt(), p.chosen(), p.rejected())) {
                    assertTrue(Arrays.stream(ids).allMatch(id -> id != 3 && id < 103), r + ": no <unk>");
                }
                assertEquals(p.chosen().length, p.rejected().length, r.toString());
                int differ = 0;
                for (int k = 0; k < p.chosen().length; k++) {
                    differ += p.chosen()[k] != p.rejected()[k] ? 1 : 0;
                }
                assertTrue(differ == 1 || differ == 2, r + ": " + differ + " tokens differ");
                assertEquals(p.chosen()[0], p.rejected()[0], "same opener");
                String task = r.prompt().split(" ")[0];
                tasks.merge(task, 1, Integer::sum);
                assertTrue(correct(r.prompt(), r.chosen()), r + ": the chosen answer is right");
                assertTrue(!correct(r.prompt(), r.rejected()), r + ": the rejected answer is wrong");
            }
        }
        assertEquals(Set.of("sort", "reverse", "what", "largest", "greet"), tasks.keySet());
        tasks.values().forEach(n -> assertTrue(n > 300, "each task about a fifth: " + tasks));
    }

    /** Checks an answer against the prompt, independently of the generator. */
    private static boolean correct(String prompt, String completion) {
        String[] p = prompt.split(" ");
        List<String> c = new ArrayList<>(List.of(completion.split(" ")));
        c = c.subList(2, c.size() - 1); // opener, comma ... closing mark
        switch (p[0]) {
            case "sort": {
                List<Integer> xs = Arrays.stream(p).skip(2).map(Integer::valueOf).sorted().toList();
                return c.equals(with("sorted", ":", xs));
            }
            case "reverse": {
                List<Integer> xs = new ArrayList<>(Arrays.stream(p).skip(2).map(Integer::valueOf).toList());
                java.util.Collections.reverse(xs);
                return c.equals(with("reversed", ":", xs));
            }
            case "what":
                return c.equals(List.of("the", "answer", "is", Integer.toString(Integer.parseInt(p[2]) + Integer.parseInt(p[4]))));
            case "largest":
                return c.equals(List.of("it", "is", Integer.toString(Arrays.stream(p).skip(2).mapToInt(Integer::parseInt).max().orElseThrow())));
            case "greet":
                return c.equals(List.of("hello", p[1], ",", "hello", p[2], ",", "nice", "to", "meet", "you"));
            default:
                throw new AssertionError(prompt);
        }
    }

    private static List<String> with(String a, String b, List<Integer> xs) {
        List<String> out = new ArrayList<>(List.of(a, b));
        xs.forEach(x -> out.add(Integer.toString(x)));
        return out;
    }

    @Test
    void generationIsDeterministicAndHeldOutPromptsAreNew() {
        assertEquals(ControlledTask.generate(7, 100, List.of()), ControlledTask.generate(7, 100, List.of()));
        assertNotEquals(ControlledTask.generate(7, 100, List.of()), ControlledTask.generate(8, 100, List.of()));
        List<String> train = ControlledTask.generate(1, 512, List.of()).stream().map(ControlledTask.Row::prompt).toList();
        List<ControlledTask.Row> eval = ControlledTask.generate(2, 128, train);
        assertEquals(128, eval.size());
        assertTrue(eval.stream().noneMatch(r -> train.contains(r.prompt())));
    }

    @Test
    void lowSimilarityGivesEveryPairAnotherPairsRejectedCompletion() {
        int[] cycle = LowSimilarity.cycle(50, new Random(3));
        assertEquals(java.util.stream.IntStream.range(0, 50).boxed().collect(Collectors.toSet()), Arrays.stream(cycle).boxed().collect(Collectors.toSet()), "a permutation");
        for (int i = 0; i < cycle.length; i++) {
            assertNotEquals(i, cycle[i], "no fixed point");
        }
        List<PreferenceExample> pairs = ControlledTask.examples(ControlledTask.generate(1, 300, List.of()), "t");
        List<PreferenceExample> low = LowSimilarity.of(pairs, 3);
        assertEquals(LowSimilarity.of(pairs, 3), low, "deterministic");
        int moved = 0;
        for (int i = 0; i < pairs.size(); i++) {
            assertEquals(pairs.get(i).prompt(), low.get(i).prompt());
            assertEquals(pairs.get(i).chosen(), low.get(i).chosen());
            assertNotEquals(low.get(i).chosen(), low.get(i).rejected());
            moved += low.get(i).rejected().equals(pairs.get(i).rejected()) ? 0 : 1;
        }
        assertTrue(moved > 290, moved + " of 300 pairs got another rejected text");
        assertEquals(pairs.stream().map(p -> p.rejected().content()).sorted().toList(), low.stream().map(p -> p.rejected().content()).sorted().toList(),
                "the same rejected texts, reassigned");
        assertThrows(IllegalArgumentException.class, () -> LowSimilarity.of(pairs.subList(0, 1), 3));
    }

    @Test
    void pairJsonlReadsBackThroughTheJsonlReader(@TempDir Path tmp) throws Exception {
        HhRlhfSubset hh = HhRlhfSubset.select(REPO.resolve("data/hh-rlhf/harmless-base-test.jsonl.gz"), REPO.resolve("tokenizers/mistral"), 64, 48, 20, 10);
        List<PreferenceExample> pairs = new ArrayList<>(hh.train());
        pairs.addAll(ControlledTask.examples(ControlledTask.generate(1, 10, List.of()), "t"));
        assertTrue(pairs.stream().anyMatch(p -> p.prompt().size() > 1), "a multi-turn prompt among them");
        Path file = tmp.resolve("pairs.jsonl");
        PairJsonl.write(file, pairs);
        List<PreferenceExample> back = Datasets.readPairs(Datasets.Spec.of(DataFormat.JSONL, file)).examples();
        assertEquals(pairs.size(), back.size());
        for (int i = 0; i < pairs.size(); i++) {
            assertEquals(pairs.get(i).prompt(), back.get(i).prompt());
            assertEquals(pairs.get(i).chosen(), back.get(i).chosen());
            assertEquals(pairs.get(i).rejected(), back.get(i).rejected());
        }
    }

    @Test
    void hhRlhfSubsetKeepsShortPairsInFileOrder(@TempDir Path tmp) throws Exception {
        HhRlhfSubset s = HhRlhfSubset.select(REPO.resolve("data/hh-rlhf/harmless-base-test.jsonl.gz"), REPO.resolve("tokenizers/mistral"), 64, 48, 30, 10);
        assertEquals(30, s.train().size());
        assertEquals(10, s.eval().size());
        assertEquals("Is it possible to download a car?", s.train().get(0).prompt().get(0).content());
        long lastLine = 0;
        try (PairTokenizer t = PairTokenizer.fromFolder(REPO.resolve("tokenizers/mistral"), TokenizeOptions.DEFAULT)) {
            List<PreferenceExample> all = new ArrayList<>(s.train());
            all.addAll(s.eval());
            for (PreferenceExample e : all) {
                TokenizedPair p = t.tokenize(e);
                assertTrue(p.prompt().length <= 64 && p.chosen().length <= 48 && p.rejected().length <= 48, e.source().toString());
                assertTrue(e.source().line() > lastLine, "file order, no pair twice");
                lastLine = e.source().line();
            }
        }
        Path three = tmp.resolve("three.jsonl");
        java.nio.file.Files.writeString(three, """
                {"chosen": "\\n\\nHuman: Hi there\\n\\nAssistant: Hello!", "rejected": "\\n\\nHuman: Hi there\\n\\nAssistant: Go away."}
                {"chosen": "\\n\\nHuman: How are you?\\n\\nAssistant: Fine, thanks.", "rejected": "\\n\\nHuman: How are you?\\n\\nAssistant: Why?"}
                {"chosen": "\\n\\nHuman: %s\\n\\nAssistant: Yes.", "rejected": "\\n\\nHuman: %s\\n\\nAssistant: No."}
                """.formatted("long ".repeat(80), "long ".repeat(80)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HhRlhfSubset.select(three, REPO.resolve("tokenizers/mistral"), 64, 48, 2, 1));
        assertTrue(e.getMessage().contains("only 2 pairs have a prompt of at most 64 and completions of at most 48 tokens; 3 were asked for"), e.getMessage());
    }
}

package io.github.dgpo.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.Source;
import io.github.dgpo.data.tokenize.TextTokenizer;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.train.TestRepo;
import io.github.dgpo.train.config.ConfigLoader;
import io.github.dgpo.train.config.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A config's {@code chat_template_kwargs} (in the file or a dotted {@code --set}) reach the chat
 * template of the run's data; the up-front check that a run's token ids fit the model's
 * vocabulary.
 */
class TrainingDataTest {

    @Test
    void anIdPastTheVocabularyIsNamedWithItsExample() {
        TokenizedPair ok = new TokenizedPair(new long[] {1, 5}, new long[] {7, 2}, new long[] {8, 2}, false, new Source("d.jsonl", 1));
        TokenizedPair bad = new TokenizedPair(new long[] {1, 5}, new long[] {31999, 2}, new long[] {8, 2}, false, new Source("d.jsonl", 2));
        TrainingData data = new TrainingData(List.of(ok), List.of(bad), List.of(), List.of(), new ReadReport(false), 2);
        data.checkVocabulary(32000, Path.of("tok"));
        String msg = assertThrows(IllegalArgumentException.class, () -> data.checkVocabulary(512, Path.of("tok"))).getMessage();
        assertEquals("token id 31999 (in d.jsonl:2) is outside the model's vocabulary (vocab_size 512): the tokenizer tok does not belong to this model;"
                + " use the model's own tokenizer", msg);
    }

    @Test
    void chatTemplateKwargsFromTheConfigReachTheTemplate(@TempDir Path tmp) throws Exception {
        Path rows = tmp.resolve("pairs.jsonl");
        Files.write(rows, List.of("{\"prompt\": \"What is 2+2?\", \"chosen\": \"4\", \"rejected\": \"5\"}"));
        String base = "model_name_or_path: m\ndataset_path: " + rows + "\ndataset_format: jsonl\noutput_dir: o\n";
        Path withKey = tmp.resolve("with.yaml");
        Files.writeString(withKey, base + "chat_template_kwargs:\n  enable_thinking: false\n");
        Path without = tmp.resolve("without.yaml");
        Files.writeString(without, base);
        Path qwen3 = TestRepo.path("tokenizers/qwen3");

        TrainConfig c = ConfigLoader.load(withKey, List.of());
        assertEquals(Map.of("enable_thinking", false), c.chatTemplateKwargs);
        assertEquals(c.chatTemplateKwargs, ConfigLoader.load(without, List.of("chat_template_kwargs.enable_thinking=false")).chatTemplateKwargs);
        try (TextTokenizer text = TextTokenizer.load(qwen3)) {
            String off = text.decode(TrainingData.load(c, qwen3).train().get(0).prompt(), false);
            String on = text.decode(TrainingData.load(ConfigLoader.load(without, List.of()), qwen3).train().get(0).prompt(), false);
            assertEquals("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n", on);
            assertEquals(on + "<think>\n\n</think>\n\n", off);
        }
        TrainConfig reserved = ConfigLoader.load(without, List.of("chat_template_kwargs.add_generation_prompt=false"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainingData.load(reserved, qwen3));
        assertTrue(e.getMessage().startsWith("chat_template_kwargs: 'add_generation_prompt' is not a template variable"), e.getMessage());
    }
}

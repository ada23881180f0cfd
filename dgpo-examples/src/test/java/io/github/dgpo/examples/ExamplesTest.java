package io.github.dgpo.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.dgpo.train.run.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The examples run end to end with tiny settings (Mistral tokenizer, 32K vocabulary, few steps). */
class ExamplesTest {

    private static String[] tiny(Path out) {
        Path root = Paths.get("").toAbsolutePath().getParent();
        return new String[] {"--output", out.toString(),
            "tokenizer_name_or_path=" + root.resolve("tokenizers/mistral"),
            "dataset_path=" + root.resolve("data/hh-rlhf/harmless-base-test.jsonl.gz"),
            "random_model.vocab_size=32000", "random_model.hidden_size=32", "random_model.intermediate_size=64", "random_model.head_dim=8",
            "random_model.bos_token_id=1", "random_model.eos_token_id=2",
            "max_train_samples=16", "eval_fraction=0", "max_steps=4", "max_length=96", "max_prompt_length=64",
            "save_steps=0", "eval_steps=0", "logging_steps=1", "progress_bar=false"};
    }

    @Test
    void trainDgpoRunsSftThenDgpo(@TempDir Path tmp) throws Exception {
        Trainer.Result r = TrainDgpo.runExample(tiny(tmp));
        assertEquals(4, r.steps());
        assertTrue(Files.exists(tmp.resolve("dgpo/model.safetensors")));
        assertTrue(Files.exists(tmp.resolve("dgpo/plots/logps.png")));
        assertTrue(Files.exists(tmp.resolve("sft/model.safetensors")));
    }

    @Test
    void compareLossesDrawsBothRuns(@TempDir Path tmp) throws Exception {
        Path chart = CompareLosses.runExample(tiny(tmp));
        assertTrue(Files.size(chart) > 1000);
        assertTrue(Files.exists(tmp.resolve("dpo/metrics.jsonl")) && Files.exists(tmp.resolve("dgpo/metrics.jsonl")));
    }
}

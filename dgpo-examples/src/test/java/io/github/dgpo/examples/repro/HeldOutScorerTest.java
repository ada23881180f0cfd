package io.github.dgpo.examples.repro;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.model.Architecture;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.core.model.ModelConfig;
import io.github.dgpo.core.safetensors.DType;
import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.train.run.Evaluator;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The study's held-out numbers against an independent evaluation of the same models. */
class HeldOutScorerTest {

    private static final Path TOKENIZER = Paths.get("").toAbsolutePath().getParent().resolve("configs/repro");
    private static final int MAX_LENGTH = 64;

    private static Path saveRandom(long seed, Path dir, NDManager m) throws Exception {
        ModelConfig c = ModelConfig.builder(Architecture.LLAMA).set("vocab_size", 128).set("initializer_range", 0.5).build();
        try (CausalLm lm = CausalLm.random(c, seed, m)) {
            lm.save(dir, DType.F32, Long.MAX_VALUE, TOKENIZER);
        }
        return dir;
    }

    /**
     * A trained model's numbers equal {@link Evaluator#evaluate} with the SFT model as reference
     * (the SFT's scores are computed once and kept), and the SFT model's own reward accuracy is 0.
     */
    @Test
    void matchesAnEvaluationAgainstTheSftModel(@TempDir Path tmp) throws Exception {
        Path train = tmp.resolve("train.jsonl");
        Path eval = tmp.resolve("eval.jsonl");
        PairJsonl.write(train, ControlledTask.examples(ControlledTask.generate(3, 12, List.of()), "train"));
        PairJsonl.write(eval, ControlledTask.examples(ControlledTask.generate(4, 20, List.of()), "eval"));
        OfflineEngine.configure();
        try (NDManager m = OfflineEngine.newManager()) {
            Path sftDir = saveRandom(1, tmp.resolve("sft"), m);
            Path trainedDir = saveRandom(2, tmp.resolve("trained"), m);
            List<TokenizedPair> pairs;
            long padId;
            try (PairTokenizer t = PairTokenizer.fromFolder(TOKENIZER, new TokenizeOptions(MAX_LENGTH, 0))) {
                pairs = t.tokenizeAll(Datasets.readPairs(Datasets.Spec.of(DataFormat.JSONL, eval)).examples(), new ReadReport(false));
                padId = t.padId();
            }
            Evaluator.Result expected;
            Evaluator.Result sftAlone;
            // the scorer's batch (32) and chunk (256) sizes, so the float32 sums agree to the bit
            try (CausalLm sft = CausalLm.load(sftDir, m); CausalLm trained = CausalLm.load(trainedDir, m)) {
                expected = Evaluator.evaluate(trained, sft, pairs, padId, 32, 256, m);
                sftAlone = Evaluator.evaluate(sft, null, pairs, padId, 32, 256, m);
            }
            try (HeldOutScorer scorer = new HeldOutScorer(TOKENIZER, MAX_LENGTH, train, eval, sftDir)) {
                for (int repeat = 0; repeat < 2; repeat++) {
                    HeldOutScorer.HeldOut h = scorer.heldOut(trainedDir);
                    assertEquals(20, h.pairs());
                    assertEquals(expected.accuracySum(), h.accuracySum());
                    assertEquals(expected.accuracyAverage(), h.accuracyAverage());
                    assertEquals(expected.implicitRewardAccuracy(), h.rewardAccuracy());
                    assertEquals(expected.chosenLogpsAverage(), h.chosenAverage(), 1e-9);
                    assertEquals(expected.rejectedLogpsAverage(), h.rejectedAverage(), 1e-9);
                }
                assertTrue(expected.implicitRewardAccuracy() > 0 && expected.implicitRewardAccuracy() < 1, "the models differ: " + expected);
                HeldOutScorer.HeldOut own = scorer.sft(false);
                assertEquals(0.0, own.rewardAccuracy());
                assertEquals(sftAlone.accuracySum(), own.accuracySum());
                assertEquals(sftAlone.chosenLogpsAverage(), own.chosenAverage(), 1e-9);
                assertEquals(12, scorer.sft(true).pairs());
                assertEquals(0.0, scorer.sft(true).rewardAccuracy());
            }
        }
    }
}

package io.github.dgpo.train.run;

import static io.github.dgpo.train.run.TrainTestSupport.config;
import static io.github.dgpo.train.run.TrainTestSupport.load;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ways of computing the same thing train the same: shared prompts vs two rows per pair, the
 * one-pass head vs the two-pass head (for the policy, a live reference, evaluation and KTO's
 * mismatched pass), to float32 round-off over a few steps.
 */
class LayoutEquivalenceTest {

    @TempDir
    Path tmp;

    private List<JsonNode> run(String name, String... settings) throws Exception {
        Path out = tmp.resolve(name);
        new Trainer(load(config(tmp, out.toString(), "max_steps: 3", "eval_fraction: 0.25", "eval_steps: 3", "logits_chunk_size: 16"), settings),
                Trainer.Mode.FRESH, null).run();
        return MetricsLog.read(out).stream().map(l -> {
            com.fasterxml.jackson.databind.node.ObjectNode o = ((com.fasterxml.jackson.databind.node.ObjectNode) l).deepCopy();
            TrainTestSupport.TIMING.forEach(o::remove);
            return (JsonNode) o;
        }).toList();
    }

    @Test
    void sharedPromptsTrainLikeTwoRowsWithALiveReference() throws Exception {
        List<JsonNode> separate = run("separate", "loss_type=dpo", "beta=0.5", "prefix_sharing=false");
        List<JsonNode> shared = run("shared", "loss_type=dpo", "beta=0.5", "prefix_sharing=true");
        TrainTestSupport.assertSameLines(separate, shared, 1e-4);
        assertEquals(7, separate.size(), "three training lines, evaluation and probe lines at steps 0 and 3");
    }

    @Test
    void onePassHeadTrainsLikeTwoPasses() throws Exception {
        List<JsonNode> two = run("two", "loss_type=simpo", "one_pass_head=false");
        List<JsonNode> one = run("one", "loss_type=simpo", "one_pass_head=true");
        TrainTestSupport.assertSameLines(two, one, 1e-4);
    }

    @Test
    void ktoMismatchedPassWithSharedPrompts() throws Exception {
        List<JsonNode> separate = run("kto-separate", "loss_type=kto", "beta=0.5", "prefix_sharing=false");
        List<JsonNode> shared = run("kto-shared", "loss_type=kto", "beta=0.5", "prefix_sharing=true");
        TrainTestSupport.assertSameLines(separate, shared, 1e-4);
        assertNotEquals(0.0, separate.stream().filter(l -> l.has("kl") && l.get("step").asInt() == 3).findFirst().orElseThrow().get("kl").asDouble(),
                "z0 comes from the mismatched pairs");
    }
}

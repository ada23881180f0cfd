package io.github.dgpo.train.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The paired change and its bootstrap interval against a normal-theory interval, and the verdicts. */
class PairChangeTest {

    @Test
    void intervalMatchesTheNormalApproximationAndVerdictsFollowIt() {
        Random r = new Random(3);
        int n = 400;
        double[] before = new double[n];
        double[] after = new double[n];
        double sum = 0;
        double sq = 0;
        for (int i = 0; i < n; i++) {
            before[i] = -2 + r.nextGaussian();
            double d = 0.1 + 0.5 * r.nextGaussian();
            after[i] = before[i] + d;
            sum += d;
            sq += d * d;
        }
        double mean = sum / n;
        double se = Math.sqrt((sq / n - mean * mean) / n);
        PairChange c = PairChange.of("x", before, after, 42);
        assertEquals(mean, c.meanChange(), 1e-12);
        assertEquals(mean - 1.96 * se, c.low(), 0.15 * 1.96 * se, "bootstrap percentile interval close to mean ± 1.96 se for n = 400");
        assertEquals(mean + 1.96 * se, c.high(), 0.15 * 1.96 * se);
        assertEquals("rose", c.verdict());
        assertEquals(c, PairChange.of("x", before, after, 42), "seeded: the same interval again");
        assertEquals("fell", PairChange.of("x", after, before, 42).verdict());
        double[] noisy = before.clone();
        for (int i = 0; i < n; i++) {
            noisy[i] += (i % 2 == 0 ? 1 : -1) * 0.3;
        }
        assertEquals("no clear change", PairChange.of("x", before, noisy, 42).verdict());
        assertTrue(PairChange.of("the chosen", before, after, 42).sentence().startsWith("the chosen rose: "));
        assertThrows(IllegalArgumentException.class, () -> PairChange.of("x", new double[2], new double[3], 1));
    }

    /** The probes' changes are named in one place and found by that name: the held-out chosen change first, else the training one. */
    @Test
    void probeChangesAreNamedAndFoundByName() {
        assertEquals("the chosen per-token log-probability of the held-out pairs", PairChange.perTokenLogp("chosen", true));
        assertEquals("the rejected per-token log-probability of the training probe pairs", PairChange.perTokenLogp("rejected", false));
        double[] before = {-3, -2, -4};
        double[] after = {-2, -1, -3.5};
        PairChange trainChosen = PairChange.of(PairChange.perTokenLogp("chosen", false), before, after, 1);
        PairChange heldChosen = PairChange.of(PairChange.perTokenLogp("chosen", true), after, before, 1);
        PairChange heldRejected = PairChange.of(PairChange.perTokenLogp("rejected", true), before, before, 1);
        assertEquals(heldChosen, new Trainer.Result(null, 1, 0, List.of(trainChosen, heldRejected, heldChosen)).chosenChange().orElseThrow());
        assertEquals(trainChosen, new Trainer.Result(null, 1, 0, List.of(heldRejected, trainChosen)).chosenChange().orElseThrow());
        assertTrue(new Trainer.Result(null, 1, 0, List.of(heldRejected)).chosenChange().isEmpty());
    }
}

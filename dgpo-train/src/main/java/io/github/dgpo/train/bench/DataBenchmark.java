package io.github.dgpo.train.bench;

import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reading and tokenizing a dataset, repeated in one JVM: the first passes include JIT warm-up;
 * the steady-state throughput is the best pass. The tokenizer is loaded once, before timing.
 */
public final class DataBenchmark {

    /**
     * One timed pass.
     *
     * @param pairs pairs tokenized
     * @param seconds wall time of read + tokenize
     */
    public record Pass(int pairs, double seconds) {
        /** @return pairs per second */
        public double pairsPerSecond() {
            return pairs / seconds;
        }
    }

    private DataBenchmark() {}

    /**
     * Runs the passes.
     *
     * @param spec the dataset
     * @param tokenizer tokenizer folder
     * @param passes number of passes
     * @return each pass
     * @throws IOException if the tokenizer cannot be read
     */
    public static List<Pass> run(Datasets.Spec spec, Path tokenizer, int passes) throws IOException {
        List<Pass> out = new ArrayList<>();
        try (PairTokenizer t = PairTokenizer.fromFolder(tokenizer, TokenizeOptions.DEFAULT)) {
            for (int i = 0; i < passes; i++) {
                long t0 = System.nanoTime();
                Datasets.Pairs pairs = Datasets.readPairs(spec);
                int n = t.tokenizeAll(pairs.examples(), pairs.report()).size();
                out.add(new Pass(n, (System.nanoTime() - t0) / 1e9));
            }
        }
        return out;
    }
}

package io.github.dgpo.train.run;

import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.read.UltraFeedbackRawReader;
import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.data.tokenize.TokenizedPair;
import io.github.dgpo.train.config.TrainConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A run's tokenized pairs: the training set (optionally capped), and the evaluation set from
 * {@code eval_dataset_path} or a seeded {@code eval_fraction} held out of the training data.
 *
 * @param train training pairs
 * @param eval evaluation pairs (may be empty)
 * @param report what reading and tokenizing did
 * @param padId the pad id
 */
public record TrainingData(List<TokenizedPair> train, List<TokenizedPair> eval, ReadReport report, long padId) {

    /**
     * Reads and tokenizes a run's data.
     *
     * @param c the config
     * @param tokenizerDir the tokenizer folder
     * @return the data
     * @throws IOException if the tokenizer cannot be read
     */
    public static TrainingData load(TrainConfig c, Path tokenizerDir) throws IOException {
        DataFormat format = DataFormat.parse(c.datasetFormat);
        if (format == DataFormat.KTO) {
            throw new IllegalArgumentException("dataset_format kto (unpaired) is not supported by the trainer yet; use paired data (KTO trains on pairs)");
        }
        TokenizeOptions options = new TokenizeOptions(c.maxLength, c.maxPromptLength);
        try (PairTokenizer tokenizer = PairTokenizer.fromFolder(tokenizerDir, options)) {
            Datasets.Pairs pairs = Datasets.readPairs(new Datasets.Spec(format, Paths.get(c.datasetPath), c.datasetSplit, c.strictData, UltraFeedbackRawReader.Options.DEFAULT));
            List<TokenizedPair> all = tokenizer.tokenizeAll(pairs.examples(), pairs.report());
            List<TokenizedPair> eval = new ArrayList<>();
            List<TokenizedPair> train = new ArrayList<>(all);
            if (c.evalDatasetPath != null) {
                Datasets.Pairs e = Datasets.readPairs(new Datasets.Spec(format, Paths.get(c.evalDatasetPath), c.evalSplit, c.strictData, UltraFeedbackRawReader.Options.DEFAULT));
                eval = tokenizer.tokenizeAll(e.examples(), e.report());
            } else if (c.evalFraction > 0) {
                List<TokenizedPair> shuffled = new ArrayList<>(all);
                Collections.shuffle(shuffled, new Random(c.seed));
                int n = (int) Math.round(all.size() * c.evalFraction);
                eval = new ArrayList<>(shuffled.subList(0, n));
                train = new ArrayList<>(shuffled.subList(n, shuffled.size()));
            }
            if (c.maxTrainSamples != null && c.maxTrainSamples < train.size()) {
                train = new ArrayList<>(train.subList(0, c.maxTrainSamples));
            }
            if (train.isEmpty()) {
                throw new IllegalArgumentException(c.datasetPath + ": no training pairs left after reading and filtering (" + pairs.report().summary().replace('\n', ' ') + ")");
            }
            return new TrainingData(train, eval, pairs.report(), tokenizer.padId());
        }
    }
}

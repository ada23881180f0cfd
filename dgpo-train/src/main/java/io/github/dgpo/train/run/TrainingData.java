package io.github.dgpo.train.run;

import io.github.dgpo.data.DataFormat;
import io.github.dgpo.data.Datasets;
import io.github.dgpo.data.ReadReport;
import io.github.dgpo.data.read.UltraFeedbackRawReader;
import io.github.dgpo.data.tokenize.PairTokenizer;
import io.github.dgpo.data.tokenize.TokenizeOptions;
import io.github.dgpo.data.tokenize.TokenizedExample;
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
 * @param train training pairs (empty for unpaired data)
 * @param eval evaluation pairs (may be empty)
 * @param trainUnpaired training examples of KTO's unpaired form (empty for pairs)
 * @param evalUnpaired evaluation examples of the unpaired form
 * @param report what reading and tokenizing did
 * @param padId the pad id
 */
public record TrainingData(List<TokenizedPair> train, List<TokenizedPair> eval, List<TokenizedExample> trainUnpaired, List<TokenizedExample> evalUnpaired,
        ReadReport report, long padId) {

    /** @return whether the data is KTO's unpaired form */
    public boolean unpaired() {
        return !trainUnpaired.isEmpty();
    }

    /** @return training examples (pairs or unpaired) */
    public int trainSize() {
        return unpaired() ? trainUnpaired.size() : train.size();
    }

    /**
     * Checks every token id against a model's vocabulary before training starts (a tokenizer
     * from another model family gives ids past {@code vocab_size}, which the native embedding
     * only reports as "index out of range" at the first step).
     *
     * @param vocabSize the model's {@code vocab_size}
     * @param tokenizerDir the tokenizer folder, for the message
     * @throws IllegalArgumentException naming the largest id, the example holding it and the tokenizer
     */
    public void checkVocabulary(int vocabSize, Path tokenizerDir) {
        long max = -1;
        io.github.dgpo.data.Source where = null;
        List<long[]> rows = new ArrayList<>();
        List<io.github.dgpo.data.Source> sources = new ArrayList<>();
        for (List<TokenizedPair> part : List.of(train, eval)) {
            for (TokenizedPair p : part) {
                rows.addAll(List.of(p.prompt(), p.chosen(), p.rejected()));
                sources.addAll(java.util.Collections.nCopies(3, p.source()));
            }
        }
        for (List<TokenizedExample> part : List.of(trainUnpaired, evalUnpaired)) {
            for (TokenizedExample e : part) {
                rows.addAll(List.of(e.prompt(), e.completion()));
                sources.addAll(java.util.Collections.nCopies(2, e.source()));
            }
        }
        for (int i = 0; i < rows.size(); i++) {
            for (long id : rows.get(i)) {
                if (id > max) {
                    max = id;
                    where = sources.get(i);
                }
            }
        }
        if (max >= vocabSize) {
            throw new IllegalArgumentException("token id " + max + " (in " + where + ") is outside the model's vocabulary (vocab_size " + vocabSize + "): the tokenizer "
                    + tokenizerDir + " does not belong to this model; use the model's own tokenizer");
        }
    }

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
        TokenizeOptions options = new TokenizeOptions(c.maxLength, c.maxPromptLength, c.chatTemplateKwargs);
        if (format == DataFormat.KTO) {
            return loadUnpaired(c, tokenizerDir, options);
        }
        try (PairTokenizer tokenizer = PairTokenizer.fromFolder(tokenizerDir, options)) {
            Datasets.Pairs pairs = Datasets.readPairs(new Datasets.Spec(format, Paths.get(c.datasetPath), c.datasetSplit, c.strictData, c.rawPairing()));
            List<List<TokenizedPair>> split = split(c, tokenizer.tokenizeAll(pairs.examples(), pairs.report()), () -> {
                Datasets.Pairs e = Datasets.readPairs(new Datasets.Spec(format, Paths.get(c.evalDatasetPath), c.evalSplit, c.strictData, c.rawPairing()));
                return tokenizer.tokenizeAll(e.examples(), e.report());
            }, pairs.report());
            return new TrainingData(split.get(0), split.get(1), List.of(), List.of(), pairs.report(), tokenizer.padId());
        }
    }

    private static TrainingData loadUnpaired(TrainConfig c, Path tokenizerDir, TokenizeOptions options) throws IOException {
        try (PairTokenizer tokenizer = PairTokenizer.fromFolder(tokenizerDir, options)) {
            Datasets.Unpaired read = Datasets.readUnpaired(new Datasets.Spec(DataFormat.KTO, Paths.get(c.datasetPath), c.datasetSplit, c.strictData, UltraFeedbackRawReader.Options.DEFAULT));
            List<List<TokenizedExample>> split = split(c, tokenizer.tokenizeAllUnpaired(read.examples(), read.report()), () -> {
                Datasets.Unpaired e = Datasets.readUnpaired(new Datasets.Spec(DataFormat.KTO, Paths.get(c.evalDatasetPath), c.evalSplit, c.strictData, UltraFeedbackRawReader.Options.DEFAULT));
                return tokenizer.tokenizeAllUnpaired(e.examples(), e.report());
            }, read.report());
            return new TrainingData(List.of(), List.of(), split.get(0), split.get(1), read.report(), tokenizer.padId());
        }
    }

    /**
     * {training, evaluation}: the evaluation set from {@code eval_dataset_path}, or a seeded
     * {@code eval_fraction} held out; the training set capped at {@code max_train_samples}.
     */
    private static <T> List<List<T>> split(TrainConfig c, List<T> all, java.util.function.Supplier<List<T>> evalFile, io.github.dgpo.data.ReadReport report) {
        List<T> eval = new ArrayList<>();
        List<T> train = new ArrayList<>(all);
        if (c.evalDatasetPath != null) {
            eval = evalFile.get();
        } else if (c.evalFraction > 0) {
            List<T> shuffled = new ArrayList<>(all);
            Collections.shuffle(shuffled, new Random(c.seed));
            int n = (int) Math.round(all.size() * c.evalFraction);
            eval = new ArrayList<>(shuffled.subList(0, n));
            train = new ArrayList<>(shuffled.subList(n, shuffled.size()));
        }
        if (c.maxTrainSamples != null && c.maxTrainSamples < train.size()) {
            train = new ArrayList<>(train.subList(0, c.maxTrainSamples));
        }
        if (train.isEmpty()) {
            throw new IllegalArgumentException(c.datasetPath + ": no training pairs left after reading and filtering (" + report.summary().replace('\n', ' ') + ")");
        }
        return List.of(train, eval);
    }
}

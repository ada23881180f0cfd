package io.github.dgpo.examples.repro;

import io.github.dgpo.data.PreferenceExample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The study's two datasets: the bundled HH-RLHF split (the DGPO paper's Table 3 data) and the
 * controlled task, each with its SFT and preference configs under {@code configs/repro/}.
 */
public enum StudyDataset {

    /** Generated structured answers with one- or two-token errors ({@link ControlledTask}). */
    CONTROLLED("controlled", "Controlled task"),

    /** Short pairs of the bundled HH-RLHF harmless-base test split ({@link HhRlhfSubset}). */
    HH("hh", "HH-RLHF");

    /** Seed of the controlled task's training pairs; the held-out pairs use the next, the low-similarity permutation the one after. */
    static final long DATA_SEED = 1;

    /** HH-RLHF pairs are kept when their prompt has at most this many tokens... */
    static final int HH_MAX_PROMPT_TOKENS = 64;

    /** ...and both completions at most this many. */
    static final int HH_MAX_COMPLETION_TOKENS = 48;

    private final String id;
    private final String title;

    StudyDataset(String id, String title) {
        this.id = id;
        this.title = title;
    }

    /** @return the short name used in folders and files */
    public String id() {
        return id;
    }

    /** @return the name used in the report */
    public String title() {
        return title;
    }

    /** @return the SFT config, relative to the repository */
    public String sftConfig() {
        return "configs/repro/" + id + "-sft.yaml";
    }

    /** @return the preference config, relative to the repository */
    public String prefConfig() {
        return "configs/repro/" + id + "-pref.yaml";
    }

    /**
     * The data files a study writes.
     *
     * @param train the training pairs
     * @param eval the held-out pairs
     * @param lowSimilarityTrain the training pairs with other pairs' rejected completions (§2.3)
     */
    public record Files(Path train, Path eval, Path lowSimilarityTrain) {}

    /**
     * Writes the dataset's files.
     *
     * @param repoRoot the repository
     * @param tokenizer the runs' tokenizer folder (HH-RLHF pairs are selected by their length under it)
     * @param dataDir where to write
     * @param sizes how many pairs
     * @return the files
     * @throws IOException if a file cannot be read or written
     */
    public Files prepare(Path repoRoot, Path tokenizer, Path dataDir, StudyScale.Sizes sizes) throws IOException {
        List<PreferenceExample> train;
        List<PreferenceExample> eval;
        if (this == CONTROLLED) {
            List<ControlledTask.Row> t = ControlledTask.generate(DATA_SEED, sizes.trainPairs(), List.of());
            List<ControlledTask.Row> e = ControlledTask.generate(DATA_SEED + 1, sizes.evalPairs(), t.stream().map(ControlledTask.Row::prompt).toList());
            train = ControlledTask.examples(t, "controlled-train");
            eval = ControlledTask.examples(e, "controlled-eval");
        } else {
            HhRlhfSubset s = HhRlhfSubset.select(repoRoot.resolve("data/hh-rlhf/harmless-base-test.jsonl.gz"), tokenizer,
                    HH_MAX_PROMPT_TOKENS, HH_MAX_COMPLETION_TOKENS, sizes.trainPairs(), sizes.evalPairs());
            train = s.train();
            eval = s.eval();
        }
        Files f = new Files(dataDir.resolve(id + "-train.jsonl"), dataDir.resolve(id + "-eval.jsonl"), dataDir.resolve(id + "-train-lowsim.jsonl"));
        PairJsonl.write(f.train(), train);
        PairJsonl.write(f.eval(), eval);
        PairJsonl.write(f.lowSimilarityTrain(), LowSimilarity.of(train, DATA_SEED + 2));
        return f;
    }
}

package io.github.dgpo.examples.repro;

import io.github.dgpo.train.run.PairChange;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One training run of the study: what it was (dataset, group, loss, hyperparameters, seed, the
 * command that repeats it), what it cost, and what it found. Kept as {@code repro-run.json} in
 * the run's folder, so a study run with {@code --reuse} can take it back.
 *
 * @param dataset {@link StudyDataset#id()}
 * @param name the run's folder name
 * @param group {@code sft}, {@code losses} (the nine-loss comparison), {@code beta} (DGPO's β
 *     sweep), {@code kl} (the {@code dgpo-kl} ablation) or {@code control} (low-similarity data)
 * @param loss the loss name
 * @param hyperparameters the loss hyperparameters set
 * @param seed the run's seed (batch order; the SFT start is the same for every seed)
 * @param command the command that repeats the run, from the repository root
 * @param wallSeconds wall time of the run (training, probes, evaluation, saving)
 * @param cpuSeconds CPU time of this process during the run
 * @param load1Before the 1-minute load average when it started
 * @param load1After the 1-minute load average when it ended
 * @param finding the trainer's paired changes from step 0 to the end (training probes then held-out)
 * @param heldOut the trained model on the held-out pairs
 * @param key what the run was made from (config text, overrides, the SFT run's key), to decide reuse
 */
public record RunRecord(String dataset, String name, String group, String loss, Map<String, Object> hyperparameters, long seed, String command,
        double wallSeconds, double cpuSeconds, double load1Before, double load1After, List<PairChange> finding, HeldOutScorer.HeldOut heldOut, String key) {

    /**
     * A change of the finding.
     *
     * @param side {@code chosen} or {@code rejected}
     * @param heldOut the held-out pairs, else the training probe pairs
     * @return the change, if the run measured it
     */
    public Optional<PairChange> change(String side, boolean heldOut) {
        return finding.stream().filter(c -> c.what().equals(PairChange.perTokenLogp(side, heldOut))).findFirst();
    }

    /** @return this record with the held-out evaluation */
    RunRecord withHeldOut(HeldOutScorer.HeldOut h) {
        return new RunRecord(dataset, name, group, loss, hyperparameters, seed, command, wallSeconds, cpuSeconds, load1Before, load1After, finding, h, key);
    }
}

package io.github.dgpo.train.run;

/**
 * What the training loop optimises: a loss over a run's training examples (pairs, or KTO's
 * unpaired examples), one micro-batch at a time, and the same loss's metrics on the evaluation
 * examples.
 */
interface Objective {

    /** @return training examples */
    int trainSize();

    /** @return each training example's longest row, for length-grouped batches */
    int[] trainLengths();

    /** @return whether there are evaluation examples */
    boolean hasEvaluation();

    /**
     * Forward and backward of one micro-batch inside an open gradient collector, the gradient
     * scaled by the micro-batch's share of the step.
     *
     * @param indices training example indices
     * @param scale weight of this micro-batch's mean loss in the step's loss
     * @return the micro-batch's loss and metrics
     */
    MicroBatch train(int[] indices, double scale);

    /**
     * The loss's metrics on the evaluation examples, without gradient.
     *
     * @return means over the examples and their count
     */
    Evaluation evaluate();

    /**
     * The items of a micro-batch, in the order of its indices.
     *
     * @param all the training items
     * @param indices positions in {@code all}
     * @param <T> the item type
     * @return the selected items
     */
    static <T> java.util.List<T> pick(java.util.List<T> all, int[] indices) {
        java.util.List<T> picked = new java.util.ArrayList<>(indices.length);
        for (int i : indices) {
            picked.add(all.get(i));
        }
        return picked;
    }
}

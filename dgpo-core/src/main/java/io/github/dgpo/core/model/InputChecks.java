package io.github.dgpo.core.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Checks of the token rows a model is given, before they reach the native code: ids inside the
 * vocabulary (a tokenizer that does not belong to the model; the native embedding would fail
 * with "index out of range") and rectangular rows.
 */
final class InputChecks {

    private InputChecks() {}

    /** Ids on the host: names the first one outside {@code [0, vocab)} in row order. */
    static void ids(long[][] ids, int vocab) {
        for (long[] row : ids) {
            for (long id : row) {
                if (id < 0 || id >= vocab) {
                    throw outsideVocabulary(id, vocab);
                }
            }
        }
    }

    /** Ids on the device (two reductions and two reads back): names the largest if too large, else the smallest. */
    static void ids(NDArray ids, int vocab) {
        if (ids.isEmpty()) {
            return;
        }
        long max = ids.max().toType(DataType.INT64, false).getLong();
        long min = ids.min().toType(DataType.INT64, false).getLong();
        if (max >= vocab || min < 0) {
            throw outsideVocabulary(max >= vocab ? max : min, vocab);
        }
    }

    /** Ids and attention mask on the host: the same number of rows, all equally wide. */
    static void rows(long[][] ids, long[][] attentionMask) {
        if (attentionMask.length != ids.length) {
            throw new IllegalArgumentException("ids and attention mask differ in rows: " + ids.length + " against " + attentionMask.length);
        }
        int width = ids.length == 0 ? 0 : ids[0].length;
        for (int n = 0; n < ids.length; n++) {
            if (ids[n].length != width || attentionMask[n].length != width) {
                throw new IllegalArgumentException("row " + n + ": every row of ids and of the attention mask must be " + width + " tokens wide");
            }
        }
    }

    private static IllegalArgumentException outsideVocabulary(long id, int vocab) {
        return new IllegalArgumentException("token id " + id + " is outside the model's vocabulary (vocab_size " + vocab + ", ids 0 to " + (vocab - 1)
                + "): the tokenizer does not belong to this model; use the model's own tokenizer");
    }
}

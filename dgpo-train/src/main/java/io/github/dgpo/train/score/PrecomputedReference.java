package io.github.dgpo.train.score;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.github.dgpo.core.logprobs.SequenceLogprobs;
import io.github.dgpo.core.model.CausalLm;
import io.github.dgpo.data.batch.PackedBatch;
import io.github.dgpo.data.batch.RowLayout;
import io.github.dgpo.data.tokenize.TokenizedPair;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reference sequence log-probabilities computed once for every pair before training, so the
 * reference model is not in memory while the policy trains, and cached on disk under a
 * fingerprint of the reference weights (with any adapters) and the token ids of every pair (which carry the data,
 * the chat template and the length settings) and LD-DPO's tail weight, so a rerun reuses them.
 * The sums do not depend on whether prompts are shared (a shared prompt gives every token the
 * same context), so the fingerprint does not include that.
 */
public final class PrecomputedReference implements Reference {

    private static final Logger LOG = LoggerFactory.getLogger(PrecomputedReference.class);

    private final float[] chosen;
    private final float[] rejected;

    private PrecomputedReference(float[] chosen, float[] rejected) {
        this.chosen = chosen;
        this.rejected = rejected;
    }

    /** @return reference sums of the chosen completions, by pair index */
    public float[] chosen() {
        return chosen;
    }

    /** @return reference sums of the rejected completions, by pair index */
    public float[] rejected() {
        return rejected;
    }

    /**
     * Scores every pair with the reference, or reads the cached scores.
     *
     * @param reference the reference model
     * @param pairs all pairs (training then evaluation), indexed by their keys
     * @param layout the row layout
     * @param batchSize pairs per forward pass
     * @param chunkSize head chunk size
     * @param cacheDir the cache folder
     * @param manager parent manager
     * @return the scores
     * @throws IOException if the cache cannot be written
     */
    public static PrecomputedReference precompute(CausalLm reference, List<TokenizedPair> pairs, RowLayout layout, int batchSize, int chunkSize, Path cacheDir,
            NDManager manager) throws IOException {
        String fingerprint = fingerprint(reference, pairs, layout.tailWeight());
        Path file = cacheDir.resolve("ref-logps-" + fingerprint + ".bin");
        if (Files.exists(file)) {
            LOG.info("reference log-probabilities: reusing {}", file);
            return read(file, pairs.size());
        }
        LOG.info("reference log-probabilities: scoring {} pairs (cache {})", pairs.size(), file);
        float[] c = new float[pairs.size()];
        float[] r = new float[pairs.size()];
        LiveReference live = new LiveReference(reference, new SequenceLogprobs(chunkSize), false);
        for (int start = 0; start < pairs.size(); start += batchSize) {
            List<TokenizedPair> part = pairs.subList(start, Math.min(pairs.size(), start + batchSize));
            float[] sums = live.sums(layout.pairs(part), null, manager);
            for (int i = 0; i < part.size(); i++) {
                c[start + i] = sums[i];
                r[start + i] = sums[part.size() + i];
            }
        }
        write(file, c, r);
        return new PrecomputedReference(c, r);
    }

    @Override
    public float[] sums(PackedBatch batch, int[] keys, NDManager manager) {
        if (keys == null || keys.length != batch.groups() || batch.targets().sequenceCount() != 2 * keys.length) {
            throw new IllegalArgumentException("precomputed reference sums exist for the run's own pairs only (by key); a live reference is needed for other sequences");
        }
        float[] out = new float[2 * keys.length];
        for (int i = 0; i < keys.length; i++) {
            out[i] = chosen[keys[i]];
            out[keys.length + i] = rejected[keys[i]];
        }
        return out;
    }

    @Override
    public boolean live() {
        return false;
    }

    @Override
    public void close() {}

    private static String fingerprint(CausalLm reference, List<TokenizedPair> pairs, float tailWeight) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update("dgpo-ref-logps-v1".getBytes(java.nio.charset.StandardCharsets.UTF_8));
            if (tailWeight != 1f) {
                d.update(("ld_alpha=" + tailWeight).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
            Map<String, NDArray> weights = new java.util.LinkedHashMap<>(reference.parameters());
            if (reference.adapters() != null) {
                weights.putAll(reference.adapters().parameters());
            }
            for (Map.Entry<String, NDArray> e : weights.entrySet()) {
                d.update(e.getKey().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                d.update(e.getValue().toByteBuffer());
            }
            ByteBuffer buf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (TokenizedPair p : pairs) {
                for (long[] ids : new long[][] {p.prompt(), p.chosen(), p.rejected()}) {
                    buf.clear();
                    d.update(buf.putLong(ids.length).array());
                    for (long id : ids) {
                        buf.clear();
                        d.update(buf.putLong(id).array());
                    }
                }
            }
            return HexFormat.of().formatHex(d.digest()).substring(0, 24);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void write(Path file, float[] c, float[] r) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tmp)))) {
            out.writeInt(c.length);
            for (int i = 0; i < c.length; i++) {
                out.writeFloat(c[i]);
                out.writeFloat(r[i]);
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static PrecomputedReference read(Path file, int n) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            int count = in.readInt();
            if (count != n) {
                throw new IOException(file + ": holds " + count + " pairs, expected " + n);
            }
            float[] c = new float[n];
            float[] r = new float[n];
            for (int i = 0; i < n; i++) {
                c[i] = in.readFloat();
                r[i] = in.readFloat();
            }
            return new PrecomputedReference(c, r);
        }
    }
}

package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Test points: per pair {@code S_w, S_l, n_w, n_l, R_w, R_l}, KTO's mismatched sums, WPO's
 * token-alignment sums and {@code dgpo-kl}'s aligned divergences, in double precision.
 */
final class Points {

    final double[] sw;
    final double[] sl;
    final double[] nw;
    final double[] nl;
    final double[] rw;
    final double[] rl;
    final double[] mis;
    final double[] misRef;
    final double[] alignW;
    final double[] alignL;

    /** Points with alignment sums of {@code n·c}, {@code c} cycling through [-0.4, 0.2] (WPO weights e^-0.8 to e^0.3). */
    Points(double[] sw, double[] sl, double[] nw, double[] nl, double[] rw, double[] rl, double[] mis, double[] misRef) {
        this(sw, sl, nw, nl, rw, rl, mis, misRef, alignment(nw, 0.2, 0.1, 7), alignment(nl, 0.1, 0.07, 5));
    }

    Points(double[] sw, double[] sl, double[] nw, double[] nl, double[] rw, double[] rl, double[] mis, double[] misRef,
            double[] alignW, double[] alignL) {
        this.sw = sw;
        this.sl = sl;
        this.nw = nw;
        this.nl = nl;
        this.rw = rw;
        this.rl = rl;
        this.mis = mis;
        this.misRef = misRef;
        this.alignW = alignW;
        this.alignL = alignL;
    }

    private static double[] alignment(double[] counts, double start, double step, int period) {
        double[] out = new double[counts.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = counts[i] * (start - step * (i % period));
        }
        return out;
    }

    /** The same points with other policy sums. */
    Points withSums(double[] chosen, double[] rejected) {
        return new Points(chosen, rejected, nw, nl, rw, rl, mis, misRef, alignW, alignL);
    }

    /** The same points with other mismatched sums (KTO's {@code z0}). */
    Points withMismatched(double[] policy, double[] reference) {
        return new Points(sw, sl, nw, nl, rw, rl, policy, reference, alignW, alignL);
    }

    int size() {
        return sw.length;
    }

    /** Builder of points one pair at a time. */
    static final class Builder {
        private final List<double[]> rows = new ArrayList<>();

        /** Adds a pair given per-token averages and lengths; refs are averages too. */
        Builder add(double aw, double al, int nw, int nl, double refAw, double refAl) {
            rows.add(new double[] {aw * nw, al * nl, nw, nl, refAw * nw, refAl * nl});
            return this;
        }

        Points build() {
            int n = rows.size();
            double[][] cols = new double[6][n];
            for (int i = 0; i < n; i++) {
                for (int c = 0; c < 6; c++) {
                    cols[c][i] = rows.get(i)[c];
                }
            }
            // mismatched pair i: prompt i with the chosen completion of pair i+1
            double[] mis = new double[n];
            double[] misRef = new double[n];
            for (int i = 0; i < n; i++) {
                int j = (i + 1) % n;
                mis[i] = cols[0][j] * 1.01;
                misRef[i] = cols[4][j];
            }
            return new Points(cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], mis, misRef);
        }
    }

    /** A per-token average in [-20, -1e-9]: half uniform, half log-uniform in magnitude. */
    static double average(Random r) {
        double v = r.nextBoolean() ? -20 * r.nextDouble() : -Math.pow(10, -9 + r.nextDouble() * (9 + Math.log10(20)));
        return Math.max(-20, Math.min(-1e-9, v));
    }

    /** A completion length in [1, 4096], log-uniform. */
    static int length(Random r) {
        return (int) Math.max(1, Math.min(4096, Math.round(Math.pow(4096, r.nextDouble()))));
    }

    /** {@code count} random candidate pairs; references near or far from the policy. */
    static Points random(Random r, int count) {
        Builder b = new Builder();
        for (int i = 0; i < count; i++) {
            double aw = average(r);
            double al = average(r);
            double refAw = r.nextBoolean() ? average(r) : clampAvg(aw + r.nextGaussian() * 0.05);
            double refAl = r.nextBoolean() ? average(r) : clampAvg(al + r.nextGaussian() * 0.05);
            b.add(aw, al, length(r), length(r), refAw, refAl);
        }
        return b.build();
    }

    private static double clampAvg(double v) {
        return Math.max(-20, Math.min(-1e-9, v));
    }

    /** Keeps the pairs whose entry in {@code keep} is true. */
    Points select(boolean[] keep) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < keep.length; i++) {
            if (keep[i]) {
                idx.add(i);
            }
        }
        return new Points(
                pick(sw, idx), pick(sl, idx), pick(nw, idx), pick(nl, idx), pick(rw, idx), pick(rl, idx), pick(mis, idx), pick(misRef, idx),
                pick(alignW, idx), pick(alignL, idx));
    }

    private static double[] pick(double[] x, List<Integer> idx) {
        if (x == null) {
            return null;
        }
        double[] out = new double[idx.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = x[idx.get(i)];
        }
        return out;
    }

    /** The points as float64 arrays; chosen and rejected sums optionally replaced. */
    PairLogps toLogps(NDManager m, NDArray chosen, NDArray rejected) {
        return toLogps(m, chosen, rejected, DataType.FLOAT64);
    }

    /** The points as arrays of the given floating dtype; chosen and rejected sums optionally replaced. */
    PairLogps toLogps(NDManager m, NDArray chosen, NDArray rejected, DataType type) {
        return new PairLogps(
                chosen == null ? array(m, sw, type) : chosen,
                rejected == null ? array(m, sl, type) : rejected,
                array(m, nw, type),
                array(m, nl, type),
                array(m, rw, type),
                array(m, rl, type),
                array(m, mis, type),
                array(m, misRef, type),
                array(m, alignW, type),
                array(m, alignL, type),
                array(m, divergence(0.05, 4), type),
                array(m, divergence(0.04, 5), type));
    }

    /** Aligned-position divergence sums for {@code dgpo-kl}: {@code c·min(n_w, n_l)·(1 + i mod period)} (positive, growing with the shared length). */
    private double[] divergence(double c, int period) {
        double[] out = new double[nw.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = c * Math.min(nw[i], nl[i]) * (1 + i % period);
        }
        return out;
    }

    private static NDArray array(NDManager m, double[] x, DataType type) {
        if (x == null) {
            return null;
        }
        NDArray a = m.create(x);
        return type == DataType.FLOAT64 ? a : a.toType(type, false);
    }
}

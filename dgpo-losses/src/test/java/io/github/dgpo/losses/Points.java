package io.github.dgpo.losses;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Test points: per pair {@code S_w, S_l, n_w, n_l, R_w, R_l} and KTO's mismatched sums, in
 * double precision.
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

    Points(double[] sw, double[] sl, double[] nw, double[] nl, double[] rw, double[] rl, double[] mis, double[] misRef) {
        this.sw = sw;
        this.sl = sl;
        this.nw = nw;
        this.nl = nl;
        this.rw = rw;
        this.rl = rl;
        this.mis = mis;
        this.misRef = misRef;
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
                pick(sw, idx), pick(sl, idx), pick(nw, idx), pick(nl, idx), pick(rw, idx), pick(rl, idx), pick(mis, idx), pick(misRef, idx));
    }

    private static double[] pick(double[] x, List<Integer> idx) {
        double[] out = new double[idx.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = x[idx.get(i)];
        }
        return out;
    }

    /** The points as float64 arrays; chosen and rejected sums optionally replaced. */
    PairLogps toLogps(NDManager m, NDArray chosen, NDArray rejected) {
        return new PairLogps(
                chosen == null ? m.create(sw) : chosen,
                rejected == null ? m.create(sl) : rejected,
                m.create(nw),
                m.create(nl),
                m.create(rw),
                m.create(rl),
                mis == null ? null : m.create(mis),
                misRef == null ? null : m.create(misRef),
                null,
                null,
                null,
                null);
    }
}

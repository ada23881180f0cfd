package io.github.dgpo.core.model;

/** Derives independent seeds from a seed and a position (SplitMix64's finaliser). */
final class Seeds {

    private Seeds() {}

    /**
     * Mixes a seed with further values.
     *
     * @param seed the seed
     * @param values the position (step, pass, layer, module...)
     * @return a well-spread 63-bit seed
     */
    static long mix(long seed, long... values) {
        long h = finalise(seed);
        for (long v : values) {
            h = finalise(h ^ (v + 0x9E3779B97F4A7C15L));
        }
        return h & Long.MAX_VALUE;
    }

    private static long finalise(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}

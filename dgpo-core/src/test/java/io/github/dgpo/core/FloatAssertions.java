package io.github.dgpo.core;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Closeness of float arrays relative to the expected array's largest magnitude. */
public final class FloatAssertions {

    private FloatAssertions() {}

    /**
     * Asserts {@code max |expected - actual| <= 1e-5 · max |expected|}, and that {@code expected}
     * is not all zeros (the comparison would prove nothing).
     *
     * @param what what is compared, for the message
     * @param expected the reference
     * @param actual the values under test
     */
    public static void assertClose(String what, float[] expected, float[] actual) {
        assertClose(what, expected, actual, 1e-5);
    }

    /**
     * Asserts {@code max |expected - actual| <= relative · max |expected|}, and that {@code
     * expected} is not all zeros.
     *
     * @param what what is compared, for the message
     * @param expected the reference
     * @param actual the values under test
     * @param relative the tolerance
     */
    public static void assertClose(String what, float[] expected, float[] actual, double relative) {
        assertTrue(expected.length == actual.length, what + ": " + expected.length + " vs " + actual.length + " values");
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(scale > 0, what + " is all zeros: the comparison would prove nothing");
        assertTrue(diff <= relative * scale, what + ": max difference " + diff + " vs scale " + scale);
    }
}

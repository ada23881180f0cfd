package io.github.dgpo.core.safetensors;

import java.util.Locale;

/**
 * The safetensors dtypes. All are recognised when validating a header; {@link #F32}, {@link
 * #F16} and {@link #BF16} can be read as float32 (the half types widened in Java, so BF16
 * never reaches the engine, where it aborts the JVM).
 */
public enum DType {
    /** IEEE float32. */
    F32(4, true),
    /** IEEE float16. */
    F16(2, true),
    /** bfloat16: the upper half of a float32. */
    BF16(2, true),
    /** float64. */
    F64(8, false),
    /** signed 64-bit. */
    I64(8, false),
    /** signed 32-bit. */
    I32(4, false),
    /** signed 16-bit. */
    I16(2, false),
    /** signed 8-bit. */
    I8(1, false),
    /** unsigned 8-bit. */
    U8(1, false),
    /** boolean, one byte. */
    BOOL(1, false),
    /** float8 e4m3. */
    F8_E4M3(1, false),
    /** float8 e5m2. */
    F8_E5M2(1, false);

    private final int size;
    private final boolean floatReadable;

    DType(int size, boolean floatReadable) {
        this.size = size;
        this.floatReadable = floatReadable;
    }

    /**
     * Returns the bytes per element.
     *
     * @return the element size
     */
    public int size() {
        return size;
    }

    /**
     * Returns whether tensors of this type can be loaded as float32.
     *
     * @return true for F32, F16, BF16
     */
    public boolean floatReadable() {
        return floatReadable;
    }

    /**
     * Parses a header dtype name.
     *
     * @param name the name in the header
     * @return the dtype, or null when unknown
     */
    public static DType parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /**
     * Widens an IEEE half to float.
     *
     * @param h the 16 bits
     * @return the float value
     */
    public static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            // zero or subnormal: mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * Widens a bfloat16 to float.
     *
     * @param b the 16 bits
     * @return the float value
     */
    public static float bf16ToFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }

    /**
     * Rounds a float to bfloat16, to nearest even (NaN stays NaN).
     *
     * @param f the value
     * @return the 16 bits
     */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int rounding = 0x7fff + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }
}

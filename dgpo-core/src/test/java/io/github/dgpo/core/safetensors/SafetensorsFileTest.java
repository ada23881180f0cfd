package io.github.dgpo.core.safetensors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every validation of a safetensors header, on files the test builds byte by byte. */
class SafetensorsFileTest {

    @TempDir
    Path dir;

    /** A file with the given header and data area. */
    static Path file(Path dir, String name, long headerLength, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(headerLength).put(h).put(data);
        Path p = dir.resolve(name);
        Files.write(p, b.array());
        return p;
    }

    static Path file(Path dir, String header, byte[] data) throws IOException {
        return file(dir, "t.safetensors", header.getBytes(StandardCharsets.UTF_8).length, header, data);
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    private void assertRejected(Path p, String message) {
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(message), "expected '" + message + "' in: " + e.getMessage());
    }

    @Test
    void readsF32F16AndBf16AsFloat() throws IOException {
        ByteBuffer half = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        half.putShort((short) 0x3c00).putShort((short) 0xc100).putShort((short) 0x7bff).putShort((short) 0x0001); // 1, -2.5, 65504, 2^-24
        ByteBuffer bf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        bf.putShort((short) 0x3f80).putShort((short) 0xc020); // 1, -2.5
        byte[] f32 = floats(0.5f, -7f);
        byte[] data = new byte[8 + 8 + 4];
        System.arraycopy(f32, 0, data, 0, 8);
        System.arraycopy(half.array(), 0, data, 8, 8);
        System.arraycopy(bf.array(), 0, data, 16, 4);
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[8,16]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[16,20]}}";
        try (SafetensorsFile f = SafetensorsFile.open(file(dir, header, data))) {
            assertEquals(List.of("a", "b", "c"), List.copyOf(f.tensors().keySet()));
            assertEquals("pt", f.metadata().get("format"));
            float[] out = new float[4];
            f.readFloats(f.tensors().get("a"), 0, out, 0, 2);
            assertArrayEquals(new float[] {0.5f, -7f}, new float[] {out[0], out[1]});
            f.readFloats(f.tensors().get("b"), 0, out, 0, 4);
            assertArrayEquals(new float[] {1f, -2.5f, 65504f, 0x1p-24f}, out);
            f.readFloats(f.tensors().get("c"), 1, out, 0, 1);
            assertEquals(-2.5f, out[0]);
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3f80, DType.floatToBf16(Float.intBitsToFloat(0x3f808000))); // tie, even stays
        assertEquals((short) 0x3f82, DType.floatToBf16(Float.intBitsToFloat(0x3f818000))); // tie, odd rounds up
        assertEquals((short) 0x3f81, DType.floatToBf16(Float.intBitsToFloat(0x3f808001))); // above half
        assertEquals((short) 0x7f80, DType.floatToBf16(Float.POSITIVE_INFINITY));
        assertTrue(Float.isNaN(DType.bf16ToFloat(DType.floatToBf16(Float.NaN))));
    }

    @Test
    void tooShortFile() throws IOException {
        Path p = dir.resolve("short.safetensors");
        Files.write(p, new byte[] {1, 2, 3});
        assertRejected(p, "shorter than the 8-byte header length");
    }

    @Test
    void hostileHeaderLengthIsRefusedWithoutAllocating() throws IOException {
        assertRejected(file(dir, "big.safetensors", 1L << 40, "{}", new byte[0]), "header length 1099511627776 is outside");
        assertRejected(file(dir, "neg.safetensors", -5, "{}", new byte[0]), "header length -5 is outside");
    }

    @Test
    void headerPastEndOfFile() throws IOException {
        assertRejected(file(dir, "trunc.safetensors", 500, "{}", new byte[0]), "runs past the end of the file");
    }

    @Test
    void malformedJson() throws IOException {
        assertRejected(file(dir, "{\"a\":{\"dtype\":", new byte[0]), "header is not valid JSON");
        assertRejected(file(dir, "[1,2]", new byte[0]), "header is not a JSON object");
    }

    @Test
    void unknownDtype() throws IOException {
        assertRejected(file(dir, "{\"w\":{\"dtype\":\"F31\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "tensor 'w' has unknown dtype 'F31'");
    }

    @Test
    void sizeMismatch() throws IOException {
        assertRejected(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", new byte[8]), "tensor 'w' spans 8 bytes but shape [3] x F32 needs 12");
    }

    @Test
    void rangePastTheData() throws IOException {
        assertRejected(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", new byte[8]), "tensor 'w' ends at byte 16 past the data area (8 bytes)");
    }

    @Test
    void overlappingRanges() throws IOException {
        assertRejected(file(dir, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]), "tensor 'b' overlaps tensor 'a'");
    }

    @Test
    void badOffsetsAndShapes() throws IOException {
        assertRejected(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", new byte[8]), "out of order");
        assertRejected(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]), "invalid dimension -1");
        assertRejected(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,4]}}", new byte[4]), "overflows");
        assertRejected(file(dir, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "invalid data_offsets");
    }

    @Test
    void nonFloatDtypeIsValidButNotLoadable() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(file(dir, "{\"i\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]))) {
            IOException e = assertThrows(IOException.class, () -> f.readFloats(f.tensors().get("i"), 0, new float[1], 0, 1));
            assertTrue(e.getMessage().contains("tensor 'i' has dtype I64, which cannot be loaded as float32"));
        }
    }
}

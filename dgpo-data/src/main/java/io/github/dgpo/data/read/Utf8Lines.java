package io.github.dgpo.data.read;

import io.github.dgpo.data.BadRowException;
import io.github.dgpo.data.DropReasons;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The lines of a UTF-8 stream, split on {@code \n} (a {@code \r} before it is dropped) and
 * decoded strictly, one line at a time: a line that is not valid UTF-8 is reported as a {@link
 * BadRowException} ({@value DropReasons#INVALID_UTF8}) and the next line reads normally, where a
 * {@code Reader} would have replaced the bytes with U+FFFD and kept the row. A byte-order mark
 * at the start of the stream is skipped.
 */
final class Utf8Lines {

    private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};

    private final InputStream in;
    private final byte[] buffer = new byte[1 << 16];
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private int position;
    private int limit;
    private byte[] line = new byte[1 << 12];
    private int length;
    private boolean first = true;

    Utf8Lines(InputStream in) {
        this.in = in;
    }

    /**
     * Reads the next line's bytes.
     *
     * @return false at the end of the stream
     * @throws IOException if the stream fails
     */
    boolean next() throws IOException {
        length = 0;
        boolean any = false;
        while (true) {
            if (position == limit) {
                limit = in.read(buffer, 0, buffer.length);
                position = 0;
                if (limit <= 0) {
                    limit = 0;
                    return any;
                }
            }
            any = true;
            int end = position;
            while (end < limit && buffer[end] != '\n') {
                end++;
            }
            append(position, end);
            boolean done = end < limit;
            position = done ? end + 1 : end;
            if (done) {
                return true;
            }
        }
    }

    private void append(int from, int to) {
        int n = to - from;
        if (length + n > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, length + n));
        }
        System.arraycopy(buffer, from, line, length, n);
        length += n;
    }

    /**
     * Decodes the line read by {@link #next()}.
     *
     * @return the text, without the line end (and without a leading byte-order mark on line 1)
     * @throws BadRowException if the bytes are not valid UTF-8, naming the first bad byte (1-based)
     */
    String text() {
        int start = 0;
        if (first) {
            first = false;
            if (length >= 3 && Arrays.equals(line, 0, 3, BOM, 0, 3)) {
                start = 3;
            }
        }
        int end = length > start && line[length - 1] == '\r' ? length - 1 : length;
        ByteBuffer src = ByteBuffer.wrap(line, start, end - start);
        CharBuffer out = CharBuffer.allocate(end - start);
        decoder.reset();
        CoderResult r = decoder.decode(src, out, true);
        if (!r.isError()) {
            r = decoder.flush(out);
        }
        if (r.isError()) {
            throw new BadRowException(DropReasons.INVALID_UTF8, "byte " + (src.position() + 1) + " is not valid UTF-8");
        }
        return out.flip().toString();
    }
}

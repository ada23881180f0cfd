package io.github.dgpo.data.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import io.github.dgpo.core.OfflineEngine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * A HuggingFace {@code tokenizer.json} through DJL's tokenizer, configured so it never
 * changes the text behind our back: DJL's default truncation to 512 tokens and its padding
 * are switched off, and special tokens are never added (BOS/EOS placement is the chat
 * template's and the tokenizer step's decision). A {@code tokenizer.json.gz} is accepted
 * (decompressed once per file version into the temporary folder), so large vocabularies can be
 * bundled.
 *
 * <p>Only token ids are fetched from the native tokenizer: DJL's {@code Encoding} makes about
 * nine JNI calls per text (tokens as strings, offsets, masks), which made tokenization four
 * times slower than it needs to be.
 */
public final class TextTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final Path source;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, Path source) {
        this.tokenizer = tokenizer;
        this.source = source;
    }

    /**
     * Loads the tokenizer of a folder.
     *
     * @param dir a folder with {@code tokenizer.json} or {@code tokenizer.json.gz}
     * @return the tokenizer; close it
     * @throws IOException if neither file exists or it cannot be read
     */
    public static TextTokenizer load(Path dir) throws IOException {
        OfflineEngine.configure();
        Path json = dir.resolve("tokenizer.json");
        Path gz = dir.resolve("tokenizer.json.gz");
        Path file;
        if (Files.exists(json)) {
            file = json;
        } else if (Files.exists(gz)) {
            file = decompressed(gz);
        } else {
            throw new NoSuchFileException(dir + ": no tokenizer.json or tokenizer.json.gz");
        }
        HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                .optTokenizerPath(file)
                .optAddSpecialTokens(false)
                .optTruncation(false)
                .optPadding(false)
                .build();
        return new TextTokenizer(t, dir);
    }

    /**
     * The decompressed copy of a {@code tokenizer.json.gz}, made once per file version in the
     * temporary folder (keyed by path, size and modification time) and written atomically, so
     * repeated loads do not decompress again.
     */
    private static Path decompressed(Path gz) throws IOException {
        String key = gz.toAbsolutePath().normalize() + "|" + Files.size(gz) + "|" + Files.getLastModifiedTime(gz).toMillis();
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "dgpo-tokenizer-" + Integer.toHexString(key.hashCode()) + "-" + Files.size(gz) + ".json");
        if (Files.exists(file)) {
            return file;
        }
        Path tmp = Files.createTempFile(file.getParent(), "dgpo-tokenizer", ".part");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(gz)); OutputStream out = Files.newOutputStream(tmp)) {
            in.transferTo(out);
            out.close();
            Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }

    /**
     * Returns whether a folder has a tokenizer.
     *
     * @param dir the folder
     * @return true when {@code tokenizer.json} or {@code tokenizer.json.gz} exists
     */
    public static boolean exists(Path dir) {
        return Files.exists(dir.resolve("tokenizer.json")) || Files.exists(dir.resolve("tokenizer.json.gz"));
    }

    /**
     * Tokenizes text without adding special tokens (special tokens written in the text, such
     * as {@code <|im_start|>}, are recognised).
     *
     * @param text the text
     * @return token ids
     */
    public long[] encode(String text) {
        long encoding = TokenizersLibrary.LIB.encode(tokenizer.getHandle(), text, false);
        try {
            return TokenizersLibrary.LIB.getTokenIds(encoding);
        } finally {
            TokenizersLibrary.LIB.deleteEncoding(encoding);
        }
    }

    /**
     * Tokenizes many texts in one call (parallel in the native tokenizer), like {@link
     * #encode(String)} for each.
     *
     * @param texts the texts
     * @return token ids per text
     */
    public long[][] encodeAll(java.util.List<String> texts) {
        if (texts.isEmpty()) {
            return new long[0][];
        }
        long[] encodings = TokenizersLibrary.LIB.batchEncode(tokenizer.getHandle(), texts.toArray(new String[0]), false);
        long[][] out = new long[encodings.length][];
        for (int i = 0; i < encodings.length; i++) {
            out[i] = TokenizersLibrary.LIB.getTokenIds(encodings[i]);
            TokenizersLibrary.LIB.deleteEncoding(encodings[i]);
        }
        return out;
    }

    /**
     * Decodes ids to text.
     *
     * @param ids token ids
     * @param skipSpecialTokens whether to drop special tokens
     * @return the text
     */
    public String decode(long[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    /**
     * Returns the folder the tokenizer came from.
     *
     * @return the folder
     */
    public Path source() {
        return source;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}

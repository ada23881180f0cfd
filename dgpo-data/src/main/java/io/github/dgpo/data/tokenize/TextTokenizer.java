package io.github.dgpo.data.tokenize;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import io.github.dgpo.core.OfflineEngine;
import io.github.dgpo.core.util.Hashes;
import io.github.dgpo.core.util.InputFiles;
import io.github.dgpo.core.util.UserCache;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.LoggerFactory;

/**
 * A HuggingFace {@code tokenizer.json} through DJL's tokenizer, configured so it never
 * changes the text behind our back: DJL's default truncation to 512 tokens and its padding
 * are switched off, and special tokens are never added (BOS/EOS placement is the chat
 * template's and the tokenizer step's decision). A {@code tokenizer.json.gz} is accepted, so
 * large vocabularies can be bundled: it is decompressed once into the user's cache folder
 * ({@link UserCache}, sub-folder {@code tokenizers}), under a name made of the SHA-256 of the
 * compressed and of the decompressed bytes, written atomically and owner-only, and hashed again
 * before every use, so a damaged or altered copy is replaced, never loaded.
 *
 * <p>Only regular files are read ({@code tokenizer.json} at most {@link
 * InputFiles#MAX_TOKENIZER_BYTES}, also the limit for what a {@code .gz} may decompress to),
 * and a file the native tokenizer cannot
 * parse fails naming the file and position, never quoting it.
 *
 * <p>Only token ids are fetched from the native tokenizer: DJL's {@code Encoding} makes about
 * nine JNI calls per text (tokens as strings, offsets, masks), which made tokenization four
 * times slower than it needs to be.
 */
public final class TextTokenizer implements AutoCloseable {

    private static final long MAX_BYTES = InputFiles.MAX_TOKENIZER_BYTES;
    private static final Pattern POSITION = Pattern.compile("line (\\d+),? column (\\d+)");

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
        Path given;
        Path file;
        if (Files.exists(json, LinkOption.NOFOLLOW_LINKS)) {
            given = json;
            file = json;
            if (Files.size(InputFiles.requireRegularFile(json)) > MAX_BYTES) {
                throw new IOException(json + ": is larger than the " + (MAX_BYTES >> 20) + " MiB a tokenizer.json may be");
            }
        } else if (Files.exists(gz, LinkOption.NOFOLLOW_LINKS)) {
            given = gz;
            file = decompressed(gz);
        } else {
            throw new NoSuchFileException(dir + ": no tokenizer.json or tokenizer.json.gz");
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
            return new TextTokenizer(t, dir);
        } catch (RuntimeException e) {
            // the native parser's messages may quote the file: keep only the position
            Matcher m = POSITION.matcher(String.valueOf(e.getMessage()));
            throw new IOException(given + ": not a valid tokenizer" + (m.find() ? " (error at line " + m.group(1) + ", column " + m.group(2) + ")" : "")
                    + "; it must be the tokenizer.json of a HuggingFace tokenizers (fast) tokenizer", e);
        }
    }

    /**
     * The verified decompressed copy of a {@code tokenizer.json.gz} in the user's cache,
     * made if absent or not matching its hash.
     */
    private static Path decompressed(Path gz) throws IOException {
        byte[] compressed = InputFiles.readBounded(gz, MAX_BYTES, "a tokenizer.json.gz");
        String packed = Hashes.sha256(compressed);
        Path dir = UserCache.folder("tokenizers");
        String prefix = "tokenizer-" + packed + "-";
        try (DirectoryStream<Path> found = Files.newDirectoryStream(dir, prefix + "*.json")) {
            for (Path p : found) {
                String expected = p.getFileName().toString().substring(prefix.length()).replace(".json", "");
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS) && expected.equals(Hashes.sha256(InputFiles.readBounded(p, MAX_BYTES, "a tokenizer.json")))) {
                    return p;
                }
                LoggerFactory.getLogger(TextTokenizer.class).warn("{}: does not match its hash; replacing it", p);
                Files.deleteIfExists(p);
            }
        }
        Path tmp = Files.createTempFile(dir, "tokenizer-", ".part");
        try {
            MessageDigest digest = Hashes.newSha256();
            try (InputStream in = InputFiles.gunzip(new ByteArrayInputStream(compressed), gz); OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), digest)) {
                InputFiles.copyBounded(in, out, MAX_BYTES, gz.toString());
            }
            Path file = dir.resolve(prefix + Hashes.hex(digest.digest()) + ".json");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Returns whether a folder has a tokenizer.
     *
     * @param dir the folder
     * @return true when {@code tokenizer.json} or {@code tokenizer.json.gz} exists
     */
    public static boolean exists(Path dir) {
        // a link counts, even a broken one, so that loading it gives its own error
        return Files.exists(dir.resolve("tokenizer.json"), LinkOption.NOFOLLOW_LINKS) || Files.exists(dir.resolve("tokenizer.json.gz"), LinkOption.NOFOLLOW_LINKS);
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

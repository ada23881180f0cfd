package io.github.dgpo.core.util;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests as lowercase hex, for content-addressed cache files. */
public final class Hashes {

    private Hashes() {}

    /**
     * A fresh SHA-256 digest.
     *
     * @return the digest
     */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /**
     * The SHA-256 of some bytes.
     *
     * @param bytes the bytes
     * @return 64 hex digits
     */
    public static String sha256(byte[] bytes) {
        return hex(newSha256().digest(bytes));
    }

    /**
     * Lowercase hex of a digest.
     *
     * @param digest the bytes
     * @return the hex text
     */
    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }
}

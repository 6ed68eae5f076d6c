package io.switchboard.gateway.tenancy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Makes and recognises API keys. A key is {@code sk-sb-} followed by 256 random bits (base64url, 43 characters);
 * only its SHA-256 is kept (a key of 256 random bits needs no slow hash: nothing can be guessed), and only its
 * first {@value #PREFIX_LENGTH} characters are ever shown again.
 */
public final class ApiKeys {
    public static final String KEY_PREFIX = "sk-sb-";
    public static final int PREFIX_LENGTH = 12;
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final HexFormat HEX = HexFormat.of();

    private ApiKeys() {
    }

    /** A new key: shown once to whoever asked for it, then forgotten. */
    public static String newKey() {
        byte[] bits = new byte[32];
        RANDOM.nextBytes(bits);
        return KEY_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
    }

    /** A new key id ({@code key_} + 96 random bits, hex): safe to log and to put in usage records. */
    public static String newKeyId() {
        byte[] bits = new byte[12];
        RANDOM.nextBytes(bits);
        return "key_" + HEX.formatHex(bits);
    }

    /** Lower-case hex SHA-256 of the key's UTF-8 bytes (what {@code printf %s "$KEY" | sha256sum} prints). */
    public static String sha256(String key) {
        return HEX.formatHex(digest(key));
    }

    public static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** Compares two hashes in time independent of where they differ. */
    public static boolean sameHash(byte[] a, byte[] b) {
        return MessageDigest.isEqual(a, b);
    }

    public static byte[] parseHex(String sha256) {
        return HEX.parseHex(sha256);
    }

    public static String prefixOf(String key) {
        return key.substring(0, Math.min(PREFIX_LENGTH, key.length()));
    }
}

package io.switchboard.gateway.redis;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.redis.datasource.RedisDataSource;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.redis.client.Command;
import io.vertx.mutiny.redis.client.Response;

/**
 * A Lua script run atomically in Redis: sent by its SHA-1 ({@code EVALSHA}), and in full only when the server does
 * not know it yet ({@code NOSCRIPT}: first use, or after a Redis restart). Every key it touches is passed as a key,
 * so it also runs on Redis Cluster when the keys share a hash tag.
 */
public final class LuaScript {
    private final String source;
    private final String sha;

    public LuaScript(String source) {
        this.source = source;
        this.sha = sha1(source);
    }

    public Uni<Response> run(ReactiveRedisDataSource redis, List<String> keys, List<String> args) {
        return redis.execute(Command.EVALSHA, arguments(sha, keys, args))
                .onFailure(LuaScript::unknownScript)
                .recoverWithUni(() -> redis.execute(Command.EVAL, arguments(source, keys, args)));
    }

    public Response runBlocking(RedisDataSource redis, List<String> keys, List<String> args) {
        try {
            return redis.execute(Command.EVALSHA, arguments(sha, keys, args));
        } catch (RuntimeException e) {
            if (!unknownScript(e)) {
                throw e;
            }
            return redis.execute(Command.EVAL, arguments(source, keys, args));
        }
    }

    private static boolean unknownScript(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c.getMessage() != null && c.getMessage().contains("NOSCRIPT")) {
                return true;
            }
        }
        return false;
    }

    private static String[] arguments(String script, List<String> keys, List<String> args) {
        List<String> all = new ArrayList<>(keys.size() + args.size() + 2);
        all.add(script);
        all.add(String.valueOf(keys.size()));
        all.addAll(keys);
        all.addAll(args);
        return all.toArray(String[]::new);
    }

    private static String sha1(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

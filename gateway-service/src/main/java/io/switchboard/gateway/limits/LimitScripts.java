package io.switchboard.gateway.limits;

import io.switchboard.gateway.redis.LuaScript;

/**
 * The Lua scripts behind tenant limits: one call admits a request against every limit of its tenant and key at
 * once (so any number of gateway replicas count exactly), and one call settles it when its usage is known.
 * <p>
 * Each limit scope (the tenant, and the key when it has limits of its own) has six keys, in this order:
 * {@code requests} (sliding-window log: member job id, score admission time), {@code tokens} (sliding-window log
 * of reserved tokens: member {@code jobId|tokens}), {@code tokens:sum} (their running sum), {@code concurrent}
 * (running jobs, scored by deadline, so a lost release lapses at the deadline), {@code day:yyyymmdd} and
 * {@code month:yyyymm} (budget counters: reserved plus used). A limit of -1 is unlimited and its keys are untouched.
 */
final class LimitScripts {
    private LimitScripts() {
    }

    static final int KEYS_PER_SCOPE = 6;

    private static final String AMOUNT = """
            local function amount(member)
              local sep = string.find(member, '|', 1, true)
              return tonumber(string.sub(member, sep + 1))
            end
            """;

    /**
     * KEYS: 6 per scope, then the job's reservation hash. ARGV: job, cost, deadline, window, ms to the end of the UTC
     * day, ms to the end of the UTC month, ttl of the reservation and of the concurrency set, then per scope:
     * requests/min, tokens/min, concurrent, tokens/day, tokens/month (-1: unlimited). Time is Redis's own clock, so
     * the windows of every gateway replica agree whatever their clocks say.
     * Returns {admitted 0|1, refused limit or '', retry after ms, then per scope: requests limit, remaining, reset ms,
     * tokens limit, remaining, reset ms} (remaining after this request when admitted).
     */
    static final LuaScript ADMIT = new LuaScript(AMOUNT + """
            local clock = redis.call('TIME')
            local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
            local job, cost = ARGV[1], tonumber(ARGV[2])
            local deadline, win = tonumber(ARGV[3]), tonumber(ARGV[4])
            local dayLeft, monthLeft, ttl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
            local n = (#KEYS - 1) / 6
            local since = now - win
            local refused, retry = '', -1
            local function refuse(limit, after)
              if after > retry then refused, retry = limit, after end
            end
            local state = {}
            for s = 0, n - 1 do
              local k, a = s * 6, 8 + s * 5
              local rpm, tpm, conc = tonumber(ARGV[a]), tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
              local day, month = tonumber(ARGV[a + 3]), tonumber(ARGV[a + 4])
              local st = {rpm = rpm, tpm = tpm, count = 0, used = 0, rreset = 0, treset = 0}
              if rpm >= 0 then
                redis.call('ZREMRANGEBYSCORE', KEYS[k + 1], '-inf', since)
                st.count = redis.call('ZCARD', KEYS[k + 1])
                if st.count >= rpm then
                  -- the request fits once all but rpm - 1 of the counted ones have left the window
                  local freeing = redis.call('ZRANGE', KEYS[k + 1], st.count - rpm, st.count - rpm, 'WITHSCORES')
                  refuse('requests_per_minute', freeing[2] and (tonumber(freeing[2]) + win - now) or win)
                end
              end
              if tpm >= 0 then
                local expired = redis.call('ZRANGEBYSCORE', KEYS[k + 2], '-inf', since)
                if #expired > 0 then
                  local freed = 0
                  for _, m in ipairs(expired) do freed = freed + amount(m) end
                  redis.call('ZREMRANGEBYSCORE', KEYS[k + 2], '-inf', since)
                  redis.call('DECRBY', KEYS[k + 3], freed)
                end
              end
              -- the tokens' running sum and both budgets in one call, when any of the three limits is set
              local counted = {0, 0, 0}
              if tpm >= 0 or day >= 0 or month >= 0 then
                local v = redis.call('MGET', KEYS[k + 3], KEYS[k + 5], KEYS[k + 6])
                for i = 1, 3 do counted[i] = tonumber(v[i] or '0') end
              end
              if tpm >= 0 then
                st.used = counted[1]
                if st.used + cost > tpm then
                  if cost > tpm then
                    refuse('tokens_per_minute', win)
                  else
                    local need, freed = st.used + cost - tpm, 0
                    local entries = redis.call('ZRANGE', KEYS[k + 2], 0, -1, 'WITHSCORES')
                    for i = 1, #entries, 2 do
                      freed = freed + amount(entries[i])
                      if freed >= need then refuse('tokens_per_minute', tonumber(entries[i + 1]) + win - now) break end
                    end
                  end
                end
              end
              if conc >= 0 then
                redis.call('ZREMRANGEBYSCORE', KEYS[k + 4], '-inf', now)
                if redis.call('ZCARD', KEYS[k + 4]) >= conc then refuse('max_concurrent_requests', 1000) end
              end
              if day >= 0 and counted[2] + cost > day then
                refuse('tokens_per_day', dayLeft)
              end
              if month >= 0 and counted[3] + cost > month then
                refuse('tokens_per_month', monthLeft)
              end
              state[s] = st
            end
            local admitted = refused == '' and 1 or 0
            local out = {admitted, refused, retry}
            local reservation = {'cost', cost, 'at', now, 'scopes', n}
            for s = 0, n - 1 do
              local k, a = s * 6, 8 + s * 5
              local st = state[s]
              local flags = ''
              if admitted == 1 then
                if st.rpm >= 0 then
                  redis.call('ZADD', KEYS[k + 1], now, job)
                  redis.call('PEXPIRE', KEYS[k + 1], win)
                  st.count, st.rreset, flags = st.count + 1, win, flags .. 'r'
                end
                if st.tpm >= 0 then
                  redis.call('ZADD', KEYS[k + 2], now, job .. '|' .. cost)
                  redis.call('INCRBY', KEYS[k + 3], cost)
                  redis.call('PEXPIRE', KEYS[k + 2], win)
                  redis.call('PEXPIRE', KEYS[k + 3], win)
                  st.used, st.treset, flags = st.used + cost, win, flags .. 't'
                end
                if tonumber(ARGV[a + 2]) >= 0 then
                  redis.call('ZADD', KEYS[k + 4], deadline, job)
                  redis.call('PEXPIRE', KEYS[k + 4], ttl)
                  flags = flags .. 'c'
                end
                -- a budget counter gets its expiry when this request creates it (no other writer creates one)
                if tonumber(ARGV[a + 3]) >= 0 then
                  if redis.call('INCRBY', KEYS[k + 5], cost) == cost then
                    redis.call('PEXPIRE', KEYS[k + 5], dayLeft + 86400000)
                  end
                  flags = flags .. 'd'
                end
                if tonumber(ARGV[a + 4]) >= 0 then
                  if redis.call('INCRBY', KEYS[k + 6], cost) == cost then
                    redis.call('PEXPIRE', KEYS[k + 6], monthLeft + 86400000)
                  end
                  flags = flags .. 'm'
                end
                table.insert(reservation, 's' .. s)
                table.insert(reservation, flags)
              else
                -- refused: each window resets when its newest entry leaves it (admitted: this request is the newest)
                if st.rpm >= 0 then
                  local newest = redis.call('ZRANGE', KEYS[k + 1], -1, -1, 'WITHSCORES')
                  if newest[2] then st.rreset = tonumber(newest[2]) + win - now end
                end
                if st.tpm >= 0 then
                  local newest = redis.call('ZRANGE', KEYS[k + 2], -1, -1, 'WITHSCORES')
                  if newest[2] then st.treset = tonumber(newest[2]) + win - now end
                end
              end
              table.insert(out, st.rpm)
              table.insert(out, st.rpm >= 0 and math.max(0, st.rpm - st.count) or -1)
              table.insert(out, st.rreset)
              table.insert(out, st.tpm)
              table.insert(out, st.tpm >= 0 and math.max(0, st.tpm - st.used) or -1)
              table.insert(out, st.treset)
            end
            if admitted == 1 then
              redis.call('HSET', KEYS[#KEYS], unpack(reservation))
              redis.call('PEXPIRE', KEYS[#KEYS], ttl)
            end
            return out
            """);

    /**
     * Replaces a job's reservation by what it really used (ARGV[2] = actual tokens), or undoes what {@link #ADMIT}
     * counted for a job whose publish failed (ARGV[2] = "refund"). A publish that timed out may still have reached
     * Kafka, so a refund keeps the reservation at 0 tokens for the budgets: if the job runs after all, its usage
     * record adds what it used. Idempotent: the first settle deletes the reservation. KEYS: the reservation hash,
     * then 6 per scope. ARGV: job, actual tokens or "refund". Returns 1 when a reservation was settled, 0 when there
     * was none.
     */
    static final LuaScript SETTLE = new LuaScript("""
            local fields = redis.call('HGETALL', KEYS[1])
            if #fields == 0 then return 0 end
            local r = {}
            for i = 1, #fields, 2 do r[fields[i]] = fields[i + 1] end
            local job, cost = ARGV[1], tonumber(r.cost)
            local refund = ARGV[2] == 'refund'
            local actual = refund and 0 or tonumber(ARGV[2])
            local delta = actual - cost
            for s = 0, tonumber(r.scopes) - 1 do
              local k = 1 + s * 6
              local flags = r['s' .. s] or ''
              if refund and string.find(flags, 'r', 1, true) then redis.call('ZREM', KEYS[k + 1], job) end
              if string.find(flags, 't', 1, true) then
                local member = job .. '|' .. cost
                local score = redis.call('ZSCORE', KEYS[k + 2], member)
                if score then
                  redis.call('ZREM', KEYS[k + 2], member)
                  if not refund then redis.call('ZADD', KEYS[k + 2], score, job .. '|' .. actual) end
                  redis.call('INCRBY', KEYS[k + 3], delta)
                end
              end
              if string.find(flags, 'c', 1, true) then redis.call('ZREM', KEYS[k + 4], job) end
              if string.find(flags, 'd', 1, true) and redis.call('EXISTS', KEYS[k + 5]) == 1 then
                redis.call('INCRBY', KEYS[k + 5], delta)
              end
              if string.find(flags, 'm', 1, true) and redis.call('EXISTS', KEYS[k + 6]) == 1 then
                redis.call('INCRBY', KEYS[k + 6], delta)
              end
            end
            if refund then
              local kept = {'cost', 0}
              for s = 0, tonumber(r.scopes) - 1 do
                local flags = r['s' .. s] or ''
                table.insert(kept, 's' .. s)
                table.insert(kept, (string.find(flags, 'd', 1, true) and 'd' or '') .. (string.find(flags, 'm', 1, true) and 'm' or ''))
              end
              redis.call('HSET', KEYS[1], unpack(kept))
            else
              redis.call('DEL', KEYS[1])
            end
            return 1
            """);
}

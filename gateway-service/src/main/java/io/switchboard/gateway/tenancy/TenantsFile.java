package io.switchboard.gateway.tenancy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.validation.ConstraintViolation;
import jakarta.validation.Validator;

import com.fasterxml.jackson.databind.DeserializationFeature;

import io.switchboard.gateway.error.BeanViolations;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

/**
 * The declarative tenants file (YAML; on Kubernetes a ConfigMap), which lets platform teams keep tenants in git.
 * Its keys are given by hash only. Parsing is all or nothing: a file with any error is refused whole, with every
 * error named.
 *
 * <pre>
 * tenants:
 *   - id: team-a
 *     name: Team A
 *     class: standard          # critical | standard | batch
 *     weight: 2
 *     models: [llama-3-8b]     # omit for all models
 *     limits: {requests_per_minute: 600, tokens_per_minute: 200000, max_concurrent_requests: 32,
 *              tokens_per_day: 5000000, tokens_per_month: 100000000, max_tokens: 4096}
 *     keys:
 *       - id: key_team_a_ci
 *         sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
 *         prefix: sk-sb-AbCdEf
 *         limits: {requests_per_minute: 60}
 * </pre>
 */
public final class TenantsFile {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** The file's top level. */
    public record Content(List<TenantSpec> tenants) {
    }

    /** What the file declares: tenants (source {@code file}) and their keys. */
    public record Declared(List<Tenant> tenants, List<ApiKey> keys) {
        public static final Declared NONE = new Declared(List.of(), List.of());
    }

    private TenantsFile() {
    }

    public static Declared read(Path file, Validator validator) throws IOException {
        return parse(Files.readString(file), Files.getLastModifiedTime(file).toMillis() / 1000, validator);
    }

    /** Parses and checks the whole file; throws {@link IllegalArgumentException} naming every problem. */
    public static Declared parse(String yaml, long createdAtSec, Validator validator) {
        Content content;
        try {
            content = YAML.readValue(yaml, Content.class);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("the tenants file is not valid: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ")"));
        }
        List<String> errors = new ArrayList<>();
        List<Tenant> tenants = new ArrayList<>();
        List<ApiKey> keys = new ArrayList<>();
        Set<String> tenantIds = new HashSet<>();
        Set<String> keyIds = new HashSet<>();
        Set<String> hashes = new HashSet<>();
        List<TenantSpec> specs = content == null || content.tenants() == null ? List.of() : content.tenants();
        for (int i = 0; i < specs.size(); i++) {
            TenantSpec spec = specs.get(i);
            String at = "tenants[" + i + "]";
            if (spec == null) {
                errors.add(at + ": empty entry");
                continue;
            }
            Set<ConstraintViolation<TenantSpec>> violations = validator.validate(spec);
            if (!violations.isEmpty()) {
                violations.stream().map(v -> at + "." + BeanViolations.param(v.getPropertyPath()) + ": " + v.getMessage()).sorted().forEach(errors::add);
                continue;
            }
            if (!tenantIds.add(spec.id())) {
                errors.add(at + ".id: tenant '" + spec.id() + "' is declared twice");
                continue;
            }
            Tenant tenant = spec.toTenant(Tenant.SOURCE_FILE, createdAtSec);
            tenants.add(tenant);
            List<KeySpec> keySpecs = spec.keys() == null ? List.of() : spec.keys();
            for (int k = 0; k < keySpecs.size(); k++) {
                KeySpec key = keySpecs.get(k);
                String kat = at + ".keys[" + k + "]";
                if (key.id() == null || key.sha256() == null) {
                    errors.add(kat + ": a key in the tenants file needs its id and sha256");
                    continue;
                }
                if (!keyIds.add(key.id()) || !hashes.add(key.sha256())) {
                    errors.add(kat + ": key '" + key.id() + "' (or its hash) is declared twice");
                    continue;
                }
                String widened = Narrowing.violation(tenant, key.models(), key.limits());
                if (widened != null) {
                    errors.add(kat + "." + widened);
                    continue;
                }
                keys.add(new ApiKey(key.id(), tenant.id(), key.name(), key.prefix(), key.sha256(), key.models(),
                        key.limits(), createdAtSec, key.expiresAt(), null, Tenant.SOURCE_FILE));
            }
        }
        if (!errors.isEmpty()) {
            throw new IllegalArgumentException("the tenants file is not valid: " + errors.stream().collect(Collectors.joining("; ")));
        }
        return new Declared(List.copyOf(tenants), List.copyOf(keys));
    }
}

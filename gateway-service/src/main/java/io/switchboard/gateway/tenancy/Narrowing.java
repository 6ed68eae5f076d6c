package io.switchboard.gateway.tenancy;

import java.util.List;

/** The rule that a key narrows, never widens, its tenant: its models are the tenant's or fewer, its limits no larger. */
public final class Narrowing {
    private Narrowing() {
    }

    /** What a key breaks, as {@code param: message}; null when it only narrows. */
    public static String violation(Tenant tenant, List<String> keyModels, Limits keyLimits) {
        if (tenant.models() != null && keyModels != null) {
            for (String m : keyModels) {
                if (!tenant.models().contains(m)) {
                    return "models: the key names model '" + m + "', which its tenant '" + tenant.id() + "' may not use";
                }
            }
        }
        String widened = tenant.limits().firstWidenedBy(keyLimits);
        if (widened != null) {
            return "limits." + widened + ": a key can narrow its tenant's limits, never widen them";
        }
        return null;
    }
}

package io.switchboard.gateway.job;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import io.smallrye.mutiny.Uni;
import io.switchboard.gateway.GatewayConfig;
import io.switchboard.gateway.auth.Caller;
import io.switchboard.gateway.error.ApiException;
import io.switchboard.gateway.metrics.ReliabilityMetrics;
import io.switchboard.gateway.stream.CompletionHeader;
import io.switchboard.gateway.stream.ReaderLeases;
import io.switchboard.gateway.stream.StreamedEvent;
import io.switchboard.gateway.stream.StreamMultiplexer;
import io.switchboard.gateway.stream.TokenStreamReader;
import io.switchboard.schema.event.TokenEvent;

/**
 * {@code GET /v1/chat/completions/{id}/stream}: finds what a resumed stream needs, on any gateway replica, from the
 * job's meta hash. Only the tenant that made the request may resume it; another tenant's id, an unknown id and an
 * expired one are all answered 404, alike. {@code Last-Event-ID} is the id of the last SSE event the client has
 * (absent: from the start, role chunk included); the stream goes on with the entry after it.
 */
@ApplicationScoped
public class ResumeService {
    private static final Pattern JOB_ID = Pattern.compile("chatcmpl-[A-Za-z0-9_-]{1,100}");
    private static final Pattern ENTRY_ID = Pattern.compile("\\d{1,20}-\\d{1,20}");

    private final JobMetaStore meta;
    private final TokenStreamReader reader;
    private final ReaderLeases leases;
    private final ReliabilityMetrics metrics;
    private final String fingerprint;

    @Inject
    public ResumeService(JobMetaStore meta, TokenStreamReader reader, ReaderLeases leases, ReliabilityMetrics metrics,
            GatewayConfig config) {
        this.meta = meta;
        this.reader = reader;
        this.leases = leases;
        this.metrics = metrics;
        this.fingerprint = config.systemFingerprint();
    }

    /**
     * A stream to resume: its chunks' header, where to go on from ({@code after}; {@code fromStart} when the client
     * sent no Last-Event-ID), how long to wait, and what the client already has ({@code soFar}). {@code lease} holds
     * the job's reader key (null when the client has everything but {@code [DONE]}).
     */
    public record Resumption(String jobId, String tenantId, CompletionHeader header, boolean includeUsage, String after,
            boolean fromStart, long deadlineMs, SoFar soFar, ReaderLeases.Lease lease) {
    }

    /**
     * What a client that resumes after an entry already has: the provider the stream named (null: none yet), the
     * choices that ended with their finish reasons (their finish chunks were sent), and whether that entry was the
     * terminal one (it has everything but {@code [DONE]}).
     */
    public record SoFar(String provider, Map<Integer, String> endedChoices, boolean done) {
        static final SoFar NOTHING = new SoFar(null, Map.of(), false);

        static SoFar of(List<StreamedEvent> events, String after) {
            String provider = null;
            Map<Integer, String> ended = new HashMap<>();
            for (StreamedEvent e : events) {
                provider = provider != null ? provider : e.event().provider();
                if (e.event() instanceof TokenEvent.ChoiceEnd end) {
                    ended.putIfAbsent(end.index(), end.finishReason());
                }
            }
            StreamedEvent last = events.isEmpty() ? null : events.get(events.size() - 1);
            boolean done = last != null && last.id().equals(after) && last.event().terminal();
            return new SoFar(provider, Map.copyOf(ended), done);
        }
    }

    public Uni<Resumption> resume(Caller caller, String completionId, String lastEventId) {
        if (lastEventId != null && !(ENTRY_ID.matcher(lastEventId).matches() && StreamMultiplexer.validId(lastEventId))) {
            metrics.resume("invalid");
            throw ApiException.invalid(null, "invalid_value",
                    "Invalid 'Last-Event-ID' header: expected the id of an event of this stream, such as 1712345678901-0.");
        }
        if (completionId == null || !JOB_ID.matcher(completionId).matches()) {
            throw notFound(null);
        }
        String after = lastEventId == null ? TokenStreamReader.START : lastEventId;
        return meta.read(completionId).chain(m -> {
            if (m == null || !m.tenant().equals(caller.tenantId())) {
                return Uni.createFrom().failure(notFound(completionId));
            }
            CompletionHeader header = new CompletionHeader(completionId, m.createdSec(), m.model(), fingerprint, m.n(),
                    m.logprobs());
            return soFar(completionId, after).chain(soFar -> {
                if (soFar.done()) {
                    metrics.resume("done");
                    return Uni.createFrom().item(new Resumption(completionId, m.tenant(), header, m.includeUsage(), after,
                            lastEventId == null, m.deadlineMs(), soFar, null));
                }
                return expired(completionId, m.deadlineMs()).chain(gone -> gone
                        ? Uni.createFrom().failure(notFound(completionId))
                        : leases.touchAndHold(completionId).invoke(() -> metrics.resume("resumed"))
                                .map(lease -> new Resumption(completionId, m.tenant(), header, m.includeUsage(), after,
                                        lastEventId == null, m.deadlineMs(), soFar, lease)));
            });
        });
    }

    /** What the client has when it resumes after {@code after}: the stream's entries up to it. */
    private Uni<SoFar> soFar(String jobId, String after) {
        if (after.equals(TokenStreamReader.START)) {
            return Uni.createFrom().item(SoFar.NOTHING);
        }
        return reader.upTo(jobId, after).map(events -> SoFar.of(events, after))
                .onFailure().recoverWithItem(SoFar.NOTHING); // unreadable now: the relay's own reads report it
    }

    /** Past its deadline with its stream gone, nothing is left to resume. */
    private Uni<Boolean> expired(String jobId, long deadlineMs) {
        if (System.currentTimeMillis() < deadlineMs) {
            return Uni.createFrom().item(false);
        }
        return reader.exists(jobId).map(exists -> !exists);
    }

    private ApiException notFound(String completionId) {
        metrics.resume("not_found");
        return new ApiException(404, "invalid_request_error", null, "not_found",
                completionId == null ? "No chat completion with that id to resume."
                        : "No chat completion with id '" + completionId + "' to resume.");
    }
}

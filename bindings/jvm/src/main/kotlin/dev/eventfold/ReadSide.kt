package dev.eventfold

// The results of the read side's calls on [Engine], typed. Status words
// (`mode`, `status`) stay strings, as the core writes them, so a newer
// core's word reads instead of failing.

/** What an async projection does with an event its handler fails on ([EngineOptions.onProjectionError]). */
enum class OnProjectionError(internal val wire: String) {
    /** The projection stops at that event, with its error in [Engine.projections]; the others go on. */
    STOP("stop"),

    /** The event is kept aside ([Engine.parked] of the projection) and the projection goes on. */
    PARK("park"),
}

/** One projection, as [Engine.projections] lists it. */
data class ProjectionInfo(
    val name: String,
    /** `inline` or `async`. */
    val mode: String,
    /** `live`, `rebuilding` or `stopped` (then [error] says why). */
    val status: String,
    /** The global position it has folded up to. */
    val position: Long,
    /** Events stored after [position]: how far behind it is. */
    val lag: Long,
    /** Events it parked ([OnProjectionError.PARK]). */
    val parked: Long,
    val error: ProjectionError?,
    /** While [status] is `rebuilding`: how far the shadow tables are. */
    val rebuild: RebuildProgress?,
) {
    internal companion object {
        @Suppress("UNCHECKED_CAST")
        fun from(m: Map<String, Any?>) =
            ProjectionInfo(
                m.string("name"), m.string("mode"), m.string("status"), m.long("position"), m.long("lag"), m.long("parked"),
                (m["error"] as Map<String, Any?>?)?.let { ProjectionError(it.string("code"), it.string("message"), it.long("position")) },
                (m["rebuild"] as Map<String, Any?>?)?.let { RebuildProgress(it.long("position"), it.long("head")) },
            )
    }
}

/** Why a projection stopped: the error's [code] and [message], at the event at [position]. */
data class ProjectionError(val code: String, val message: String, val position: Long)

/** A rebuild under way: the shadow tables have folded up to [position], of [head]. */
data class RebuildProgress(val position: Long, val head: Long)

/** What [Engine.rebuild] returns. */
data class Rebuilt(
    val projection: String,
    /** The position the rebuilt tables reached when they were swapped in. */
    val position: Long,
    /** Events folded. */
    val events: Long,
    val millis: Long,
    /** How long writes waited at the swap. */
    val pauseMillis: Long,
) {
    internal companion object {
        fun from(m: Map<String, Any?>) =
            Rebuilt(m.string("projection"), m.long("position"), m.long("events"), m.long("millis"), m.long("pause_millis"))
    }
}

/** One subscription, as [Engine.subscriptions] lists it. */
data class SubscriptionInfo(
    val name: String,
    /** Every event up to here is acked. */
    val checkpoint: Long,
    /** Events stored after the checkpoint. */
    val lag: Long,
    val parked: Long,
    /** The models whose events it gets (empty: every model). */
    val models: List<String>,
    /** The event types it gets (empty: every type). */
    val types: List<String>,
    /** Whether a consumer holds the name now. */
    val active: Boolean,
) {
    internal companion object {
        @Suppress("UNCHECKED_CAST")
        fun from(m: Map<String, Any?>) =
            SubscriptionInfo(
                m.string("name"), m.long("checkpoint"), m.long("lag"), m.long("parked"),
                (m["models"] as List<String>?).orEmpty(), (m["types"] as List<String>?).orEmpty(), m["active"] as Boolean,
            )
    }
}

/** An event kept aside by [Subscription.park] or a projection, as [Engine.parked] lists it. */
data class ParkedEvent(
    /** The subscription or projection that parked it. */
    val name: String,
    val position: Long,
    val reason: String,
    /** When it was parked, RFC 3339. */
    val parkedAt: String,
    val event: StoredEvent,
) {
    internal companion object {
        fun from(m: Map<String, Any?>) =
            ParkedEvent(m.string("name"), m.long("position"), m.string("reason"), m.string("parked_at"), StoredEvent.from(m.obj("event")))
    }
}

package dev.eventfold

// Model changes (MODEL-LANGUAGE §12, ARCHITECTURE "Model changes, live"):
// the options and the typed results of [Engine.migratePlan],
// [Engine.migrateApply] and [Engine.modelVersions]. As on the read side,
// words the core writes (`change`, `kind`, `code`) stay strings, so a newer
// core's word reads instead of failing.

/** What a command does when the store's active model is no longer this engine's ([EngineOptions.onModelChange]). */
enum class OnModelChange(internal val wire: String) {
    /** The command fails with [EventfoldException.ModelChanged]; nothing is written. */
    FAIL("fail"),

    /** The engine loads the active model from the store, switches to it, and runs the command with it. */
    FOLLOW("follow"),
}

/** Options of [Engine.migratePlan]. Immutable: `new MigratePlanOptions().withDifferences(20)` from Java. */
data class MigratePlanOptions @JvmOverloads constructor(
    /** How many streams whose state differs are shown with their difference; default 5. */
    val differences: Int? = null,
) {
    fun withDifferences(streams: Int) = copy(differences = streams)

    internal fun toJson(): String? =
        differences?.let { Json.write(mapOf("differences" to it)) }
}

/** What [Engine.migratePlan] returns. */
data class MigrationPlan(
    /** False when [blocking] or [ReplayReport.failed] is not empty, or a projection fails: [Engine.migrateApply] refuses such a plan. */
    val ok: Boolean,
    val models: List<PlannedModel>,
    /** The differences of the language, model by model. */
    val language: List<LanguageChange>,
    /** Stored events the new model cannot read, by (model, type, schema). */
    val blocking: List<BlockingItem>,
    val replay: ReplayReport,
    /** The projections that must rebuild. */
    val projections: List<ProjectionChange>,
) {
    internal companion object {
        fun from(m: Map<String, Any?>) =
            MigrationPlan(
                m["ok"] as Boolean,
                m.objs("models").map { PlannedModel(it.string("model"), it["from"] as String?, it.string("to"), it["replay"] as Boolean) },
                m.objs("language").map { LanguageChange(it.string("model"), it.string("change"), it.string("kind"), it.string("name")) },
                m.objs("blocking").map {
                    BlockingItem(it.string("model"), it.string("type"), it.long("schema"), it.long("events"), it.string("code"), it.string("message"))
                },
                ReplayReport.from(m.obj("replay")),
                m.objs("projections").map { p ->
                    ProjectionChange(
                        p.string("name"),
                        p.string("change"),
                        p.objs("tables").map {
                            TableChange(it.string("table"), it.long("before"), it.long("after"), it.long("added"), it.long("removed"), it.long("changed"))
                        },
                        p["error"]?.let { p.obj("error") },
                    )
                },
            )
    }
}

/** One model of a plan: its revision in the store now ([from], null: none yet) and in the new domain ([to]). */
data class PlannedModel(
    val model: String,
    val from: String?,
    val to: String,
    /** Whether its streams must be replayed (its fingerprint changed). */
    val replay: Boolean,
)

/** One difference of the language. */
data class LanguageChange(
    val model: String,
    /** `added`, `removed` or `changed`. */
    val change: String,
    /** `state`, `command`, `event`, `upcast`, `query`, `invariant`, `record`, `enum` or `model`. */
    val kind: String,
    /** The declaration, with its version for events and upcasts (`created@2`). */
    val name: String,
)

/** [events] stored events of ([type], [schema]) that the new model cannot read: [code] says why. */
data class BlockingItem(
    val model: String,
    val type: String,
    val schema: Long,
    val events: Long,
    /** The error reading them would raise, e.g. `unknown_event`. */
    val code: String,
    val message: String,
)

/** The replay of every affected stream with the new model. */
data class ReplayReport(
    val streams: Long,
    val events: Long,
    /** The streams the new model cannot replay. */
    val failed: List<FailedStream>,
    /** How many streams end in a state other than the old model's. */
    val different: Long,
    /** The first few of them ([MigratePlanOptions.differences]), with their difference. */
    val differences: List<StreamDifference>,
) {
    internal companion object {
        fun from(m: Map<String, Any?>) =
            ReplayReport(
                m.long("streams"),
                m.long("events"),
                m.objs("failed").map { FailedStream(it.string("stream"), it.string("code"), it.string("message")) },
                m.long("different"),
                m.objs("differences").map { d ->
                    StreamDifference(d.string("stream"), d.objs("changes").map { StateChange(it.string("path"), it["before"], it["after"]) })
                },
            )
    }
}

/** A stream the new model fails on, with the error's [code] and [message]. */
data class FailedStream(val stream: String, val code: String, val message: String)

/** A stream whose state the new model folds differently. */
data class StreamDifference(val stream: String, val changes: List<StateChange>)

/** One value of a state that differs: at [path] (`todos.x.priority`), [before] with the old model, [after] with the new (JSON values, null: absent). */
data class StateChange(val path: String, val before: Any?, val after: Any?)

/**
 * A projection that must rebuild: [change] is `new`, `changed` or `removed`. In a plan, [tables] says how a new or
 * changed one's rows would change, and [error] (`code`, `message`) why it fails on the stored events.
 */
data class ProjectionChange @JvmOverloads constructor(
    val name: String,
    val change: String,
    val tables: List<TableChange> = emptyList(),
    val error: Map<String, Any?>? = null,
)

/** How a table's rows would change once rebuilt, counted by key against the live rows. */
data class TableChange(val table: String, val before: Long, val after: Long, val added: Long, val removed: Long, val changed: Long)

/** What [Engine.migrateApply] returns. */
data class Migrated(
    val models: List<MigratedModel>,
    /** Snapshots built under the new fingerprint. */
    val snapshots: Long,
    /** The projections rebuilt and swapped in. */
    val projections: List<String>,
    /** Events read to build the snapshots and tables. */
    val events: Long,
    /** Events written while they were being built, folded during the pause. */
    val caughtUp: Long,
    /** The store's head when the switch committed: the new model wrote every event after it. */
    val position: Long,
    val millis: Double,
    /** How long writers were held off: the final transaction. */
    val pauseMillis: Double,
) {
    internal companion object {
        fun from(m: Map<String, Any?>) =
            Migrated(
                m.objs("models").map { MigratedModel(it.string("model"), it["from"] as String?, it.string("to")) },
                m.long("snapshots"),
                @Suppress("UNCHECKED_CAST") (m["projections"] as List<String>?).orEmpty(),
                m.long("events"),
                m.long("caught_up"),
                m.long("position"),
                m.double("millis"),
                m.double("pause_millis"),
            )
    }
}

/** One model switched by [Engine.migrateApply], from revision [from] (null: none before) to [to]. */
data class MigratedModel(val model: String, val from: String?, val to: String)

/** One model version registered in the store, as [Engine.modelVersions] lists it. */
data class ModelVersion(
    val model: String,
    val revision: String,
    val fingerprint: String,
    /** Whether it is the store's active version of [model]; engines with another version fail or follow at their next append. */
    val active: Boolean,
    /** RFC 3339. */
    val registeredAt: String,
    /** RFC 3339; null for a version never active. */
    val activatedAt: String?,
) {
    internal companion object {
        fun from(m: Map<String, Any?>) =
            ModelVersion(
                m.string("model"), m.string("revision"), m.string("fingerprint"), m["active"] as Boolean,
                m.string("registered_at"), m["activated_at"] as String?,
            )
    }
}

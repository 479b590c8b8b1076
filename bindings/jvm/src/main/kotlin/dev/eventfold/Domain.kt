package dev.eventfold

import dev.eventfold.ffi.FfiAccept
import dev.eventfold.ffi.FfiDomain
import dev.eventfold.ffi.FfiProject
import dev.eventfold.ffi.FfiPropose
import dev.eventfold.ffi.FfiQuery
import dev.eventfold.ffi.FfiReplay
import dev.eventfold.ffi.FfiSource
import dev.eventfold.ffi.FfiUpcast
import java.nio.file.Path
import java.time.Instant

/**
 * Compiled models: the pure verbs (propose, accept, replay, query, upcast,
 * project), with no store. Immutable and safe to share between threads.
 *
 * Each verb comes twice: over `Map`/`List` values (converted with Jackson)
 * and over JSON text (`...Json`, for callers that already hold JSON). A
 * `state` of `null` means the model's initial state.
 *
 * [close] frees the compiled models at once; after it every call throws
 * [EventfoldException.StoreError]. Without it they are freed when the
 * object is garbage-collected.
 */
class Domain private constructor(internal val ffi: FfiDomain) : AutoCloseable {
    companion object {
        /** Compiles model files, given as file name to text (names appear in diagnostics). */
        @JvmStatic
        fun compile(sources: Map<String, String>): Domain =
            native { Domain(FfiDomain.compile(sources.map { (name, text) -> FfiSource(name, text) })) }

        /** Compiles one model file. */
        @JvmStatic
        fun compile(name: String, text: String): Domain = compile(mapOf(name to text))

        /** Compiles one model text, named `model` in diagnostics. */
        @JvmStatic
        fun compile(text: String): Domain = compile("model", text)

        /**
         * Reads and compiles model files, as one domain; their paths name
         * them in diagnostics. The core reads them: a file that cannot be
         * read is [EventfoldException.IoError], with its [path][EventfoldException.IoError.path].
         */
        @JvmStatic
        fun fromFiles(vararg paths: Path): Domain = fromFiles(paths.toList())

        @JvmStatic
        fun fromFiles(vararg paths: String): Domain = native { Domain(FfiDomain.compileFiles(paths.toList())) }

        @JvmStatic
        fun fromFiles(paths: List<Path>): Domain = native { Domain(FfiDomain.compileFiles(paths.map { it.toString() })) }
    }

    /** The names of the models, in declaration order. */
    fun models(): List<String> = native { ffi.models() }

    /**
     * The whole ubiquitous language, as JSON values: `models` (each with its
     * `state`, `records`, `enums`, `commands`, `events` (each with its shape's
     * `version`), `upcasts` (`name`, `version`, `doc`, `fields`, `emits`:
     * `[{name, version}]`), `queries`, `invariants`), `tables` (`name`, `doc`,
     * `columns`: `[{name, type, key, optional, default, doc}]`, `key`,
     * `projection`), `projections` (`name`, `mode`: `inline` or `async`,
     * `doc`, `handles`: `[{model, event}]`, `writes`) and `tzdb` (the time
     * zone database release of the calendar).
     */
    fun describe(): Map<String, Any?> = Json.readMap(describeJson())

    fun describeJson(): String = native { ffi.describeJson() }

    /** The same as a Markdown glossary, for a team's wiki. */
    fun describeMarkdown(): String = native { ffi.describeMarkdown() }

    fun initialState(model: String): Map<String, Any?> = Json.readMap(initialStateJson(model))

    fun initialStateJson(model: String): String = native { ffi.initialStateJson(model) }

    /**
     * The events a command emits on a state, each `{type, data}`, or
     * [EventfoldException.Rejected]. `command` is `{type, data, id?, metadata?}`;
     * [now] is what the model sees as `now` (default: the current time).
     */
    @JvmOverloads
    fun propose(
        model: String,
        state: Map<String, Any?>?,
        command: Map<String, Any?>,
        now: Instant? = null,
    ): List<Map<String, Any?>> =
        Json.readMaps(proposeJson(model, state?.let(Json::write), Json.write(command), now?.toString()))

    /** [propose] over JSON text; [now] in RFC 3339. Returns a JSON array of events. */
    @JvmOverloads
    fun proposeJson(model: String, state: String?, command: String, now: String? = null): String =
        native { ffi.proposeJson(FfiPropose(model, state, command, now)) }

    /** The state after one event; an event with an older `schema` is upcast first. */
    fun accept(model: String, state: Map<String, Any?>?, event: Map<String, Any?>): Map<String, Any?> =
        Json.readMap(acceptJson(model, state?.let(Json::write), Json.write(event)))

    fun acceptJson(model: String, state: String?, event: String): String =
        native { ffi.acceptJson(FfiAccept(model, state, event)) }

    /** Events folded, in order, over a state (default: the initial state). */
    @JvmOverloads
    fun replay(model: String, events: List<Map<String, Any?>>, state: Map<String, Any?>? = null): Map<String, Any?> =
        Json.readMap(replayJson(model, Json.write(events), state?.let(Json::write)))

    @JvmOverloads
    fun replayJson(model: String, events: String, state: String? = null): String =
        native { ffi.replayJson(FfiReplay(model, events, state)) }

    /** A query of the model on a state. */
    @JvmOverloads
    fun query(model: String, state: Map<String, Any?>?, name: String, args: Map<String, Any?>? = null): Any? =
        Json.read(queryJson(model, state?.let(Json::write), name, args?.let(Json::write)))

    @JvmOverloads
    fun queryJson(model: String, state: String?, name: String, args: String? = null): String =
        native { ffi.queryJson(FfiQuery(model, state, name, args)) }

    /**
     * A stored event (`{type, schema?, data?}`; `schema` left out: the
     * newest version declared for `type`) as the current model reads it:
     * the events it becomes (none when dropped, several when split), each
     * `{type, schema, data}` at its current version.
     * [EventfoldException.UnknownEvent] for a version no declaration has,
     * [EventfoldException.InvalidEvent] at `schema` for a schema that is
     * not an int >= 1.
     */
    fun upcast(model: String, event: Map<String, Any?>): List<Map<String, Any?>> =
        Json.readMaps(upcastJson(model, Json.write(event)))

    /** [upcast] over JSON text: a JSON array of events. */
    fun upcastJson(model: String, event: String): String = native { ffi.upcastJson(FfiUpcast(model, event)) }

    /**
     * The tables of [projection] after folding [events] in order onto
     * [tables] (`null`: empty), as table name to rows in key order, for
     * every table it writes. Each event is `{model, id, type, data}`, with
     * optional `schema`, `version`, `position`, `recorded_at` (an [Instant]
     * or RFC 3339 text), `metadata` and `event_id`.
     * [EventfoldException.UnknownProjection] when the domain has none of
     * that name.
     */
    @JvmOverloads
    fun project(
        projection: String,
        events: List<Map<String, Any?>>,
        tables: Map<String, List<Map<String, Any?>>>? = null,
    ): Map<String, List<Map<String, Any?>>> =
        Json.readTables(projectJson(projection, Json.write(events), tables?.let(Json::write)))

    /** [project] over JSON text: `{"table": [rows]}`. */
    @JvmOverloads
    fun projectJson(projection: String, events: String, tables: String? = null): String =
        native { ffi.projectJson(FfiProject(projection, events, tables)) }

    /** Frees the compiled models now. Engines opened on this domain keep working. Twice is fine. */
    override fun close() {
        native { ffi.closeDomain() }
    }

    override fun toString(): String =
        try {
            "Domain(${models().joinToString()})"
        } catch (e: EventfoldException) {
            "Domain(closed)"
        }
}

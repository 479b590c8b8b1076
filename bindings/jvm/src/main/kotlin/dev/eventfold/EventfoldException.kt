package dev.eventfold

/**
 * Every failure of eventfold: one subclass per code of the model language's
 * error table, each with that code's fields as properties. The sealed list
 * is the core's table (`errorTable()`); the tests check it against that.
 *
 * Unchecked (a [RuntimeException]), so Java callers catch what they care
 * about and let the rest travel, as with the JDK's own unchecked exceptions:
 *
 * ```java
 * try {
 *     domain.propose("Todos", state, command);
 * } catch (EventfoldException.Rejected e) {
 *     System.out.println(e.getReason() + ": " + e.getMessage());
 * }
 * ```
 */
sealed class EventfoldException(
    /** The stable code: `rejected`, `invalid_command`, ... */
    val code: String,
    message: String,
) : RuntimeException(message) {
    override val message: String get() = super.message ?: ""

    /** The error as it crosses the JSON boundary: `{code, message, ...}`. */
    open fun toMap(): Map<String, Any?> = mapOf("code" to code, "message" to message)

    override fun toString(): String = "EventfoldException.${javaClass.simpleName}($code): $message"

    companion object {
        /**
         * The core's table of error codes: `[{"code", "fields", "doc"}, ...]`,
         * the fields each code carries besides `code` and `message` (the
         * entry of `store_error` also lists its `kinds`).
         */
        @JvmStatic
        fun table(): List<Map<String, Any?>> = Json.readMaps(dev.eventfold.ffi.errorTable())
    }

    /** A `reject` fired (with its [reason]), or an invariant failed (reason `invariant`). */
    class Rejected(val reason: String?, message: String) : EventfoldException("rejected", message) {
        override fun toMap() = super.toMap() + ("reason" to reason)
    }

    /** Input is not JSON, or not text that can become JSON. */
    class InvalidJson(message: String) : EventfoldException("invalid_json", message)

    /** A command (or a query's arguments) has the wrong shape; [path] says where, e.g. `data.text`. */
    class InvalidCommand(val path: String, message: String) : EventfoldException("invalid_command", message) {
        override fun toMap() = super.toMap() + ("path" to path)
    }

    class UnknownCommand(message: String) : EventfoldException("unknown_command", message)

    /** An event given to accept or replay has the wrong shape; [path] says where. */
    class InvalidEvent(val path: String, message: String) : EventfoldException("invalid_event", message) {
        override fun toMap() = super.toMap() + ("path" to path)
    }

    class UnknownEvent(message: String) : EventfoldException("unknown_event", message)

    class UnknownModel(message: String) : EventfoldException("unknown_model", message)

    class UnknownQuery(message: String) : EventfoldException("unknown_query", message)

    /** The model files do not compile: every [Diagnostic], and a message that shows each under its source line. */
    class ModelError(val diagnostics: List<Diagnostic>, message: String) : EventfoldException("model_error", message) {
        override fun toMap() = super.toMap() + ("diagnostics" to diagnostics.map { it.toMap() })
    }

    /** An expression failed at run time (overflow, a missing map key, ...). */
    class EvaluationError(message: String) : EventfoldException("evaluation_error", message)

    /** `expectedVersion` did not match the stream's version. */
    class VersionConflict(val expected: Long, val actual: Long, message: String) :
        EventfoldException("version_conflict", message) {
        override fun toMap() = super.toMap() + mapOf("expected" to expected, "actual" to actual)
    }

    /** Input or work past a configured [limit], e.g. `max_input_depth`. */
    class LimitExceeded(val limit: String, message: String) : EventfoldException("limit_exceeded", message) {
        override fun toMap() = super.toMap() + ("limit" to limit)
    }

    /**
     * The store failed, or the object was used after `close()`; [kind] says why:
     * `busy` or `unavailable` (worth a retry), `corrupt`, `closed` or `io`.
     */
    class StoreError(val kind: String, message: String) : EventfoldException("store_error", message) {
        override fun toMap() = super.toMap() + ("kind" to kind)
    }

    /**
     * The store's active version of [model] is no longer this engine's (a
     * migration was applied elsewhere); nothing was written. Reopen with the
     * active model, or open with [OnModelChange.FOLLOW].
     */
    class ModelChanged(val model: String, message: String) : EventfoldException("model_changed", message) {
        override fun toMap() = super.toMap() + ("model" to model)
    }

    class UnknownTable(message: String) : EventfoldException("unknown_table", message)

    class UnknownProjection(message: String) : EventfoldException("unknown_projection", message)

    /**
     * A file given by path (a model file of [Domain.fromFiles]) could not be
     * read; [path] names it, and the message says why (no such file, no
     * permission, not UTF-8, ...).
     */
    class IoError(val path: String, message: String) : EventfoldException("io_error", message) {
        override fun toMap() = super.toMap() + ("path" to path)
    }

    /** A bug in eventfold (a caught panic); please report it. */
    class Internal(message: String) : EventfoldException("internal", message)
}

/** A problem in a model file. Lines and columns are 1-based; columns count code points. */
data class Diagnostic(val file: String, val line: Int, val column: Int, val message: String) {
    fun toMap(): Map<String, Any?> = mapOf("file" to file, "line" to line, "column" to column, "message" to message)

    override fun toString(): String = "$file:$line:$column: $message"
}

@file:JvmName("Typed")

package dev.eventfold

import java.util.function.Function

// What the code of `eventfold generate --lang kotlin|java` returns: the
// skin's results with the model's own types inside. The generated code
// decodes; these only carry.

/** A stored event with its type and data decoded into the model's event type [E] ([event]). */
data class TypedEvent<E>(
    val event: E,
    /** The event as the engine returned it. */
    val stored: StoredEvent,
) {
    /** A UUIDv7. */
    val id: String get() = stored.id

    /** `Model-id`. */
    val stream: String get() = stored.stream

    /** 1-based, contiguous per stream. */
    val version: Long get() = stored.version

    /** Global, unique and increasing. */
    val position: Long get() = stored.position

    /** `recorded_at`, `command_id`, `correlation_id`, `causation_id`, and your keys. */
    val metadata: Map<String, Any?> get() = stored.metadata
}

/** [Executed] with its events decoded: [events] in order, each with its [TypedEvent.event]. */
data class TypedExecuted<E>(
    val stream: String,
    val version: Long,
    val events: List<TypedEvent<E>>,
    /** The global position of the last event appended (0: none): for [Engine.waitFor]. */
    val position: Long,
) {
    /** The events alone, decoded, in order. */
    fun events(): List<E> = events.map { it.event }
}

/** [Loaded] with the state decoded into the model's state type [S]. */
data class TypedLoaded<S>(val state: S, val version: Long)

/** This result with its events decoded by [decode] (generated code passes the model's). */
fun <E> Executed.typed(decode: Function<StoredEvent, E>): TypedExecuted<E> =
    TypedExecuted(stream, version, events.map { it.typed(decode) }, position)

fun <E> StoredEvent.typed(decode: Function<StoredEvent, E>): TypedEvent<E> = TypedEvent(decode.apply(this), this)

fun <S> Loaded.typed(decode: Function<Map<String, Any?>, S>): TypedLoaded<S> = TypedLoaded(decode.apply(state), version)

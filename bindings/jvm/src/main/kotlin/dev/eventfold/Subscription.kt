package dev.eventfold

import dev.eventfold.ffi.FfiSubscription
import java.time.Duration

/**
 * One consumer of a named subscription ([Engine.subscribe]): the store's
 * events in global order, upcast, delivered at least once from a durable
 * checkpoint.
 *
 * Iterate it, from Kotlin (`for (event in sub)`, [asSequence]) or Java
 * (`for (StoredEvent e : sub)`): the iteration never ends by itself, it
 * waits for new events, until [close] (from any thread) ends it. Each event
 * is acked when the loop asks for the next one, so leaving the loop (`break`,
 * an exception, `take(n)`) leaves the last event unacked and a later
 * consumer of the name gets it again. Or drive it by hand with [poll],
 * [ack] and [park].
 *
 * Safe to share between threads; [close] wakes a [poll] blocked in another
 * one. One iteration at a time: two loops over one subscription would share
 * its events between them.
 */
class Subscription internal constructor(private val ffi: FfiSubscription) : AutoCloseable, Iterable<StoredEvent> {
    /** The subscription's name, as given to [Engine.subscribe]. */
    val name: String = ffi.name()

    /** Whether [close] (or the engine's close) has run: then iteration has ended and calls throw. */
    val isClosed: Boolean get() = ffi.isClosed()

    /**
     * Up to [max] events after the last one this subscription delivered (a
     * new one starts after the durable checkpoint), waiting up to [timeout]
     * for the first; none at the timeout, or while another consumer of the
     * name holds it. Events one stored event upcasts to share its position.
     */
    @JvmOverloads
    fun poll(max: Int = 100, timeout: Duration = Duration.ofSeconds(1)): List<StoredEvent> =
        Json.readMaps(pollJson(max, timeout)).map(StoredEvent::from)

    /** [poll] as JSON text: an array of stored events. */
    @JvmOverloads
    fun pollJson(max: Int = 100, timeout: Duration = Duration.ofSeconds(1)): String {
        val n = unsigned("max", max.toLong())
        val ms = unsigned("timeout", timeout.toMillis())
        return native { ffi.pollJson(n, ms) }
    }

    /** Stores the checkpoint durably: every event up to [position] is done. */
    fun ack(position: Long) {
        val p = unsigned("position", position)
        native { ffi.ack(p) }
    }

    /** Keeps the event at [position] aside (see [Engine.parked]) with [reason], and acks it. */
    fun park(position: Long, reason: String) {
        val p = unsigned("position", position)
        native { ffi.park(p, reason) }
    }

    /**
     * Releases the name for the next consumer and ends any iteration or
     * blocked [poll] at once, in every thread. Twice is fine.
     */
    override fun close() {
        native { ffi.closeSubscription() }
    }

    /** The events, forever, until [close]; see the class comment for when each is acked. */
    override fun iterator(): Iterator<StoredEvent> = Events(DEFAULT_BATCH, DEFAULT_WAIT)

    /** [iterator] polling [batch] events at a time, each poll waiting up to [wait] before it polls again. */
    fun iterator(batch: Int, wait: Duration): Iterator<StoredEvent> = Events(batch, wait)

    /** The events as a Kotlin [Sequence]: forever, until [close]. */
    @JvmOverloads
    fun asSequence(batch: Int = DEFAULT_BATCH, wait: Duration = DEFAULT_WAIT): Sequence<StoredEvent> =
        Sequence { iterator(batch, wait) }

    override fun toString(): String = "Subscription($name${if (isClosed) ", closed" else ""})"

    private companion object {
        const val DEFAULT_BATCH = 100

        /** How long one poll waits before the loop polls again: close wakes it sooner, so this only bounds a wait. */
        val DEFAULT_WAIT: Duration = Duration.ofSeconds(1)
    }

    /**
     * The iteration. `pending` is the position of the last event handed out:
     * it is acked when the loop asks for the next event, unless the next one
     * shares its position (the rest of one stored event that upcast to
     * several; a poll returns those together, so they are in the buffer).
     */
    private inner class Events(private val batch: Int, private val wait: Duration) : Iterator<StoredEvent> {
        private val buffer = ArrayDeque<StoredEvent>()
        private var pending: Long? = null
        private var ended = false

        init {
            unsigned("batch", batch.toLong())
            unsigned("wait", wait.toMillis())
        }

        override fun hasNext(): Boolean {
            if (ended) return false
            try {
                pending?.let { p ->
                    if (buffer.firstOrNull()?.position != p) {
                        ack(p)
                        pending = null
                    }
                }
                while (buffer.isEmpty()) {
                    if (isClosed) return end()
                    buffer.addAll(poll(batch, wait))
                }
                return true
            } catch (e: EventfoldException.StoreError) {
                // Closed from another thread (or with the engine): the end,
                // not a failure. The pending event stays unacked.
                if (isClosed) return end()
                throw e
            }
        }

        override fun next(): StoredEvent {
            if (!hasNext()) throw NoSuchElementException("the subscription $name is closed")
            val event = buffer.removeFirst()
            pending = event.position
            return event
        }

        private fun end(): Boolean {
            ended = true
            buffer.clear()
            return false
        }
    }
}

<?php

declare(strict_types=1);

namespace Eventfold;

use Eventfold\Exception\StoreErrorException;
use FFI\CData;

/**
 * A durable subscription to the store's events, from `Engine::subscribe`:
 * each stored event, upcast to the current model, in global position
 * order, at least once.
 *
 *   foreach ($engine->subscribe('mailer') as $position => $event) {
 *       send_mail($event);     // acked when the loop asks for the next one
 *   }
 *
 * Iterating yields events forever, waiting for new ones, until `close()`
 * (from the loop's body, or a signal handler). An event is acknowledged
 * when the loop asks for the next one, that is when its body finished with
 * it; leaving the loop (`break`, `return` or an exception) leaves that event
 * unacknowledged, so it is delivered again: by the next iteration of this
 * object, or to the next subscriber of the name. Handlers must therefore
 * tolerate seeing an event twice.
 *
 * `poll`, `ack` and `park` are the same machinery by hand. One consumer of
 * a name runs at a time, across processes: a second subscriber's poll gives
 * `[]` until the first closes (or its process dies).
 */
final class Subscription implements \IteratorAggregate
{
    /** Events the iteration takes at most from one poll. */
    public const BATCH = 100;
    /** How long one poll of the iteration waits, in seconds, before polling again. */
    public const WAIT = 1.0;

    /**
     * Events polled from the library but not yet done: the first is the one
     * in the loop's hands (or the one left when it broke off), the rest are
     * still to come. Kept here, so that breaking off a loop loses none of
     * them for this object.
     *
     * @var list<array>
     */
    private array $pending = [];

    private bool $closed = false;

    /** @internal Use `Engine::subscribe`; the engine is kept alive while its subscription is. */
    public function __construct(private readonly CData $handle, private readonly Engine $engine, private readonly string $name)
    {
    }

    public function name(): string
    {
        return $this->name;
    }

    public function engine(): Engine
    {
        return $this->engine;
    }

    /**
     * Up to `$max` events after the last one this subscription handed out
     * (a new subscription starts after the durable checkpoint), waiting up
     * to `$timeout` seconds for the first; `[]` at the timeout or while
     * another consumer holds the name. They stay unacknowledged until `ack`.
     * Events one stored event is upcast to share its position.
     *
     * @return list<array{id: string, stream: string, version: int, position: int, type: string,
     *         schema: int, data: array, metadata: array}>
     */
    public function poll(int $max = self::BATCH, float $timeout = self::WAIT): array
    {
        if ($max < 0) {
            throw Exception\EventfoldException::of('invalid_command', "`max` must be at least 0, not $max", ['path' => 'max']);
        }
        if ($this->pending !== []) {
            // What an iteration left behind comes first.
            return array_splice($this->pending, 0, $max);
        }
        return Native::call('subscription_poll', $this->handle, $max, Engine::millis($timeout, 'timeout'));
    }

    /** Stores the checkpoint durably: every event up to `$position` is done. */
    public function ack(int $position): void
    {
        Native::call('subscription_ack', $this->handle, $position);
    }

    /**
     * Keeps the event at `$position` in the store's parked events with
     * `$reason` (see `Engine::parked`), and acknowledges it.
     */
    public function park(int $position, string $reason): void
    {
        Native::call('subscription_park', $this->handle, $position, Native::text($reason, 'reason'));
    }

    /**
     * Releases the name: a loop over this subscription ends once its body
     * returns, without acknowledging the event it had. Later calls throw
     * `StoreErrorException`; closing twice is fine.
     */
    public function close(): void
    {
        $this->closed = true;
        $this->pending = [];
        Native::call('subscription_close', $this->handle);
    }

    public function isClosed(): bool
    {
        return $this->closed;
    }

    /**
     * The events, forever, as `position => event` (several events one
     * stored event is upcast to share a position), until `close()`.
     *
     * @return \Generator<int, array>
     */
    public function getIterator(): \Generator
    {
        while (!$this->closed) {
            if ($this->pending === []) {
                try {
                    $this->pending = Native::call('subscription_poll', $this->handle, self::BATCH, Engine::millis(self::WAIT, 'timeout'));
                } catch (StoreErrorException $e) {
                    // Closed here, or with its engine: the end, not an error.
                    if ($this->closed || $e->kind === 'closed') {
                        return;
                    }
                    throw $e;
                }
                continue;
            }
            $event = $this->pending[0];
            yield $event['position'] => $event;
            // The loop asks for the next one: its body is done with this one.
            if ($this->closed) {
                return;
            }
            array_shift($this->pending);
            // Several events share a stored event's position: that position
            // is done once the last of them is.
            if (($this->pending[0]['position'] ?? null) !== $event['position']) {
                try {
                    $this->ack($event['position']);
                } catch (StoreErrorException $e) {
                    if ($e->kind === 'closed') {
                        return;
                    }
                    throw $e;
                }
            }
        }
    }

    public function __destruct()
    {
        Native::ffi()->eventfold_subscription_free($this->handle);
    }

    private function __clone()
    {
    }
}

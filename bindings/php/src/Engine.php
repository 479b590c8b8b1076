<?php

declare(strict_types=1);

namespace Eventfold;

use FFI\CData;

/**
 * A domain over an event store: runs commands, appends their events with
 * optimistic concurrency, and reads them back. After `close()` every call
 * throws `Exception\StoreErrorException`.
 *
 * Option keys may be written `expected_version` or `expectedVersion`.
 */
final class Engine
{
    private function __construct(private readonly CData $handle, private readonly Domain $domain)
    {
    }

    /**
     * @param string $store `memory:` or `sqlite:/path/to/events.db` (append
     *        `?synchronous=normal` to trade the durability of the last
     *        transactions for speed)
     * @param array{cache_capacity?: int, snapshot_every?: int, max_attempts?: int} $options
     */
    public static function open(string $store, Domain $domain, array $options = []): self
    {
        $handle = Native::create(
            'engine_open',
            'eventfold_engine',
            Native::text($store, 'store'),
            $domain->handle(),
            $options === [] ? null : Native::encode(Native::options($options), 'options'),
        );
        return new self($handle, $domain);
    }

    public function domain(): Domain
    {
        return $this->domain;
    }

    /**
     * Runs a command on the stream `"$model-$id"` and appends its events.
     *
     * @param array{expected_version?: int, command_id?: string, metadata?: array<string, string>,
     *        now?: \DateTimeInterface|string, correlation_id?: string, causation_id?: string} $options
     * @return array{stream: string, version: int, events: list<array>}
     * @throws Exception\RejectedException when the model refuses the command
     * @throws Exception\VersionConflictException when `expected_version` does not match
     */
    public function execute(string $model, string $id, mixed $command, array $options = []): array
    {
        return Native::call(
            'engine_execute',
            $this->handle,
            Native::text($model, 'model'),
            Native::text($id, 'id'),
            Native::encode($this->domain->schema()->message($model, 'commands', $command), 'command'),
            $options === [] ? null : Native::encode(Native::options($options), 'options'),
        );
    }

    /**
     * Many commands in one transaction: all appended, or none.
     *
     * @param list<array{model: string, id: string, command: array, options?: array}> $requests
     * @return list<array{stream: string, version: int, events: list<array>}>
     */
    public function executeMany(array $requests): array
    {
        $schema = $this->domain->schema();
        $list = [];
        foreach ($requests as $r) {
            if (is_array($r) && is_string($r['model'] ?? null)) {
                if (array_key_exists('command', $r)) {
                    $r['command'] = $schema->message($r['model'], 'commands', $r['command']);
                }
                if (is_array($r['options'] ?? null)) {
                    $r['options'] = Native::options($r['options']);
                }
            }
            $list[] = $r;
        }
        return Native::call('engine_execute_many', $this->handle, Native::encode($list, 'requests'));
    }

    /** @return array{state: array, version: int} */
    public function load(string $model, string $id): array
    {
        return Native::call('engine_load', $this->handle, Native::text($model, 'model'), Native::text($id, 'id'));
    }

    /** A query on the current state of the stream `"$model-$id"`. */
    public function query(string $model, string $id, string $name, mixed $args = []): mixed
    {
        return Native::call(
            'engine_query',
            $this->handle,
            Native::text($model, 'model'),
            Native::text($id, 'id'),
            Native::text($name, 'name'),
            Native::encodeOptional($this->domain->schema()->args($model, $name, $args), 'args'),
        );
    }

    /**
     * @param array{from_version?: int, limit?: int} $options
     * @return list<array> the stored events of one stream, in order
     */
    public function readStream(string $stream, array $options = []): array
    {
        return Native::call(
            'engine_read_stream',
            $this->handle,
            Native::text($stream, 'stream'),
            $options === [] ? null : Native::encode(Native::options($options), 'options'),
        );
    }

    /**
     * @param array{from_position?: int, limit?: int} $options
     * @return list<array> every stored event, in global order
     */
    public function readAll(array $options = []): array
    {
        return Native::call(
            'engine_read_all',
            $this->handle,
            $options === [] ? null : Native::encode(Native::options($options), 'options'),
        );
    }

    /** @return list<array{stream: string, version: int}> */
    public function streams(?string $model = null): array
    {
        return Native::call(
            'engine_streams',
            $this->handle,
            $model === null ? null : Native::encode(['model' => $model], 'options'),
        );
    }

    /** Closes the store; closing twice is fine. */
    public function close(): void
    {
        Native::call('engine_close', $this->handle);
    }

    public function __destruct()
    {
        Native::ffi()->eventfold_engine_free($this->handle);
    }

    private function __clone()
    {
    }
}

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
    /**
     * The domain whose types shape the arguments this skin encodes: the one
     * opened with, replaced by `migrateApply` (not by following a change).
     */
    private Domain $domain;

    private function __construct(private readonly CData $handle, Domain $domain)
    {
        $this->domain = $domain;
    }

    /**
     * @param string $store `memory:`, `sqlite:/path/to/events.db` (append
     *        `?synchronous=normal` to trade the durability of the last
     *        transactions for speed) or
     *        `postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME` (docs/postgres.md)
     * @param array{cache_capacity?: int, snapshot_every?: int, max_attempts?: int,
     *        run_projections?: bool, on_projection_error?: 'stop'|'park',
     *        on_model_change?: 'fail'|'follow'} $options
     *        `runProjections` (default true): this engine runs the async
     *        projections (and rebuilds); false: it only writes inline ones and
     *        reads. `onProjectionError`: what an async projection does with an
     *        event its handler fails on, `stop` (default) or `park` it.
     *        `onModelChange`: what a command does once another engine has
     *        made a newer model active in the store (`migrateApply`): `fail`
     *        (default) with `ModelChangedException`, nothing written, or
     *        `follow`: switch to the store's active model and run it there.
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

    /**
     * The domain this engine runs now: the one it was opened with, the one
     * `migrateApply` switched it to, or, with `onModelChange: follow`, the
     * store's model it followed. A new `Domain` each call (the core may
     * switch at any command or read, and two domains cannot be told apart
     * cheaply), holding its own handle.
     *
     * @throws Exception\StoreErrorException after `close()`
     */
    public function domain(): Domain
    {
        return Domain::fromHandle(Native::create('engine_domain', 'eventfold_domain', $this->handle));
    }

    /**
     * Runs a command on the stream `"$model-$id"` and appends its events.
     *
     * @param array{expected_version?: int, command_id?: string, metadata?: array<string, string>,
     *        now?: \DateTimeInterface|string, correlation_id?: string, causation_id?: string} $options
     * @return array{stream: string, version: int, position: int, events: list<array>}
     *         `position`: the global position of the command's last event
     *         (0 when it appended none), the one to give `waitFor`
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
     * @return list<array{stream: string, version: int, position: int, events: list<array>}>
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
     * @param array{from_version?: int, limit?: int, raw?: bool} $options
     *        `raw`: the events exactly as stored (`type`, `schema` and `data`
     *        as written, one per stored row), not upcast to the current model
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
     * @param array{from_position?: int, limit?: int, raw?: bool} $options
     *        `raw`: as stored, not upcast (see `readStream`)
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

    // ---- the read side: tables, projections, subscriptions ----

    /**
     * The rows of a table (MODEL-LANGUAGE.md §13), in key order, each an
     * array of every column in declared order. Options as an array or as
     * named arguments (`rows('todo_rows', key: ['home'], limit: 20)`).
     *
     * @param array{key?: mixed, after?: list<mixed>, limit?: int} $options
     * @param mixed $key a prefix of the key values, in key order (a lone value: a prefix of one)
     * @param list<mixed>|null $after a whole key: the rows after it (to page)
     * @return list<array<string, mixed>>
     * @throws Exception\UnknownTableException when the domain declares no such table
     * @throws Exception\InvalidCommandException for a bad option (`path` e.g. `options.key[1]`)
     */
    public function rows(string $table, array $options = [], mixed $key = null, ?array $after = null, ?int $limit = null): array
    {
        $options = self::named($options, ['key' => $key, 'after' => $after, 'limit' => $limit]);
        foreach (['key', 'after'] as $name) {
            if (array_key_exists($name, $options)) {
                $options[$name] = self::keyValues($options[$name]);
            }
        }
        return Native::call(
            'engine_rows',
            $this->handle,
            Native::text($table, 'table'),
            $options === [] ? null : Native::encode(Native::options($options), 'options'),
        );
    }

    /**
     * Every projection of the domain, in domain order.
     *
     * @return list<array{name: string, mode: 'inline'|'async', status: 'live'|'rebuilding'|'stopped',
     *         position: int, lag: int, parked: int, error: ?array{code: string, message: string, position: int},
     *         rebuild: ?array{position: int, head: int}}>
     */
    public function projections(): array
    {
        return Native::call('engine_projections', $this->handle);
    }

    /**
     * Read-your-writes: waits until every async projection (or the one
     * named) has folded every event up to `$position` (the `position` of an
     * `execute` result). True when it has; false at the timeout.
     *
     * @param float $timeout seconds
     * @throws Exception\UnknownProjectionException for a name the domain does not declare
     * @throws Exception\EventfoldException of the stored error's code when the projection stopped below `$position`
     */
    public function waitFor(int $position, ?string $projection = null, float $timeout = 30.0): bool
    {
        $options = ['timeout' => self::millis($timeout, 'timeout')];
        if ($projection !== null) {
            $options['projection'] = Native::text($projection, 'projection');
        }
        return (bool) Native::call('engine_wait_for', $this->handle, $position, Native::encode($options, 'options'));
    }

    /**
     * Rebuilds a projection's tables from the first event, in shadow
     * tables while the live ones answer reads, then swaps them in. Blocks
     * until done.
     *
     * @return array{projection: string, position: int, events: int, millis: int, pause_millis: int}
     */
    public function rebuild(string $projection): array
    {
        return Native::call('engine_rebuild', $this->handle, Native::text($projection, 'projection'));
    }

    /**
     * A durable subscription of this code to the store's events, delivered
     * at least once from its checkpoint: `foreach ($engine->subscribe('mailer')
     * as $position => $event)`. A subscription that already has a checkpoint
     * resumes after it (`from` counts only for a new one); the filters given
     * replace the stored ones.
     *
     * @param array{from?: 'start'|'end'|int, models?: list<string>, types?: list<string>} $options
     * @param 'start'|'end'|int|null $from where a new subscription starts (a position: that one included)
     * @param list<string>|null $models only events of these models
     * @param list<string>|null $types only events of these types
     */
    public function subscribe(string $name, array $options = [], string|int|null $from = null, ?array $models = null, ?array $types = null): Subscription
    {
        $options = self::named($options, ['from' => $from, 'models' => $models, 'types' => $types]);
        $handle = Native::create(
            'engine_subscribe',
            'eventfold_subscription',
            $this->handle,
            Native::text($name, 'name'),
            $options === [] ? null : Native::encode(Native::options($options), 'options'),
        );
        return new Subscription($handle, $this, $name);
    }

    /**
     * Every subscription of the store.
     *
     * @return list<array{name: string, checkpoint: int, lag: int, parked: int, models: ?list<string>,
     *         types: ?list<string>, active: bool}>
     */
    public function subscriptions(): array
    {
        return Native::call('engine_subscriptions', $this->handle);
    }

    /**
     * The parked events of a subscription or a projection, oldest first
     * (none for a name with nothing parked).
     *
     * @return list<array{name: string, position: int, reason: string, parked_at: string, event: array}>
     */
    public function parked(string $name): array
    {
        return Native::call('engine_parked', $this->handle, Native::text($name, 'name'));
    }

    // ---- model changes: plan, apply, the registered versions ----

    /**
     * What switching the store to `$domain` would do, without doing it: the
     * ubiquitous language's differences, every stored (type, schema) `$domain`
     * cannot read (`blocking`), a replay of every affected stream with
     * `$domain` (the ones that fail, the ones whose state comes out different,
     * with the difference for a few), and the projections to rebuild.
     * Blocks until the replay is done.
     *
     * @param array{differences?: int} $options `differences`: how many differing
     *        streams are shown with their difference (default 5)
     * @return array{ok: bool,
     *     models: list<array{model: string, from: ?string, to: string, replay: bool}>,
     *     language: list<array{model: string, change: 'added'|'removed'|'changed', kind: string, name: string}>,
     *     blocking: list<array{model: string, type: string, schema: int, events: int, code: string, message: string}>,
     *     replay: array{streams: int, events: int, failed: list<array{stream: string, code: string, message: string}>,
     *         different: int, differences: list<array{stream: string, changes: list<array{path: string, before: mixed, after: mixed}>}>},
     *     projections: list<array{name: string, change: 'new'|'changed'|'removed'}>}
     *     `ok` is false when `blocking` or `replay.failed` is not empty
     */
    public function migratePlan(Domain $domain, array $options = []): array
    {
        return Native::call(
            'engine_migrate_plan',
            $this->handle,
            $domain->handle(),
            $options === [] ? null : Native::encode(Native::options($options), 'options'),
        );
    }

    /**
     * Switches the store to `$domain`, live: builds its snapshots and
     * projection shadows while this model keeps serving, then holds writers
     * off for the last catch-up and switches the active model and the
     * tables in one transaction. Afterwards this engine runs `$domain`
     * (`domain()` gives it). Blocks until done.
     *
     * @return array{models: list<array{model: string, from: ?string, to: string}>, snapshots: int,
     *     projections: list<string>, events: int, caught_up: int, position: int,
     *     millis: float, pause_millis: float}
     *     `pause_millis`: how long writers were held off; `caught_up`: the
     *     events written during the build that the pause folded
     * @throws Exception\EventfoldException of the first blocking item's code
     *     (`UnknownEventException` for a stored event `$domain` cannot read, or
     *     a failing stream's own code) when the plan is not `ok`; nothing is switched
     */
    public function migrateApply(Domain $domain): array
    {
        $applied = Native::call('engine_migrate_apply', $this->handle, $domain->handle(), null);
        $this->domain = $domain;
        return $applied;
    }

    /**
     * Every model version registered in the store, each with whether it is
     * the active one of its model.
     *
     * @return list<array{model: string, revision: string, fingerprint: string, active: bool,
     *     registered_at: string, activated_at: ?string}> `activated_at`: null for one never active
     */
    public function modelVersions(): array
    {
        return Native::call('engine_model_versions', $this->handle);
    }

    /** Options given both as an array and as named arguments: the named ones win. */
    private static function named(array $options, array $named): array
    {
        return array_filter($named, static fn ($v) => $v !== null) + $options;
    }

    /** Key values as JSON takes them: a `DateTimeInterface` is RFC 3339. */
    private static function keyValues(mixed $values): mixed
    {
        if ($values instanceof \DateTimeInterface) {
            return Native::timestamp($values);
        }
        return is_array($values)
            ? array_map(static fn ($v) => $v instanceof \DateTimeInterface ? Native::timestamp($v) : $v, $values)
            : $values;
    }

    /** @internal Seconds as the library's whole milliseconds, rounded up. */
    public static function millis(float $seconds, string $name): int
    {
        if (!is_finite($seconds) || $seconds < 0) {
            throw Exception\EventfoldException::of(
                'invalid_command',
                "`$name` must be a number of seconds of at least 0, not $seconds",
                ['path' => $name],
            );
        }
        // 2^53 ms is 285,000 years: past it a float no longer holds whole numbers.
        return (int) min(ceil($seconds * 1000), 9007199254740992.0);
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

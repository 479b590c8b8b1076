<?php

declare(strict_types=1);

namespace Eventfold;

use FFI;
use FFI\CData;

/**
 * Compiled models: the pure verbs, no store. Immutable, so one instance may
 * serve every request of a worker.
 *
 * Values go in as PHP arrays (or JSON text, taken as is) and come out as
 * arrays; JSON objects become associative arrays. Every failure is an
 * `Exception\EventfoldException` of the error's code.
 */
final class Domain
{
    private ?Schema $schema = null;

    private function __construct(private readonly CData $handle)
    {
    }

    /**
     * Compiles model files into one domain.
     *
     * @param array<string, string>|list<array{name: string, text: string}> $sources
     *        `['todos.model' => $text, ...]`; the names appear in diagnostics.
     * @throws Exception\ModelErrorException with every diagnostic
     */
    public static function compile(array $sources): self
    {
        $list = [];
        foreach ($sources as $name => $source) {
            $list[] = is_array($source) ? $source : ['name' => (string) $name, 'text' => $source];
        }
        return new self(Native::create('domain_compile', 'eventfold_domain', Native::encode($list, 'sources')));
    }

    /** @internal Wraps a handle the library made (`eventfold_engine_domain`); frees it when dropped. */
    public static function fromHandle(CData $handle): self
    {
        return new self($handle);
    }

    /**
     * Compiles model files read from disk, by the core
     * (`eventfold_domain_compile_files`); the paths appear in diagnostics
     * as given.
     *
     * @throws Exception\IoErrorException a file that cannot be read (`$path` names it)
     * @throws Exception\ModelErrorException with every diagnostic
     */
    public static function fromFiles(string ...$paths): self
    {
        $ffi = Native::ffi();
        $count = count($paths);
        $array = $ffi->new('const char*[' . max($count, 1) . ']');
        $buffers = [];
        foreach (array_values($paths) as $i => $path) {
            $path = Native::text($path, 'paths');
            $buffer = $ffi->new('char[' . (strlen($path) + 1) . ']');
            FFI::memcpy($buffer, $path, strlen($path));
            $buffers[] = $buffer; // alive until the call returns
            $array[$i] = FFI::cast('const char*', FFI::addr($buffer[0]));
        }
        return new self(Native::create('domain_compile_files', 'eventfold_domain', $array, $count));
    }

    /** @return list<string> the names of the models */
    public function models(): array
    {
        return Native::call('domain_models', $this->handle);
    }

    /**
     * The whole ubiquitous language: models (state, records, enums,
     * commands, events with their `version`, `upcasts`, queries, docs), the
     * domain's `tables` and `projections`, and `tzdb`.
     *
     * @return array{
     *     models: list<array{name: string, doc: string, events: list<array{name: string, version: int, doc: string, fields: list<array>}>,
     *         upcasts: list<array{name: string, version: int, doc: string, fields: list<array>, emits: list<array{name: string, version: int}>}>, ...}>,
     *     tables: list<array{name: string, doc: string, key: list<string>, projection: string,
     *         columns: list<array{name: string, type: string, key: bool, optional: bool, default: mixed, doc: string}>}>,
     *     projections: list<array{name: string, mode: 'inline'|'async', doc: string,
     *         handles: list<array{model: string, event: string}>, writes: list<string>}>,
     *     tzdb: string,
     * }
     */
    public function describe(): array
    {
        return Native::call('domain_describe', $this->handle);
    }

    public function initialState(string $model): array
    {
        return Native::call('domain_initial_state', $this->handle, Native::text($model, 'model'));
    }

    /**
     * The events a command emits on a state (null: the initial state).
     *
     * @param array|string $command `['type' => 'create-new', 'data' => [...], 'metadata' => [...]]`
     * @param \DateTimeInterface|string|null $now the time the model sees (null: the clock)
     * @return list<array{type: string, data: array}>
     * @throws Exception\RejectedException when the model refuses the command
     */
    public function propose(string $model, mixed $state, mixed $command, \DateTimeInterface|string|null $now = null): array
    {
        $schema = $this->schema();
        return Native::call(
            'domain_propose',
            $this->handle,
            Native::text($model, 'model'),
            Native::encodeOptional($schema->state($model, $state), 'state'),
            Native::encode($schema->message($model, 'commands', $command), 'command'),
            $now instanceof \DateTimeInterface ? Native::timestamp($now) : ($now === null ? null : Native::text($now, 'now')),
        );
    }

    /**
     * The state after one event (on `$state`, null: the initial state). An
     * event of an older `schema` is upcast first, and every event it
     * becomes is folded.
     *
     * @param array|string $event `['type' => 'created', 'schema' => 1, 'data' => [...]]`
     */
    public function accept(string $model, mixed $state, mixed $event): array
    {
        $schema = $this->schema();
        return Native::call(
            'domain_accept',
            $this->handle,
            Native::text($model, 'model'),
            Native::encodeOptional($schema->state($model, $state), 'state'),
            Native::encode($schema->message($model, 'events', $event), 'event'),
        );
    }

    /**
     * The state after a list of events, folded over `$state` (null: the
     * initial state); each may name its `schema`, as for `accept`.
     */
    public function replay(string $model, mixed $events, mixed $state = null): array
    {
        $schema = $this->schema();
        return Native::call(
            'domain_replay',
            $this->handle,
            Native::text($model, 'model'),
            Native::encode($schema->events($model, $events), 'events'),
            Native::encodeOptional($schema->state($model, $state), 'state'),
        );
    }

    /**
     * A stored event as the current model reads it (MODEL-LANGUAGE.md §12):
     * the events of the current version it becomes, none, one or several.
     *
     * @param array|string $event `['type' => 'todo-added', 'schema' => 1, 'data' => [...]]`;
     *        a left-out `schema` is the newest version of that name
     * @return list<array{type: string, schema: int, data: array}>
     * @throws Exception\InvalidEventException for a `schema` that is not an int >= 1 (path `schema`) or data of the wrong shape
     * @throws Exception\UnknownEventException for a name or version the model does not declare
     */
    public function upcast(string $model, mixed $event): array
    {
        return Native::call(
            'domain_upcast',
            $this->handle,
            Native::text($model, 'model'),
            Native::encode($this->schema()->message($model, 'events', $event), 'event'),
        );
    }

    /**
     * The tables of a projection after folding `$events` in order onto
     * `$tables` (null: every table empty), MODEL-LANGUAGE.md §13.
     *
     * @param array|string $events `[['model' => 'Todos', 'id' => 'a', 'type' => 'created', 'data' => [...]], ...]`,
     *        each with optional `schema`, `version`, `position`, `recorded_at`, `metadata` and `event_id`
     * @param array<string, list<array>>|string|null $tables `['todo_rows' => [$row, ...]]`
     * @return array<string, list<array<string, mixed>>> every table the projection writes, rows in key order
     * @throws Exception\UnknownProjectionException when the domain declares no projection of that name
     * @throws Exception\EvaluationErrorException when a handler fails (an insert of a key already there)
     */
    public function project(string $projection, mixed $events, mixed $tables = null): array
    {
        $schema = $this->schema();
        return Native::call(
            'domain_project',
            $this->handle,
            Native::text($projection, 'projection'),
            Native::encode($schema->projectEvents($events), 'events'),
            Native::encodeOptional($schema->tables($tables), 'tables'),
        );
    }

    /** The value of a query on a state (null: the initial state). */
    public function query(string $model, mixed $state, string $name, mixed $args = []): mixed
    {
        $schema = $this->schema();
        return Native::call(
            'domain_query',
            $this->handle,
            Native::text($model, 'model'),
            Native::encodeOptional($schema->state($model, $state), 'state'),
            Native::text($name, 'name'),
            Native::encodeOptional($schema->args($model, $name, $args), 'args'),
        );
    }

    /** @internal */
    public function handle(): CData
    {
        return $this->handle;
    }

    /** @internal The types of the models, read once. */
    public function schema(): Schema
    {
        return $this->schema ??= new Schema($this->describe());
    }

    public function __destruct()
    {
        Native::ffi()->eventfold_domain_free($this->handle);
    }

    private function __clone()
    {
    }
}

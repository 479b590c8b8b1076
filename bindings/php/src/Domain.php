<?php

declare(strict_types=1);

namespace Eventfold;

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

    /** Compiles model files read from disk. */
    public static function fromFiles(string ...$paths): self
    {
        $sources = [];
        foreach ($paths as $path) {
            $text = @file_get_contents($path);
            if ($text === false) {
                throw Exception\EventfoldException::of('store_error', "cannot read the model file $path");
            }
            $sources[] = ['name' => $path, 'text' => $text];
        }
        return self::compile($sources);
    }

    /** @return list<string> the names of the models */
    public function models(): array
    {
        return Native::call('domain_models', $this->handle);
    }

    /** The whole ubiquitous language: models, state, commands, events, queries, docs. */
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

    /** The state after one event (on `$state`, null: the initial state). */
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

    /** The state after a list of events, folded over `$state` (null: the initial state). */
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

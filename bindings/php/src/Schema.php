<?php

declare(strict_types=1);

namespace Eventfold;

/**
 * @internal PHP has one array for JSON's `[]` and `{}`, so an empty map or
 * record (`'todos' => []`) would be sent as a list and refused. This walks a
 * value along the types of the domain (from `describe`) and turns every map
 * and record into an object, so that what a call returned can be given back.
 */
final class Schema
{
    /** @var array<string, array{state: array, records: array, commands: array, events: array, queries: array, upcasts: array}> */
    private array $models = [];

    /** @var array<string, array<string, string>> each table's column types */
    private array $tables = [];

    public function __construct(array $describe)
    {
        foreach ($describe['tables'] ?? [] as $t) {
            $this->tables[$t['name']] = array_column($t['columns'] ?? [], 'type', 'name');
        }
        foreach ($describe['models'] ?? [] as $m) {
            $fields = static fn (array $list): array => array_column($list, 'type', 'name');
            $named = static function (array $list, string $key) use ($fields): array {
                $out = [];
                foreach ($list as $item) {
                    $out[$item['name']] = $fields($item[$key] ?? []);
                }
                return $out;
            };
            $this->models[$m['name']] = [
                'state' => $fields($m['state'] ?? []),
                'records' => $named($m['records'] ?? [], 'fields'),
                'commands' => $named($m['commands'] ?? [], 'params'),
                'events' => $named($m['events'] ?? [], 'fields'),
                'queries' => $named($m['queries'] ?? [], 'params'),
                'upcasts' => [],
            ];
            // The stored shapes of older versions (§12), by name and version.
            foreach ($m['upcasts'] ?? [] as $u) {
                $this->models[$m['name']]['upcasts'][$u['name']][(int) ($u['version'] ?? 1)] = $fields($u['fields'] ?? []);
            }
        }
    }

    public function state(string $model, mixed $state): mixed
    {
        return $this->fields($model, $this->models[$model]['state'] ?? null, $state);
    }

    /** A command or an event: `data` along its declaration, `metadata` an object. */
    public function message(string $model, string $kind, mixed $message): mixed
    {
        if (!is_array($message) || (array_is_list($message) && $message !== [])) {
            return $message;
        }
        $type = is_string($message['type'] ?? null) ? $message['type'] : '';
        if (array_key_exists('data', $message)) {
            $fields = $kind === 'events'
                ? $this->eventFields($model, $type, $message['schema'] ?? null)
                : ($this->models[$model][$kind][$type] ?? null);
            $message['data'] = $this->fields($model, $fields, $message['data']);
        }
        if (is_array($message['metadata'] ?? null)) {
            $message['metadata'] = (object) $message['metadata'];
        }
        if (($message['recorded_at'] ?? null) instanceof \DateTimeInterface) {
            $message['recorded_at'] = Native::timestamp($message['recorded_at']);
        }
        return (object) $message;
    }

    /**
     * The fields of the event `$type` at version `$schema` (null: the
     * newest, §8): the current event's, or an upcast's for an older shape.
     */
    private function eventFields(string $model, string $type, mixed $schema): ?array
    {
        $m = $this->models[$model] ?? null;
        if ($m === null) {
            return null;
        }
        $older = $m['upcasts'][$type] ?? [];
        if (is_int($schema) && isset($older[$schema])) {
            return $older[$schema];
        }
        if ($schema === null && !isset($m['events'][$type]) && $older !== []) {
            return $older[max(array_keys($older))];
        }
        return $m['events'][$type] ?? null;
    }

    /** The events of `project`: each along the events of its own `model`. */
    public function projectEvents(mixed $events): mixed
    {
        if (!is_array($events) || !array_is_list($events)) {
            return $events;
        }
        return array_map(
            fn ($e) => is_array($e) && is_string($e['model'] ?? null) ? $this->message($e['model'], 'events', $e) : $e,
            $events,
        );
    }

    /** The tables of `project`, `{"table": [rows]}`: an object, each row along its columns. */
    public function tables(mixed $tables): mixed
    {
        if (!is_array($tables) || (array_is_list($tables) && $tables !== [])) {
            return $tables;
        }
        $out = [];
        foreach ($tables as $name => $rows) {
            $columns = $this->tables[$name] ?? null;
            $out[$name] = is_array($rows) && array_is_list($rows)
                ? array_map(fn ($row) => $this->fields('', $columns, $row), $rows)
                : $rows;
        }
        return (object) $out;
    }

    public function events(string $model, mixed $events): mixed
    {
        if (!is_array($events) || !array_is_list($events)) {
            return $events;
        }
        return array_map(fn ($e) => $this->message($model, 'events', $e), $events);
    }

    public function args(string $model, string $query, mixed $args): mixed
    {
        return $this->fields($model, $this->models[$model]['queries'][$query] ?? null, $args);
    }

    /** An object of declared fields (null: unknown, taken as they are). */
    private function fields(string $model, ?array $fields, mixed $value): mixed
    {
        if (!is_array($value) || (array_is_list($value) && $value !== [])) {
            return $value; // not an object: the library says where and why
        }
        $out = [];
        foreach ($value as $key => $item) {
            $type = $fields[$key] ?? null;
            $out[$key] = $type === null ? $item : $this->value($model, $type, $item);
        }
        return (object) $out;
    }

    private function value(string $model, string $type, mixed $value): mixed
    {
        if ($value instanceof \DateTimeInterface) {
            return Native::timestamp($value);
        }
        if (!is_array($value)) {
            return $value;
        }
        $type = rtrim(trim($type), '?');
        if (str_starts_with($type, 'list<')) {
            $item = substr($type, 5, -1);
            return array_is_list($value) ? array_map(fn ($v) => $this->value($model, $item, $v), $value) : $value;
        }
        if (str_starts_with($type, 'map<')) {
            // Keys are strings, so the first comma ends the key type.
            $item = trim(substr($type, strpos($type, ',') + 1, -1));
            $out = [];
            foreach ($value as $key => $v) {
                $out[$key] = $this->value($model, $item, $v);
            }
            return (object) $out;
        }
        if (isset($this->models[$model]['records'][$type])) {
            return $this->fields($model, $this->models[$model]['records'][$type], $value);
        }
        // Outside a model (a table's column), a record is `Model.Record`.
        $dot = strpos($type, '.');
        if ($dot !== false && isset($this->models[substr($type, 0, $dot)]['records'][substr($type, $dot + 1)])) {
            $owner = substr($type, 0, $dot);
            return $this->fields($owner, $this->models[$owner]['records'][substr($type, $dot + 1)], $value);
        }
        return $value;
    }
}

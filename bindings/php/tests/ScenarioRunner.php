<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Domain;
use Eventfold\Exception\EventfoldException;
use Eventfold\Exception\ModelErrorException;
use Eventfold\Exception\RejectedException;

/**
 * The shared given/when/then cases (../shared/scenarios/README.md), of
 * version 0 and of version 1 (`v1/`), run through the public PHP API:
 * replay for `given`, propose for `when`, accept for the state after, query
 * for `query`, upcast for `upcast`, project for `projection`.
 */
final class ScenarioRunner
{
    /** @var array<string, Domain|EventfoldException> */
    private array $domains = [];

    public static function directory(): string
    {
        $env = getenv('EVENTFOLD_SCENARIOS');
        return is_string($env) && $env !== '' ? $env : dirname(__DIR__, 4) . '/shared/scenarios';
    }

    /**
     * Every case of `*.scenarios.json` and `v1/*.scenarios.json`.
     *
     * @return array<string, array{string, array, array}> "file: case" => [file, spec, case],
     *         the file named from the scenarios directory (`v1/board.scenarios.json`)
     */
    public static function cases(): array
    {
        $dir = self::directory();
        $files = [...(glob("$dir/*.scenarios.json") ?: []), ...(glob("$dir/v1/*.scenarios.json") ?: [])];
        $out = [];
        foreach ($files as $file) {
            $spec = json_decode((string) file_get_contents($file), true, 512, JSON_THROW_ON_ERROR);
            $label = substr($file, strlen($dir) + 1);
            foreach ($spec['cases'] as $case) {
                $out["$label: {$case['name']}"] = [$file, $spec, $case];
            }
        }
        return $out;
    }

    /** Null when the case passes, else what was expected and what came. */
    public function run(string $file, array $spec, array $case): ?string
    {
        $dir = dirname($file);
        if (!isset($spec['model'])) {
            return $this->check($dir, $case);
        }
        $domain = $this->domains[$file] ??= $this->compile(array_map(fn ($f) => "$dir/$f", $spec['files']));
        if ($domain instanceof EventfoldException) {
            return 'the models do not compile: ' . $domain->getMessage();
        }
        try {
            if (array_key_exists('upcast', $case)) {
                return $this->upcastCase($domain, $spec['model'], $case);
            }
            if (isset($case['projection'])) {
                return $this->projectionCase($domain, $case);
            }
            return $this->modelCase($domain, $spec['model'], $case);
        } catch (EventfoldException $e) {
            return $this->expectError($case, $e);
        }
    }

    private function compile(array $files): Domain|EventfoldException
    {
        try {
            return Domain::fromFiles(...$files);
        } catch (EventfoldException $e) {
            return $e;
        }
    }

    /** `upcast` / `events`: the events in order, each whole. */
    private function upcastCase(Domain $domain, string $model, array $case): ?string
    {
        $events = $domain->upcast($model, $case['upcast']);
        if (!array_key_exists('events', $case)) {
            return self::expectation($case) . ', got events ' . self::json($events);
        }
        return self::same($events, $case['events']) ? null
            : 'events ' . self::json($case['events']) . ', got events ' . self::json($events);
    }

    /** `projection`: `given` folded through project onto `tables`, compared with `rows`. */
    private function projectionCase(Domain $domain, array $case): ?string
    {
        $tables = $domain->project($case['projection'], $case['given'] ?? [], $case['tables'] ?? null);
        if (!array_key_exists('rows', $case)) {
            return self::expectation($case) . ', got rows ' . self::json($tables);
        }
        return self::same($tables, $case['rows']) ? null
            : 'rows ' . self::json($case['rows']) . ', got rows ' . self::json($tables);
    }

    private function modelCase(Domain $domain, string $model, array $case): ?string
    {
        $then = $case['then'] ?? [];
        $state = $domain->replay($model, $case['given'] ?? []);
        $command = array_key_exists('when_raw', $case) ? $case['when_raw'] : ($case['when'] ?? null);
        if ($command !== null) {
            try {
                $events = $domain->propose($model, $state, $command, $case['now'] ?? null);
            } catch (RejectedException $e) {
                if (!array_key_exists('rejected', $then)) {
                    throw $e;
                }
                $got = ['reason' => $e->reason, 'message' => $e->getMessage()];
                return self::same($got, $then['rejected']) ? null
                    : 'rejected ' . self::json($then['rejected']) . ', got rejected ' . self::json($got);
            }
            if (!array_key_exists('events', $then)) {
                return self::expectation($case) . ', got events ' . self::json($events);
            }
            if (!self::same($events, $then['events'])) {
                return 'events ' . self::json($then['events']) . ', got events ' . self::json($events);
            }
            foreach ($events as $event) {
                $state = $domain->accept($model, $state, $event);
            }
            return $this->compareState($case, $state);
        }
        if (isset($case['query'])) {
            $result = $domain->query($model, $state, $case['query']['name'], $case['query']['args'] ?? []);
            if (!array_key_exists('result', $case)) {
                return self::expectation($case) . ', got result ' . self::json($result);
            }
            return self::same($result, $case['result']) ? null
                : 'result ' . self::json($case['result']) . ', got result ' . self::json($result);
        }
        if (isset($then['error'])) {
            return self::expectation($case) . ', got state ' . self::json($state);
        }
        return $this->compareState($case, $state);
    }

    private function compareState(array $case, mixed $state): ?string
    {
        if (array_key_exists('state', $case) && !self::same($state, $case['state'])) {
            return 'state ' . self::json($case['state']) . ', got state ' . self::json($state);
        }
        return null;
    }

    private function expectError(array $case, EventfoldException $e): ?string
    {
        $want = $case['then']['error'] ?? null;
        $got = 'error ' . self::json($e->details);
        if ($want === null) {
            return self::expectation($case) . ", got $got";
        }
        $ok = $want['code'] === $e->errorCode;
        if (array_key_exists('path', $want)) {
            $ok = $ok && $want['path'] === $e->path;
        }
        return $ok ? null : 'error ' . self::json($want) . ", got $got";
    }

    private function check(string $dir, array $case): ?string
    {
        $sources = isset($case['source'])
            ? ['source.model' => $case['source']]
            : array_combine($case['files'], array_map(fn ($f) => (string) file_get_contents("$dir/$f"), $case['files']));
        try {
            Domain::compile($sources);
            return ($case['ok'] ?? false) ? null : 'diagnostics ' . self::json($case['diagnostics'] ?? []) . ', got a model that compiles';
        } catch (ModelErrorException $e) {
            if ($case['ok'] ?? false) {
                return 'the model compiles, got ' . $e->getMessage();
            }
            $got = $e->diagnostics;
            $used = [];
            foreach ($case['diagnostics'] ?? [] as $want) {
                $found = null;
                foreach ($got as $i => $d) {
                    if (isset($used[$i])) {
                        continue;
                    }
                    if ((!isset($want['line']) || $want['line'] === $d['line'])
                        && (!isset($want['column']) || $want['column'] === $d['column'])
                        && (!isset($want['contains']) || str_contains(mb_strtolower($d['message']), mb_strtolower($want['contains'])))) {
                        $found = $i;
                        break;
                    }
                }
                if ($found === null) {
                    return 'a diagnostic like ' . self::json($want) . ', got ' . self::json($got);
                }
                $used[$found] = true;
            }
            return null;
        } catch (EventfoldException $e) {
            return 'model_error, got error ' . self::json($e->details);
        }
    }

    private static function expectation(array $case): string
    {
        $then = $case['then'] ?? [];
        foreach (['error', 'rejected', 'events'] as $key) {
            if (array_key_exists($key, $then)) {
                return "$key " . self::json($then[$key]);
            }
        }
        foreach (['result', 'events', 'rows'] as $key) {
            if (array_key_exists($key, $case)) {
                return "$key " . self::json($case[$key]);
            }
        }
        return 'state ' . self::json($case['state'] ?? null);
    }

    /** JSON equality as the scenarios define it: keys in any order, numbers by value. */
    public static function same(mixed $a, mixed $b): bool
    {
        if ((is_int($a) || is_float($a)) && (is_int($b) || is_float($b))) {
            return $a == $b;
        }
        if (is_array($a) && is_array($b)) {
            if (count($a) !== count($b)) {
                return false;
            }
            foreach ($a as $k => $v) {
                if (!array_key_exists($k, $b) || !self::same($v, $b[$k])) {
                    return false;
                }
            }
            return true;
        }
        return $a === $b;
    }

    private static function json(mixed $v): string
    {
        return json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
    }
}

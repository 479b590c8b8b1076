<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception;
use Eventfold\Exception\EventfoldException;
use Eventfold\Native;
use PHPUnit\Framework\TestCase;

/** The exception classes against the core's table of codes and fields (`eventfold_error_table`). */
final class ErrorTableTest extends TestCase
{
    /** @return list<array{code: string, fields: list<string>, doc: string}> */
    private static function table(): array
    {
        return Native::call('error_table');
    }

    /** A value of the type each field has, to see it come out again. */
    private static function sample(string $field): mixed
    {
        return match ($field) {
            'diagnostics' => [['file' => 'a.model', 'line' => 1, 'column' => 2, 'message' => 'm']],
            'expected' => 3,
            'actual' => 4,
            default => "the $field",
        };
    }

    public function testEveryCodeHasItsClassAndStatus(): void
    {
        $codes = array_column(self::table(), 'code');
        $this->assertCount(18, $codes);
        $this->assertEqualsCanonicalizing($codes, array_keys(EventfoldException::CLASSES));
        $ffi = Native::ffi();
        foreach ($codes as $code) {
            $e = EventfoldException::of($code, 'm');
            $this->assertInstanceOf(EventfoldException::CLASSES[$code], $e);
            $this->assertSame($code, $e->errorCode);
            // getCode() is the C status of the code.
            $this->assertSame($code, $ffi->eventfold_status_code($e->getCode()), "status of $code");
        }
    }

    public function testAMissingModelFileIsIoErrorNamingIt(): void
    {
        $missing = sys_get_temp_dir() . '/eventfold-no-such-' . getmypid() . '.model';
        try {
            Domain::fromFiles(__DIR__ . '/../../../examples/todos/todos.model', $missing);
            $this->fail('no io_error');
        } catch (Exception\IoErrorException $e) {
            $this->assertSame('io_error', $e->errorCode);
            $this->assertSame($missing, $e->path);
            $this->assertStringContainsString($missing, $e->getMessage());
        }
    }

    /** Runs a one-line program in a fresh php with `$flags`; returns its output. */
    private static function php(string $flags, string $code): string
    {
        $bootstrap = var_export(__DIR__ . '/bootstrap.php', true);
        $model = var_export(__DIR__ . '/../../../examples/todos/todos.model', true);
        $program = "require $bootstrap; try { $code } catch (\\Throwable \$e) { echo get_class(\$e), ': ', \$e->getMessage(); }";
        $program = str_replace('MODEL', $model, $program);
        $out = shell_exec(escapeshellarg(PHP_BINARY) . " $flags -r " . escapeshellarg($program) . ' 2>&1');
        return (string) $out;
    }

    public function testFfiOffSaysWhichIniLineToAdd(): void
    {
        $out = self::php('-d ffi.enable=0', 'Eventfold\\Domain::fromFiles(MODEL); echo "compiled";');
        $this->assertStringContainsString('LogicException', $out);
        $this->assertStringContainsString('Add the line `ffi.enable=true` to php.ini', $out);
        $on = self::php('-d ffi.enable=1', 'echo implode(",", Eventfold\\Domain::fromFiles(MODEL)->models());');
        $this->assertSame('Todos', $on);
    }

    public function testNoFfiExtensionSaysWhichIniLineToAdd(): void
    {
        // -n: no php.ini, so a shared ext-ffi is not loaded.
        if (trim(self::php('-n', 'echo extension_loaded("ffi") ? "yes" : "no";')) !== 'no') {
            $this->markTestSkipped('ext-ffi is built into this php');
        }
        $out = self::php('-n', 'Eventfold\\Domain::fromFiles(MODEL);');
        $this->assertStringContainsString('add the line `extension=ffi` to php.ini', $out);
    }

    public function testEveryFieldOfTheTableIsAProperty(): void
    {
        foreach (self::table() as $spec) {
            $details = ['code' => $spec['code'], 'message' => 'm'];
            foreach ($spec['fields'] as $field) {
                $details[$field] = self::sample($field);
            }
            $e = EventfoldException::fromDetails($details);
            foreach ($spec['fields'] as $field) {
                $this->assertTrue(property_exists($e, $field), "{$spec['code']} has \$$field");
                $this->assertSame(self::sample($field), $e->$field, "{$spec['code']}->$field");
            }
        }
    }

    public function testAStoreErrorCarriesItsKind(): void
    {
        $store = array_values(array_filter(self::table(), fn ($s) => $s['code'] === 'store_error'))[0];
        $this->assertSame(['busy', 'unavailable', 'corrupt', 'closed', 'io'], $store['kinds']);
        $engine = Engine::open('memory:', Domain::compile(['counter.model' => DomainTest::COUNTER]));
        $engine->close();
        try {
            $engine->load('Counter', 'a');
            $this->fail('no store_error after close');
        } catch (Exception\StoreErrorException $e) {
            $this->assertSame('closed', $e->kind);
        }
    }

    public function testABadOptionIsTheCoresInvalidCommand(): void
    {
        $d = Domain::compile(['counter.model' => DomainTest::COUNTER]);
        try {
            Engine::open('memory:', $d, ['cache' => 1]);
            $this->fail('an unknown option was taken');
        } catch (Exception\InvalidCommandException $e) {
            $this->assertSame('options.cache', $e->path);
            $this->assertStringContainsString('cache_capacity, snapshot_every, max_attempts', $e->getMessage());
        }
        $engine = Engine::open('memory:', $d);
        try {
            $engine->readStream('Counter-a', ['fromVersion' => -1]);
            $this->fail('a negative version was taken');
        } catch (Exception\InvalidCommandException $e) {
            $this->assertSame('options.from_version', $e->path);
        }
    }

    /** The depth PHP checks itself is reported with the name the core gives the same fault. */
    public function testTheDepthLimitHasTheCoresName(): void
    {
        $d = Domain::compile(['counter.model' => DomainTest::COUNTER]);
        $deep = 1;
        for ($i = 0; $i < 100; $i++) {
            $deep = [$deep];
        }
        $limits = [];
        // As text the core checks the depth; as an array, PHP does.
        foreach (['text' => json_encode($deep), 'array' => $deep] as $what => $events) {
            try {
                $d->replay('Counter', $events);
                $this->fail("no limit_exceeded for $what");
            } catch (Exception\LimitExceededException $e) {
                $limits[$what] = $e->limit;
            }
        }
        $this->assertSame('max_input_depth', $limits['text']);
        $this->assertSame($limits['text'], $limits['array']);
    }
}

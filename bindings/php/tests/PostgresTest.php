<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception\StoreErrorException;
use PHPUnit\Framework\TestCase;

/**
 * A smoke test of the PostgreSQL store through PHP: the same engine on an
 * SQLite file and on a PostgreSQL schema of its own (`t_php_<pid>_<n>`).
 * `make test` starts a server and sets EVENTFOLD_TEST_POSTGRES to its URL
 * and EVENTFOLD_REQUIRE_POSTGRES; without a server the PostgreSQL case is
 * skipped, unless one is required. The schemas of this process are dropped
 * before and after, with `psql` (no driver to install).
 */
final class PostgresTest extends TestCase
{
    private const PASSWORD = 's3cret-pw';
    private static int $schemas = 0;
    private string $dir;

    private static function server(): ?string
    {
        $url = getenv('EVENTFOLD_TEST_POSTGRES');
        return is_string($url) && $url !== '' ? $url : null;
    }

    private static function prefix(): string
    {
        return 't_php_' . getmypid() . '_';
    }

    public static function setUpBeforeClass(): void
    {
        self::dropSchemas();
    }

    public static function tearDownAfterClass(): void
    {
        self::dropSchemas();
    }

    protected function setUp(): void
    {
        $this->dir = sys_get_temp_dir() . '/eventfold-php-pg-' . bin2hex(random_bytes(6));
        mkdir($this->dir);
    }

    protected function tearDown(): void
    {
        foreach (glob("$this->dir/*") ?: [] as $f) {
            unlink($f);
        }
        rmdir($this->dir);
    }

    private static function todos(): Domain
    {
        return Domain::fromFiles(dirname(__DIR__, 3) . '/examples/todos/todos.model');
    }

    /** @return array<string, array{string}> */
    public static function stores(): array
    {
        return ['sqlite' => ['sqlite'], 'postgres' => ['postgres']];
    }

    /** A new store of `$kind`: an SQLite file, or a schema of its own on the test server. */
    private function store(string $kind): string
    {
        if ($kind === 'sqlite') {
            return "sqlite:$this->dir/events.db";
        }
        $server = self::server();
        if ($server === null) {
            if ((string) getenv('EVENTFOLD_REQUIRE_POSTGRES') !== '') {
                $this->fail('EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_POSTGRES is not');
            }
            $this->markTestSkipped('no PostgreSQL server (set EVENTFOLD_TEST_POSTGRES=postgres://user:pass@host:port/db)');
        }
        $name = self::prefix() . ++self::$schemas;
        return $server . (str_contains($server, '?') ? '&' : '?') . "schema=$name";
    }

    private static function create(string $id, string $text): array
    {
        return ['type' => 'create-new', 'data' => ['id' => $id, 'text' => $text]];
    }

    /** @dataProvider stores */
    public function testExecuteAndReadTheRows(string $kind): void
    {
        $url = $this->store($kind);
        $engine = Engine::open($url, self::todos());
        $engine->execute('Todos', 'home', self::create('a', 'Buy milk'));
        $engine->execute('Todos', 'home', self::create('b', 'Call mum'));
        $first = $engine->execute('Todos', 'work', self::create('c', 'Ship it'), ['commandId' => 'c-1']);
        $this->assertSame($first, $engine->execute('Todos', 'work', self::create('c', 'Ship it'), ['commandId' => 'c-1']));
        $engine->execute('Todos', 'home', ['type' => 'change-completed', 'data' => ['id' => 'a', 'completed' => true]]);
        $this->assertSame(3, $engine->load('Todos', 'home')['version']);
        $this->assertSame([1, 2, 3, 4], array_map(fn ($e) => $e['position'], $engine->readAll()));
        $rows = $engine->rows('todo_rows');
        $this->assertSame(
            [['home', 'a', true], ['home', 'b', false], ['work', 'c', false]],
            array_map(fn ($r) => [$r['list_id'], $r['id'], $r['completed']], $rows)
        );
        $this->assertSame(['list_id', 'id', 'text', 'completed', 'done_at'], array_keys($rows[0]));
        $engine->close();

        // Another engine on the same store reads what the first wrote.
        $engine = Engine::open($url, self::todos());
        $this->assertSame(['a', 'b'], array_map(fn ($r) => $r['id'], $engine->rows('todo_rows', key: 'home')));
        $this->assertSame(4, $engine->execute('Todos', 'home', self::create('d', 'Tea'))['version']);
        $engine->close();
    }

    public function testABadPostgresUrlIsUnavailableAndHidesThePassword(): void
    {
        $password = self::PASSWORD;
        foreach (["postgres://ann:$password@127.0.0.1:1/db", "postgres://ann:$password@127.0.0.1/db?schema=Bad-Name"] as $url) {
            try {
                Engine::open($url, self::todos())->close();
                $this->fail("$url opened");
            } catch (StoreErrorException $e) {
                $this->assertSame('unavailable', $e->kind, $e->getMessage());
                $this->assertStringNotContainsString($password, $e->getMessage());
                $this->assertStringContainsString('ann:***@', $e->getMessage());
            }
        }
    }

    private static function psql(): ?string
    {
        foreach (explode(PATH_SEPARATOR, (string) getenv('PATH')) as $dir) {
            if ($dir !== '' && is_executable("$dir/psql")) {
                return "$dir/psql";
            }
        }
        $found = glob('/usr/lib/postgresql/*/bin/psql') ?: [];
        usort($found, fn ($a, $b) => (int) basename(dirname($a, 2)) <=> (int) basename(dirname($b, 2)));
        return $found === [] ? null : end($found);
    }

    /** Drops the schemas of this process (by their prefix), one transaction each. */
    private static function dropSchemas(): void
    {
        $server = self::server();
        if ($server === null) {
            return;
        }
        $psql = self::psql();
        if ($psql === null) {
            fwrite(STDERR, 'no psql: the schemas ' . self::prefix() . "* are left on the test server\n");
            return;
        }
        $args = array_map('escapeshellarg', [$psql, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', explode('?', $server)[0]]);
        $base = implode(' ', $args);
        $like = str_replace('_', '\\_', self::prefix()) . '%';
        $names = [];
        exec("$base -c " . escapeshellarg("SELECT nspname FROM pg_namespace WHERE nspname LIKE '$like'"), $names);
        $drops = array_map(fn ($n) => '-c ' . escapeshellarg("DROP SCHEMA IF EXISTS \"$n\" CASCADE"), array_filter($names));
        if ($drops !== []) {
            exec("$base " . implode(' ', $drops) . ' > /dev/null');
        }
    }
}

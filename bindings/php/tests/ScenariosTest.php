<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use PHPUnit\Framework\TestCase;

/** Every case of ../shared/scenarios, one test each. */
final class ScenariosTest extends TestCase
{
    private static ?ScenarioRunner $runner = null;

    public static function cases(): array
    {
        return ScenarioRunner::cases();
    }

    /** @dataProvider cases */
    public function testCase(string $file, array $spec, array $case): void
    {
        self::$runner ??= new ScenarioRunner();
        $failure = self::$runner->run($file, $spec, $case);
        $this->assertNull($failure, "expected $failure");
    }

    public function testTheScenariosAreThere(): void
    {
        $this->assertGreaterThan(50, count(ScenarioRunner::cases()));
    }
}

<?php

declare(strict_types=1);

// Every shared scenario through the PHP API; ends with "N passed, N failed".
require __DIR__ . '/bootstrap.php';

$runner = new Eventfold\Tests\ScenarioRunner();
$passed = $failed = 0;
foreach (Eventfold\Tests\ScenarioRunner::cases() as $name => [$file, $spec, $case]) {
    $failure = $runner->run($file, $spec, $case);
    if ($failure === null) {
        $passed++;
    } else {
        $failed++;
        fwrite(STDERR, "FAIL $name\n  expected $failure\n");
    }
}
echo "scenarios (PHP): $passed passed, $failed failed\n";
exit($failed === 0 && $passed > 0 ? 0 : 1);

<?php
// A user's first script, against the package Composer installed from dist/
// (packaging/test.sh).
declare(strict_types=1);

require __DIR__ . '/vendor/autoload.php';

use Eventfold\Domain;
use Eventfold\Engine;
use Eventfold\Exception\RejectedException;
use Eventfold\Native;

[, $model, $store] = $argv;
$domain = Domain::fromFiles($model);
$engine = Engine::open($store, $domain);
try {
    $engine->execute('Todos', 'home', ['type' => 'create-new', 'data' => ['id' => 'a', 'text' => 'Buy milk']]);
    $engine->execute('Todos', 'home', ['type' => 'create-new', 'data' => ['id' => 'b', 'text' => 'Call mum']]);
    try {
        $engine->execute('Todos', 'home', ['type' => 'create-new', 'data' => ['id' => 'a', 'text' => 'Again']]);
    } catch (RejectedException $e) {
        echo "rejected: {$e->reason}\n";
    }
    echo 'remaining: ' . json_encode($engine->query('Todos', 'home', 'remaining')) . "\n";
} finally {
    $engine->close();
}
echo 'eventfold from ' . Native::libraryPath() . "\n";

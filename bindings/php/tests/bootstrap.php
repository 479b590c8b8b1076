<?php

declare(strict_types=1);

// PSR-4 without Composer (Debian's phpunit runs the tests): Eventfold\ is
// src/, Eventfold\Tests\ is tests/.
spl_autoload_register(static function (string $class): void {
    foreach (['Eventfold\\Tests\\' => __DIR__ . '/', 'Eventfold\\' => __DIR__ . '/../src/'] as $prefix => $dir) {
        if (str_starts_with($class, $prefix)) {
            $file = $dir . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
            if (is_file($file)) {
                require $file;
            }
            return;
        }
    }
});

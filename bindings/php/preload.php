<?php

declare(strict_types=1);

/*
 * opcache.preload script for php-fpm: compiles the package's classes once
 * and, unless `ffi.preload` has already done it, declares the eventfold C
 * functions in the FFI scope "EVENTFOLD" for every request.
 *
 *   ffi.enable = preload
 *   opcache.preload = /path/to/vendor/eventfold/eventfold/preload.php
 *   opcache.preload_user = www-data
 *
 * PHP refuses FFI::load() together with opcache.preload_user (needed when
 * the master runs as root): then preload the header with `ffi.preload`
 * instead (see bin/ffi-header.php) and keep this file for the classes.
 */

require_once __DIR__ . '/src/Native.php';

try {
    FFI::scope(Eventfold\Native::SCOPE);
} catch (FFI\Exception) {
    $file = sys_get_temp_dir() . '/eventfold-ffi-' . md5(Eventfold\Native::preloadHeader()) . '.h';
    if (!is_file($file)) {
        file_put_contents($file, Eventfold\Native::preloadHeader());
    }
    FFI::load($file);
}

foreach (glob(__DIR__ . '/src/Exception/*.php') as $class) {
    opcache_compile_file($class);
}
foreach (['Schema', 'Domain', 'Engine', 'Subscription'] as $class) {
    opcache_compile_file(__DIR__ . "/src/$class.php");
}

<?php

declare(strict_types=1);

/*
 * opcache.preload script for php-fpm: declares the eventfold C functions
 * once, in the FFI scope "EVENTFOLD", for every request of every worker.
 * Then `Eventfold\Native` uses FFI::scope() instead of parsing the header
 * on each request. In php.ini:
 *
 *   ffi.enable = preload
 *   opcache.preload = /path/to/vendor/eventfold/eventfold/preload.php
 *   opcache.preload_user = www-data
 *
 * EVENTFOLD_LIB and EVENTFOLD_HEADER are read here as at run time.
 */

require_once __DIR__ . '/src/Native.php';

$declarations = "#define FFI_SCOPE \"" . Eventfold\Native::SCOPE . "\"\n"
    . '#define FFI_LIB "' . addslashes(Eventfold\Native::libraryPath()) . "\"\n"
    . Eventfold\Native::declarations(Eventfold\Native::headerPath());
$file = sys_get_temp_dir() . '/eventfold-ffi-' . md5($declarations) . '.h';
if (!is_file($file)) {
    file_put_contents($file, $declarations);
}
FFI::load($file);

foreach (glob(__DIR__ . '/src/Exception/*.php') as $class) {
    opcache_compile_file($class);
}
foreach (['Schema', 'Domain', 'Engine'] as $class) {
    opcache_compile_file(__DIR__ . "/src/$class.php");
}

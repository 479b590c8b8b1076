<?php

declare(strict_types=1);

/*
 * Prints the eventfold header as php-fpm preloads it: declarations only,
 * with FFI_SCOPE and FFI_LIB. Write it once at deploy time, then in php.ini:
 *
 *   ffi.enable = preload
 *   ffi.preload = /etc/php/8.2/eventfold.h
 *
 *   EVENTFOLD_LIB=/usr/local/lib/libeventfold.so php bin/ffi-header.php > /etc/php/8.2/eventfold.h
 */

require_once __DIR__ . '/../src/Native.php';

echo Eventfold\Native::preloadHeader();

<?php

declare(strict_types=1);

namespace Eventfold;

use Eventfold\Exception\EventfoldException;
use FFI;

/**
 * @internal The edge: the one class that touches FFI and JSON text.
 *
 * Every C function writes the result or the error JSON to `char **out`;
 * `call` frees that string before it returns or throws, so no PHP code
 * ever holds memory of the library but the two handles.
 */
final class Native
{
    /** The FFI scope `preload.php` declares for php-fpm. */
    public const SCOPE = 'EVENTFOLD';

    private const ENCODE = JSON_THROW_ON_ERROR | JSON_PRESERVE_ZERO_FRACTION
        | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES;
    private const DECODE = JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING;

    private static ?FFI $ffi = null;

    public static function ffi(): FFI
    {
        return self::$ffi ??= self::load();
    }

    private static function load(): FFI
    {
        if (!extension_loaded('ffi')) {
            throw new \LogicException(
                'eventfold needs PHP\'s FFI extension, which is not loaded: add the line `extension=ffi` '
                . 'to php.ini (`php --ini` lists the files; on Debian install php' . PHP_MAJOR_VERSION . '.'
                . PHP_MINOR_VERSION . '-cli, whose conf.d/20-ffi.ini has it), then also `ffi.enable=true`'
            );
        }
        $enable = strtolower((string) ini_get('ffi.enable'));
        if (!in_array($enable, ['1', 'true', 'on', 'yes', 'preload'], true)) {
            throw new \LogicException(self::enableHint("ffi.enable is `$enable`, so FFI is off"));
        }
        // Under php-fpm the header is preloaded once for every request
        // (ffi.preload, or preload.php), and cdef() is refused there.
        if (ini_get('ffi.preload') || ini_get('opcache.preload')) {
            try {
                return FFI::scope(self::SCOPE);
            } catch (FFI\Exception) {
                // not preloaded: load it here
            }
        }
        try {
            return FFI::cdef(self::declarations(self::headerPath()), self::libraryPath());
        } catch (FFI\Exception $e) {
            if ($enable === 'preload' && str_contains($e->getMessage(), 'ffi.enable')) {
                // ffi.enable=preload (Debian's default) allows cdef() only
                // on the command line, not under php -S or php-fpm.
                throw new \LogicException(self::enableHint(
                    'ffi.enable is `preload` and this is ' . PHP_SAPI . ', where only preloaded code may use FFI'
                ), 0, $e);
            }
            throw $e;
        }
    }

    /** What to add to php.ini when FFI is off: the exact line. */
    private static function enableHint(string $why): string
    {
        return "eventfold cannot use FFI: $why. Add the line `ffi.enable=true` to php.ini "
            . '(or run `php -d ffi.enable=true ...`, `php -d ffi.enable=true -S ...`); under php-fpm you may '
            . 'instead keep `ffi.enable=preload` and add `ffi.preload=/path/to/eventfold.h` '
            . '(bindings/php/bin/ffi-header.php writes it) or `opcache.preload=/path/to/bindings/php/preload.php`';
    }

    /**
     * The header as PHP's FFI parser takes it: without the C++ guards (the
     * `#ifdef __cplusplus` blocks, `extern "C" {` and its `}`) and without
     * any other preprocessor line.
     */
    public static function declarations(string $headerPath): string
    {
        $text = @file_get_contents($headerPath);
        if ($text === false) {
            throw new \LogicException("cannot read the eventfold header at $headerPath");
        }
        $text = (string) preg_replace('/^[ \t]*#[ \t]*ifdef[ \t]+__cplusplus\b.*?^[ \t]*#[ \t]*endif\b[^\n]*$/ms', '', $text);
        return (string) preg_replace('/^\s*#.*$/m', '', $text);
    }

    /** The header with FFI_SCOPE and FFI_LIB, for `ffi.preload` or `FFI::load`. */
    public static function preloadHeader(): string
    {
        return '#define FFI_SCOPE "' . self::SCOPE . "\"\n"
            . '#define FFI_LIB "' . addslashes(self::libraryPath()) . "\"\n"
            . self::declarations(self::headerPath());
    }

    /**
     * `EVENTFOLD_LIB`, else the copy bundled in `lib/`, else a build of the
     * library in the source tree this package sits in.
     */
    public static function libraryPath(): string
    {
        $env = getenv('EVENTFOLD_LIB');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        $name = PHP_OS_FAMILY === 'Darwin' ? 'libeventfold.dylib' : 'libeventfold.so';
        $candidates = [
            __DIR__ . "/../lib/$name",
            __DIR__ . "/../../../target/release/$name",
            __DIR__ . "/../../../target/debug/$name",
        ];
        foreach ($candidates as $path) {
            if (is_file($path)) {
                return $path;
            }
        }
        throw new \LogicException("cannot find $name: set EVENTFOLD_LIB to its path, or put it in " . realpath(__DIR__ . '/..') . '/lib');
    }

    /** `EVENTFOLD_HEADER`, else the bundled `lib/eventfold.h`, else the source tree's. */
    public static function headerPath(): string
    {
        $env = getenv('EVENTFOLD_HEADER');
        if (is_string($env) && $env !== '') {
            return $env;
        }
        foreach ([__DIR__ . '/../lib/eventfold.h', __DIR__ . '/../../../include/eventfold.h'] as $path) {
            if (is_file($path)) {
                return $path;
            }
        }
        throw new \LogicException('cannot find eventfold.h: set EVENTFOLD_HEADER to its path');
    }

    /**
     * Calls `eventfold_$fn(...$args, &out)` and returns the decoded JSON of
     * `out` (null when the function writes none), or throws the error.
     */
    public static function call(string $fn, mixed ...$args): mixed
    {
        $text = self::callText($fn, ...$args);
        return $text === null ? null : self::decode($text);
    }

    /** As `call`, but returns the JSON text. */
    public static function callText(string $fn, mixed ...$args): ?string
    {
        $ffi = self::ffi();
        $out = $ffi->new('char*');
        $args[] = FFI::addr($out);
        $status = $ffi->{"eventfold_$fn"}(...$args);
        $text = null;
        if (!FFI::isNull($out)) {
            $text = FFI::string($out);
            $ffi->eventfold_string_free($out);
        }
        if ($status !== 0) {
            throw self::error($text, $status);
        }
        return $text;
    }

    /** Creates a handle: `eventfold_$fn(...$args, &handle, &out)`. */
    public static function create(string $fn, string $type, mixed ...$args): FFI\CData
    {
        $handle = self::ffi()->new("$type*");
        self::callText($fn, ...[...$args, FFI::addr($handle)]);
        return $handle;
    }

    private static function error(?string $text, int $status): EventfoldException
    {
        try {
            $details = json_decode($text ?? '', true, 512, self::DECODE);
        } catch (\JsonException) {
            $details = null;
        }
        if (!is_array($details)) {
            $details = ['code' => 'internal', 'message' => "status $status without an error text"];
        }
        return EventfoldException::fromDetails($details);
    }

    /** A string argument for C: no NUL byte may cut it short. */
    public static function text(string $value, string $name): string
    {
        if (str_contains($value, "\0")) {
            throw EventfoldException::of('invalid_json', "`$name` holds a NUL byte");
        }
        return $value;
    }

    /**
     * JSON text of a value. A string is taken as JSON text already (so raw
     * input reaches the library as is); anything else is encoded.
     */
    public static function encode(mixed $value, string $name): string
    {
        if (is_string($value)) {
            return self::text($value, $name);
        }
        // json_encode checks its depth only on the way back up, after it has
        // recursed all the way down: a value nested 100,000 deep overflows
        // the C stack (a segfault) before it could say so. So the depth is
        // checked first, against the core's own limit.
        $max = self::maxDepth();
        if (self::deeperThan($value, $max)) {
            throw EventfoldException::of(
                'limit_exceeded',
                "`$name` nests deeper than $max levels of arrays and objects (the limit max_input_depth)",
                ['limit' => 'max_input_depth'],
            );
        }
        try {
            return json_encode($value, self::ENCODE);
        } catch (\JsonException $e) {
            $code = $e->getCode() === JSON_ERROR_DEPTH ? 'limit_exceeded' : 'invalid_json';
            $extra = $code === 'limit_exceeded' ? ['limit' => 'max_input_depth'] : [];
            throw EventfoldException::of($code, "`$name` cannot be encoded as JSON: {$e->getMessage()}", $extra, $e);
        }
    }

    private static ?int $maxDepth = null;

    /** `max_input_depth` as the library has it (`eventfold_limits`), asked once. */
    public static function maxDepth(): int
    {
        return self::$maxDepth ??= (int) self::call('limits')['max_input_depth'];
    }

    /**
     * Whether arrays and objects in `$value` nest more than `$levels` deep,
     * counted as the core counts them (`[]` is one level). It recurses at
     * most `$levels + 1` calls deep, whatever the value.
     */
    private static function deeperThan(mixed $value, int $levels): bool
    {
        if ($value instanceof \JsonSerializable) {
            $value = $value->jsonSerialize();
        }
        if (is_object($value)) {
            $value = get_object_vars($value);
        } elseif (!is_array($value)) {
            return false;
        }
        if ($levels === 0) {
            return true;
        }
        foreach ($value as $item) {
            if ((is_array($item) || is_object($item)) && self::deeperThan($item, $levels - 1)) {
                return true;
            }
        }
        return false;
    }

    /** As `encode`, with null passed on as NULL (an optional argument). */
    public static function encodeOptional(mixed $value, string $name): ?string
    {
        return $value === null ? null : self::encode($value, $name);
    }

    public static function decode(string $text): mixed
    {
        try {
            return json_decode($text, true, 512, self::DECODE);
        } catch (\JsonException $e) {
            throw EventfoldException::of('internal', "the library returned text that is not JSON: {$e->getMessage()}", [], $e);
        }
    }

    /**
     * Engine options as the library takes them: camelCase keys become
     * snake_case (`expectedVersion` is `expected_version`), `metadata` is
     * an object even when empty, and a `DateTimeInterface` is RFC 3339.
     */
    public static function options(array|object|null $options): ?object
    {
        if ($options === null) {
            return null;
        }
        $out = [];
        foreach ((array) $options as $key => $value) {
            $key = strtolower((string) preg_replace('/(?<!^)[A-Z]/', '_$0', (string) $key));
            if ($key === 'metadata' && is_array($value)) {
                $value = (object) $value;
            } elseif ($value instanceof \DateTimeInterface) {
                $value = self::timestamp($value);
            }
            $out[$key] = $value;
        }
        return (object) $out;
    }

    public static function timestamp(\DateTimeInterface $t): string
    {
        return $t->format('Y-m-d\TH:i:s.uP');
    }
}

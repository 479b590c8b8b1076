<?php

declare(strict_types=1);

namespace Eventfold\Tests;

use Eventfold\Native;
use PHPUnit\Framework\TestCase;

/** What `FFI::cdef` is given: the header without its C++ guards or any other preprocessor line. */
final class HeaderTest extends TestCase
{
    public function testTheCppGuardsGoAndEveryDeclarationStays(): void
    {
        $header = __DIR__ . '/../../../include/eventfold.h';
        $text = (string) file_get_contents($header);
        self::assertStringContainsString('extern "C" {', $text, 'the header has its C++ guards');
        $declarations = Native::declarations($header);
        self::assertStringNotContainsString('extern "C"', $declarations);
        self::assertDoesNotMatchRegularExpression('/^\s*#\s*(if|ifdef|ifndef|endif|define|include)\b/m', $declarations);
        preg_match_all('/\beventfold_[a-z_]+\s*\(/', $text, $all);
        foreach (array_unique($all[0]) as $call) {
            self::assertStringContainsString($call, $declarations);
        }
        self::assertStringContainsString('eventfold_domain_compile_files', $declarations);
    }

    public function testAGuardInTheMiddleTakesOnlyItsOwnLines(): void
    {
        $file = tempnam(sys_get_temp_dir(), 'eventfold-h');
        file_put_contents($file, "int a(void);\n#ifdef __cplusplus\nextern \"C\" {\n#endif // __cplusplus\nint b(void);\n#ifdef __cplusplus\n}  // extern \"C\"\n#endif\nint c(void);\n");
        try {
            $declarations = Native::declarations($file);
        } finally {
            unlink($file);
        }
        self::assertSame(['int a(void);', 'int b(void);', 'int c(void);'], array_values(array_filter(array_map('trim', explode("\n", $declarations)))));
    }
}

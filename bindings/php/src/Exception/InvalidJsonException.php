<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `invalid_json`: The input is not JSON, or not text the library can take (NUL bytes, invalid UTF-8). */
final class InvalidJsonException extends EventfoldException
{
}

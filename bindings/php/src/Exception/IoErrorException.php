<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `io_error`: A file given by path (a model file) cannot be read: see `$path`; the message names the file. */
final class IoErrorException extends EventfoldException
{
}

<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `version_conflict`: the stream was not at the expected version: see `expected` and `actual`. */
final class VersionConflictException extends EventfoldException
{
}

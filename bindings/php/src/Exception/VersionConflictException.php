<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `version_conflict`: An append lost a race: see `expected` and `actual`. */
final class VersionConflictException extends EventfoldException
{
}

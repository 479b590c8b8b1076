<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `store_error`: The store failed, or the engine is closed: see `$kind`. */
final class StoreErrorException extends EventfoldException
{
}

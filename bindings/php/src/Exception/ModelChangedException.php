<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `model_changed`: The store runs a newer model than this engine: see $model. */
final class ModelChangedException extends EventfoldException
{
}

<?php

declare(strict_types=1);

namespace Eventfold\Exception;

/** `model_error`: The model files do not compile: see `diagnostics`, every one of them. */
final class ModelErrorException extends EventfoldException
{
}

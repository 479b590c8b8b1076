# frozen_string_literal: true

module Eventfold
  # The base of every error eventfold raises: one subclass per error code,
  # with the fields of that code. `code` is the code's name as in every
  # binding (`"rejected"`, ...); `details` the whole error as it crossed.
  class Error < StandardError
    attr_reader :code, :details

    def initialize(message = nil, details = {})
      super(message)
      @details = details
      @code = details.fetch("code", self.class::CODE)
    end

    # rejected: the reason the model gave (`"invariant"` for an invariant), or nil.
    def reason = details["reason"]
    # invalid_command, invalid_event: where the input is wrong, e.g. `"data.text"`;
    # io_error: the file that cannot be read.
    def path = details["path"]
    # model_error: `[{"file", "line", "column", "message"}, ...]`, every one.
    def diagnostics = details.fetch("diagnostics", [])
    # version_conflict: the version the command expected, and the stream's.
    def expected = details["expected"]
    def actual = details["actual"]
    # limit_exceeded: which limit, e.g. `"max_input_depth"`.
    def limit = details["limit"]
    # store_error: why: `"busy"`, `"unavailable"`, `"corrupt"`, `"closed"` or `"io"`.
    def kind = details["kind"]
    # model_changed: the model the store runs a newer version of.
    def model = details["model"]

    CODE = "internal"
    CLASSES = {} # code => class, filled below

    # The classes are the codes of the core's table (`eventfold_error_table`,
    # `Eventfold::Native.error_table`); test_errors.rb checks them against it.

    # The exception of `details["code"]`.
    def self.from_details(details)
      klass = CLASSES.fetch(details["code"], InternalError)
      klass.new(details.fetch("message", klass::CODE), details.merge("code" => klass::CODE))
    end

    def self.of(code, message, extra = {})
      from_details({ "code" => code, "message" => message }.merge(extra))
    end
  end

  # `rejected`: A `reject` fired, or an invariant failed: see #reason.
  class RejectedError < Error
    CODE = "rejected"
  end

  # `invalid_json`: The input is not JSON, or not text the library takes (NUL bytes, invalid UTF-8).
  class InvalidJsonError < Error
    CODE = "invalid_json"
  end

  # `invalid_command`: A command, or a query's arguments, of the wrong shape: see #path.
  class InvalidCommandError < Error
    CODE = "invalid_command"
  end

  # `unknown_command`: The model has no command of that type.
  class UnknownCommandError < Error
    CODE = "unknown_command"
  end

  # `invalid_event`: An event given to accept or replay has the wrong shape: see #path.
  class InvalidEventError < Error
    CODE = "invalid_event"
  end

  # `unknown_event`: The model has no event of that type.
  class UnknownEventError < Error
    CODE = "unknown_event"
  end

  # `unknown_model`: The domain has no model of that name.
  class UnknownModelError < Error
    CODE = "unknown_model"
  end

  # `unknown_query`: The model has no query of that name.
  class UnknownQueryError < Error
    CODE = "unknown_query"
  end

  # `model_error`: The model files do not compile: see #diagnostics.
  class ModelError < Error
    CODE = "model_error"
  end

  # `evaluation_error`: An expression failed at run time (overflow, missing map key, ...).
  class EvaluationError < Error
    CODE = "evaluation_error"
  end

  # `version_conflict`: the stream was not at the expected version: see
  # #expected and #actual.
  class VersionConflictError < Error
    CODE = "version_conflict"
  end

  # `limit_exceeded`: Input or work past a configured limit: see #limit.
  class LimitExceededError < Error
    CODE = "limit_exceeded"
  end

  # `store_error`: The store failed, or the engine is closed: see #kind.
  class StoreError < Error
    CODE = "store_error"
  end

  # `model_changed`: The store runs a newer model than this engine: see #model.
  class ModelChangedError < Error
    CODE = "model_changed"
  end

  # `unknown_table`: The domain has no table of that name.
  class UnknownTableError < Error
    CODE = "unknown_table"
  end

  # `unknown_projection`: The domain has no projection of that name.
  class UnknownProjectionError < Error
    CODE = "unknown_projection"
  end

  # `io_error`: A file given by path (a model file) cannot be read: see
  # #path; the message names the file.
  class IoError < Error
    CODE = "io_error"
  end

  # `internal`: A bug in eventfold (a caught panic): please report it.
  class InternalError < Error
    CODE = "internal"
  end

  Error::CLASSES.merge!(Error.subclasses.to_h { |k| [k::CODE, k] }).freeze

  # The names before issue 16, with the code's own "Error" doubled: the
  # same classes, kept so that old rescues still catch; Ruby warns (with
  # -W:deprecated) when one is used.
  ModelErrorError = ModelError
  EvaluationErrorError = EvaluationError
  StoreErrorError = StoreError
  deprecate_constant :ModelErrorError, :EvaluationErrorError, :StoreErrorError
end

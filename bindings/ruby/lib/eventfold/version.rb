# frozen_string_literal: true

module Eventfold
  VERSION = "0.1.0"
end

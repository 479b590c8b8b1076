# frozen_string_literal: true

# A user's first script, against the gem installed from dist/ (packaging/test.sh).
require "eventfold"

model, store = ARGV
domain = Eventfold::Domain.from_files(model)
engine = Eventfold::Engine.open(store, domain)
begin
  engine.execute("Todos", "home", { type: "create-new", data: { id: "a", text: "Buy milk" } })
  engine.execute("Todos", "home", { type: "create-new", data: { id: "b", text: "Call mum" } })
  begin
    engine.execute("Todos", "home", { type: "create-new", data: { id: "a", text: "Again" } })
  rescue Eventfold::RejectedError => e
    puts "rejected: #{e.reason}"
  end
  puts "remaining: #{engine.query("Todos", "home", "remaining")}"
ensure
  engine.close
end
puts "eventfold #{Eventfold::VERSION} (library #{Eventfold::Native.eventfold_version}) from #{Eventfold::Native.library_path}"

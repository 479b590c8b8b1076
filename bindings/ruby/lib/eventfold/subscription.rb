# frozen_string_literal: true

module Eventfold
  # A durable subscription to the store's events, from Engine#subscribe:
  # each stored event, upcast to the current model, in global position
  # order, at least once.
  #
  #   engine.subscribe("mailer").each do |event|
  #     Mailer.deliver(event)   # acked when the block returns
  #   end
  #
  # #each yields events forever, waiting for new ones (the GVL released),
  # until #close, from the block or from another thread. An event is
  # acknowledged when the block returns for it, that is when #each moves
  # on to the next one; leaving the loop (`break`, an exception) leaves that
  # event unacknowledged, so it is delivered again: by the next #each of this
  # object, or to the next subscriber of the name. Handlers must therefore
  # tolerate seeing an event twice. Enumerable works on top (`first(10)`,
  # `lazy.select`, ...), with the same rule.
  #
  # #poll, #ack and #park are the same machinery by hand. One consumer of a
  # name runs at a time, across processes: a second subscriber's poll gives
  # `[]` until the first closes (or its process dies).
  class Subscription
    include Enumerable

    # Events #each takes at most from one poll.
    BATCH = 100
    # How long one poll of #each waits, in seconds, before polling again.
    WAIT = 1.0

    attr_reader :name, :engine

    # @api private: use Engine#subscribe. The engine is kept alive while its
    # subscription is.
    def initialize(handle, engine, name)
      @handle = handle
      @engine = engine
      @name = name
      # Events polled but not yet done: the first is the one in the block's
      # hands (or the one a loop left behind), the rest still to come. Kept
      # here so that leaving a loop loses none of them for this object.
      @pending = []
      @closed = false
    end

    # Up to `max` events after the last one this subscription handed out (a
    # new subscription starts after the durable checkpoint), waiting up to
    # `timeout` seconds for the first; `[]` at the timeout, while another
    # consumer holds the name, or when another thread closes it. They stay
    # unacknowledged until #ack. Events one stored event is upcast to share
    # its position.
    #
    # @return [Array<Hash>] each `{"id", "stream", "version", "position", "type", "schema", "data", "metadata"}`
    def poll(max = BATCH, timeout = WAIT)
      max = Native.count(max, "max")
      millis = Native.millis(timeout, "timeout")
      # What a loop left behind comes first.
      return @pending.shift(max) unless @pending.empty?

      Native.call(:subscription_poll, @handle, max, millis)
    end

    # Stores the checkpoint durably: every event up to `position` is done.
    def ack(position)
      Native.call(:subscription_ack, @handle, Native.count(position, "position"))
      nil
    end

    # Keeps the event at `position` in the store's parked events with
    # `reason` (see Engine#parked), and acknowledges it.
    def park(position, reason)
      Native.call(:subscription_park, @handle, Native.count(position, "position"), Native.text(reason, "reason"))
      nil
    end

    # Releases the name: a poll blocked in another thread returns at once,
    # and #each ends once its block returns, without acknowledging that
    # event. Later calls raise StoreError; closing twice is fine.
    def close
      @closed = true
      @pending = []
      Native.call(:subscription_close, @handle)
      nil
    end

    def closed? = @closed

    # Yields each event (a Hash) forever, until #close; see the class
    # comment for when an event is acknowledged. Without a block, an
    # Enumerator.
    def each
      return enum_for(:each) unless block_given?

      until @closed
        if @pending.empty?
          batch = next_batch or break
          @pending = batch
          next
        end
        event = @pending.first
        yield event
        # The block returned: it is done with this event.
        break if @closed

        @pending.shift
        # Several events share a stored event's position: that position is
        # done once the last of them is.
        next if @pending.first&.fetch("position") == event["position"]
        break unless acked?(event["position"])
      end
      self
    end

    def inspect = "#<Eventfold::Subscription #{name}#{' (closed)' if @closed}>"

    private

    # The next poll of #each; nil once the subscription (or its engine) is
    # closed, the end of the loop rather than an error.
    def next_batch
      Native.call(:subscription_poll, @handle, BATCH, Native.millis(WAIT, "timeout"))
    rescue StoreError => e
      raise unless @closed || e.kind == "closed"

      nil
    end

    def acked?(position)
      ack(position)
      true
    rescue StoreError => e
      raise unless e.kind == "closed"

      false
    end
  end
end

public import ClusterBus
public import OfflineMessages
internal import RedisClient

/// Offline user messages in Redis, shared by every node and kept across node restarts:
///
/// - `P:o:<user>`: one stream per user (field `e`: the envelope), `XADD MAXLEN <n>` (exact, so
///   `offline.max-messages-per-user` is a true bound and the dropped count is exact; streams
///   this short make approximate trimming pointless), `XTRIM MINID <now - ttl>` before each
///   write and read (stream ids are Redis's clock in milliseconds), and a key TTL of
///   `offline.ttl-seconds` refreshed at each write, so an idle user's stream vanishes on its
///   own: no periodic scan of every user.
/// - `P:od:<user>`: dedup ids (sorted set: id → expiry), bounded like the stream.
///
/// The live-or-keep decision is one Lua script: dedup, then `PUBLISH P:d:<destination>`;
/// Redis answers how many nodes hold that channel (a node subscribes to it while it has a
/// subscriber of the destination). Zero receivers: `XADD`. Atomic, so a subscriber's node
/// that subscribed before the script ran gets the message live, and one that subscribed after
/// finds it in the stream when it reads (it reads after Redis confirmed the channel).
/// Every command goes through the bus's command connection on the loop: nothing blocks.
public final class RedisOfflineStore: OfflineStore {
    private let bus: RedisClusterBus
    public let settings: OfflineSettings
    public private(set) var counters = OfflineCounters()

    public init(bus: RedisClusterBus, settings: OfflineSettings) {
        self.bus = bus
        self.settings = settings
    }

    public var startupNotice: String { "offline messages kept in Redis streams" }

    /// Redis's clock in milliseconds, in a script.
    static let clock = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        """

    /// KEYS: stream; ARGV: envelope, max count, ttl ms. Returns {dropped, expired}.
    static let keepPart = """
        local expired = redis.call('XTRIM', KEYS[2], 'MINID', now - tonumber(ARGV[4]))
        local before = redis.call('XLEN', KEYS[2])
        redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[3], '*', 'e', ARGV[1])
        redis.call('PEXPIRE', KEYS[2], ARGV[4])
        return {'stored', before + 1 - redis.call('XLEN', KEYS[2]), expired}
        """

    /// KEYS: channel, stream, dedup set; ARGV: envelope, dedup id or '', max count, ttl ms,
    /// dedup window ms. Returns {'duplicate'|'live'|'stored', receivers or dropped, expired}.
    static let sendScript = clock + """

        if ARGV[2] ~= '' then
          redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
          if redis.call('ZSCORE', KEYS[3], ARGV[2]) then return {'duplicate', 0, 0} end
          redis.call('ZADD', KEYS[3], now + tonumber(ARGV[5]), ARGV[2])
          if redis.call('ZCARD', KEYS[3]) > tonumber(ARGV[3]) then redis.call('ZPOPMIN', KEYS[3]) end
          redis.call('PEXPIRE', KEYS[3], ARGV[5])
        end
        local receivers = redis.call('PUBLISH', KEYS[1], ARGV[1])
        if receivers > 0 then return {'live', receivers, 0} end

        """ + keepPart

    /// The send script without dedup and publish: a message a node received live but could
    /// not deliver (its subscriber had just left).
    static let keepScript = clock + "\n" + keepPart

    /// KEYS: stream; ARGV: start ('-' or '(<id>'), count, ttl ms. Returns {expired, entries}.
    static let loadScript = clock + """

        local expired = redis.call('XTRIM', KEYS[1], 'MINID', now - tonumber(ARGV[3]))
        return {expired, redis.call('XRANGE', KEYS[1], ARGV[1], '+', 'COUNT', ARGV[2])}
        """

    public func send(_ envelope: Envelope, user: String, dedupID: String?, completion: @escaping (OfflineSendOutcome) -> Void) {
        let dedup = settings.dedupWindowMilliseconds > 0 ? dedupID ?? "" : ""
        let arguments: [[UInt8]] = [
            Array("EVAL".utf8), Array(Self.sendScript.utf8), Array("3".utf8),
            Array(bus.keys.destinationChannel(envelope.destination).utf8), Array(bus.keys.offlineStream(user).utf8),
            Array(bus.keys.offlineDedup(user).utf8),
            envelope.encode(), Array(dedup.utf8), Array(String(max(1, settings.maxMessagesPerUser)).utf8),
            Array(String(max(1, settings.ttlMilliseconds)).utf8), Array(String(max(1, settings.dedupWindowMilliseconds)).utf8),
        ]
        bus.commands.send(arguments) { [weak self] reply in
            guard let self else { return }
            completion(self.outcome(of: reply))
        }
    }

    private func outcome(of reply: RedisReply) -> OfflineSendOutcome {
        guard let parts = reply.array, parts.count == 3, let kind = parts[0].string,
              let number = parts[1].integer, let expired = parts[2].integer else {
            counters.failed += 1
            return .failed(reply.errorMessage ?? "unexpected reply from Redis")
        }
        counters.expired += UInt64(max(0, expired))
        switch kind {
        case "duplicate":
            counters.duplicates += 1
            return .duplicate
        case "live":
            return .live(receivers: Int(number))
        default:
            counters.stored += 1
            counters.droppedOverflow += UInt64(max(0, number))
            return .stored(dropped: Int(max(0, number)))
        }
    }

    public func keep(_ envelope: Envelope, user: String) {
        // KEYS[2] is the stream in the shared part: KEYS[1] is a placeholder.
        let arguments: [[UInt8]] = [
            Array("EVAL".utf8), Array(Self.keepScript.utf8), Array("2".utf8),
            Array(bus.keys.offlineStream(user).utf8), Array(bus.keys.offlineStream(user).utf8),
            envelope.encode(), [], Array(String(max(1, settings.maxMessagesPerUser)).utf8),
            Array(String(max(1, settings.ttlMilliseconds)).utf8),
        ]
        bus.commands.send(arguments) { [weak self] reply in
            _ = self?.outcome(of: reply)
        }
    }

    public func load(user: String, destination: String, after: String?, max count: Int,
                     completion: @escaping (Result<OfflinePage, OfflineStoreError>) -> Void) {
        let batch = Swift.max(1, count)
        let start = after.map { "(" + $0 } ?? "-"
        bus.commands.send(["EVAL", Self.loadScript, "1", bus.keys.offlineStream(user), start, String(batch),
                           String(Swift.max(1, settings.ttlMilliseconds))]) { [weak self] reply in
            guard let self else { return }
            guard let parts = reply.array, parts.count == 2, let expired = parts[0].integer, let entries = parts[1].array else {
                return completion(.failure(OfflineStoreError(reply.errorMessage ?? "unexpected reply from Redis")))
            }
            self.counters.expired += UInt64(Swift.max(0, expired))
            var messages: [StoredMessage] = []
            var lastID: String?
            for entry in entries {
                guard let pair = entry.array, pair.count == 2, let id = pair[0].string, let fields = pair[1].array else { continue }
                lastID = id
                guard fields.count >= 2, let bytes = fields[1].bytes,
                      let envelope = try? Envelope.decode(bytes, maxBytes: self.bus.settings.maxEnvelopeBytes),
                      envelope.destination == destination else { continue }
                messages.append(StoredMessage(id: id, envelope: envelope))
            }
            completion(.success(OfflinePage(messages: messages, next: entries.count == batch ? lastID : nil)))
        }
    }

    public func remove(user: String, ids: [String]) {
        guard !ids.isEmpty else { return }
        bus.commands.send(["XDEL", bus.keys.offlineStream(user)] + ids) { [weak self] reply in
            guard let self else { return }
            if let removed = reply.integer { self.counters.removed += UInt64(removed) } else { self.counters.failed += 1 }
        }
    }

    /// Age limits are applied at every write and read, and idle streams expire as keys.
    public func maintain(now: UInt64) {}
}

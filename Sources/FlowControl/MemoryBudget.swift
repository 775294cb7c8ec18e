/// What `MemoryBudget.readerResumption` decides for the readers paused for the budget.
public enum ReaderResumption: Sendable, Equatable {
    case none
    case all
    /// The largest paused reader is read, and not paused again until its frame is complete (the
    /// next one too when those let through have stopped reading: they wait for their clients).
    case largestAlone
}

/// The node-wide budget for bytes held for clients, and how it is split into the publisher flow
/// control watermarks. Pure values: the node measures, these decide.
public struct MemoryBudget: Sendable, Equatable {
    /// Every byte held for clients (output queues, inbound partial frames) stays under this.
    public var maxBufferedBytes: Int
    /// Above this, publishers whose subscribers are behind stop being read.
    public var highWatermarkBytes: Int
    /// Below this, every paused publisher is read again.
    public var lowWatermarkBytes: Int

    /// A budget with watermarks at 1/2 and 1/4 of `maxBufferedBytes` unless given.
    public init(maxBufferedBytes: Int, highWatermarkBytes: Int? = nil, lowWatermarkBytes: Int? = nil) {
        self.maxBufferedBytes = max(1, maxBufferedBytes)
        let high = min(highWatermarkBytes ?? self.maxBufferedBytes / 2, self.maxBufferedBytes)
        self.highWatermarkBytes = max(1, high)
        self.lowWatermarkBytes = max(0, min(lowWatermarkBytes ?? self.highWatermarkBytes / 2, self.highWatermarkBytes))
    }

    /// The default budget when none is configured: a quarter of the memory the process may use
    /// (the cgroup limit when there is one, else physical memory), and never more than 256 MiB.
    /// A quarter leaves room for the rest of the process and the kernel's socket buffers; the
    /// cap keeps the node's worst case at a size one expects of a message router (RabbitMQ's
    /// 0.4 of RAM assumes a dedicated host; a node shares its host). 256 MiB keeps a node under
    /// attack (300 clients stalled in 4 MB frames: peak RSS 269 MiB measured) well inside 512 MiB
    /// with room for everything else the process holds. Without either figure: 256 MiB.
    public static func defaultMaxBufferedBytes(physicalMemoryBytes: UInt64?, cgroupLimitBytes: UInt64?) -> Int {
        let cap: UInt64 = 256 << 20
        let available = [physicalMemoryBytes, cgroupLimitBytes].compactMap { $0 }.filter { $0 > 0 }.min()
        guard let available else { return Int(cap) }
        return Int(max(16 << 20, min(cap, available / 4)))
    }

    /// A connection's fair share of the budget when `connections` share it.
    public func fairShare(connections: Int) -> Int {
        maxBufferedBytes / max(1, connections)
    }

    /// A connection holding `inboundBytes` of partial frames stops being read (TCP back-pressure,
    /// before anyone is cut): the node is above the high watermark and the connection holds more
    /// than its fair share. A client sending one big frame at a quiet time is never held back.
    public func shouldPauseReader(inboundBytes: Int, totalBytes: Int, connections: Int) -> Bool {
        totalBytes > highWatermarkBytes && inboundBytes > fairShare(connections: connections)
    }

    /// Which readers paused for the budget are read again. All of them once the node is down to
    /// the low watermark, or once everything but their own partial frames (`pausedReadersBytes`,
    /// which cannot shrink until read) is down to it and the total is under the high watermark.
    /// When their partial frames alone keep the node above the high watermark, one at a time
    /// (the largest: it has the most to release) goes on to finish its frame; over the budget
    /// itself the largest holders are cut as always.
    public func readerResumption(totalBytes: Int, pausedReadersBytes: Int) -> ReaderResumption {
        if totalBytes <= lowWatermarkBytes { return .all }
        guard totalBytes - pausedReadersBytes <= lowWatermarkBytes else { return .none }
        return totalBytes <= highWatermarkBytes ? .all : .largestAlone
    }

    /// Which connections to cut, largest holding first, so the total gets back under the budget.
    /// Only connections holding more than their fair share are candidates: a client within its
    /// share is never cut to make room for one that is not. `holdings` is (id, bytes held).
    public func connectionsToCut<ID>(holdings: [(id: ID, bytes: Int)], totalBytes: Int) -> [ID] {
        guard totalBytes > maxBufferedBytes else { return [] }
        let share = fairShare(connections: holdings.count)
        var excess = totalBytes - maxBufferedBytes
        var cut: [ID] = []
        for holding in holdings.filter({ $0.bytes > share }).sorted(by: { $0.bytes > $1.bytes }) {
            guard excess > 0 else { break }
            cut.append(holding.id)
            excess -= holding.bytes
        }
        return cut
    }
}

internal import CLibUV

/// The bytes a loop holds for its peers, counted as they come and go (no scan): output queued or
/// in flight on every connection (maintained by `TCPConnection`), and inbound bytes held by
/// decoders for frames not yet complete (maintained by their owner). A shared tail referenced by
/// several connections counts once per connection: the same measure as each connection's own
/// output limit, and an upper bound of the real memory.
public struct BufferedMemory: Sendable {
    /// Output bytes queued or in flight, summed over the loop's connections, with each piece of
    /// shared bytes counted with its overhead (`OutputQueue.sharedPieceOverhead`).
    public internal(set) var outputBytes = 0
    /// Inbound bytes buffered in partial frames and HTTP requests still being read, as reported by `adjustInbound`.
    public private(set) var inboundBytes = 0
    /// Bytes handed to Redis whose replies have not come back, as reported by `adjustRedis`.
    public private(set) var redisBytes = 0
    /// Bytes transports the node serves itself hold for their clients (SockJS sessions waiting
    /// for the next poll), as reported by `adjustTransport`.
    public private(set) var transportBytes = 0
    /// Bytes released (written, dropped, closed) since the last `trimIfWorthwhile` trim.
    public private(set) var releasedSinceTrim = 0
    /// Times memory was given back to the operating system.
    public private(set) var trims: UInt64 = 0

    /// Everything the loop holds for peers.
    public var totalBytes: Int { outputBytes + inboundBytes + redisBytes + transportBytes }

    mutating func release(outputBytes count: Int) {
        outputBytes -= count
        releasedSinceTrim += count
    }

    /// A decoder's buffered bytes changed by `delta` (negative when frames completed or a
    /// connection closed).
    public mutating func adjustInbound(by delta: Int) {
        inboundBytes += delta
        if delta < 0 { releasedSinceTrim -= delta }
    }

    /// Commands sent to Redis (`delta` > 0) or answered (< 0).
    public mutating func adjustRedis(by delta: Int) {
        redisBytes += delta
        if delta < 0 { releasedSinceTrim -= delta }
    }

    /// A transport's held bytes changed by `delta`.
    public mutating func adjustTransport(by delta: Int) {
        transportBytes += delta
        if delta < 0 { releasedSinceTrim -= delta }
    }

    /// Makes glibc serve allocations of `thresholdBytes` and more with their own mappings, given
    /// back to the OS on free. glibc otherwise raises its threshold after the first big free
    /// (up to 32 MiB), and a burst of 4 MB frame buffers then fragments the heap. Call once at start.
    public static func returnLargeBuffersOnFree(thresholdBytes: Int32 = 1 << 20) {
        mallopt(M_MMAP_THRESHOLD, thresholdBytes)
    }

    /// After `threshold` bytes were released since the last trim, asks glibc to return free heap
    /// pages to the operating system (`malloc_trim`): big buffers dropped after an attack would
    /// otherwise stay in the process. Costs a walk of the free lists, so it is called from a timer,
    /// never per message. Returns whether it trimmed.
    @discardableResult
    public mutating func trimIfWorthwhile(threshold: Int) -> Bool {
        guard threshold > 0, releasedSinceTrim >= threshold else { return false }
        releasedSinceTrim = 0
        trims += 1
        malloc_trim(0)
        return true
    }
}

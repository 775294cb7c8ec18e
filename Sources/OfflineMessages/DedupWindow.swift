/// Client-supplied message ids seen within a time window, for one user. Bounded: at most
/// `capacity` ids are remembered (the oldest is forgotten first). Pure; time injected.
public struct DedupWindow: Sendable {
    public let windowMilliseconds: UInt64
    public let capacity: Int
    private var expiryByID: [String: UInt64] = [:]
    /// Ids in arrival order with their expiry: expiries grow with time, so the front expires first.
    private var order: [(id: String, expiry: UInt64)] = []
    private var head = 0

    public init(windowMilliseconds: UInt64, capacity: Int) {
        self.windowMilliseconds = windowMilliseconds
        self.capacity = max(1, capacity)
    }

    /// Ids remembered now.
    public var count: Int { expiryByID.count }
    public var isEmpty: Bool { expiryByID.isEmpty }

    /// True the first time `id` is seen within the window (it is remembered); false for a
    /// duplicate (the window is not extended).
    public mutating func admit(_ id: String, now: UInt64) -> Bool {
        forgetExpired(now: now)
        if let expiry = expiryByID[id], expiry > now { return false }
        let expiry = now &+ windowMilliseconds
        expiryByID[id] = expiry
        order.append((id, expiry))
        while expiryByID.count > capacity { forgetFront() }
        return true
    }

    /// Drops ids whose window has passed.
    public mutating func forgetExpired(now: UInt64) {
        while head < order.count, order[head].expiry <= now { forgetFront() }
    }

    private mutating func forgetFront() {
        guard head < order.count else { return }
        let (id, expiry) = order[head]
        if expiryByID[id] == expiry { expiryByID[id] = nil }
        head += 1
        if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}

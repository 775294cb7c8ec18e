/// The per-node bound on webhook calls: at most `maxConcurrent` in flight, at most `maxQueued`
/// waiting in arrival order, the rest refused. Pure bookkeeping; the node starts what it returns.
public struct WebhookLine<Job> {
    public let maxConcurrent: Int
    public let maxQueued: Int
    public private(set) var inFlight = 0
    private var waiting: [Job] = []
    private var head = 0

    public init(maxConcurrent: Int, maxQueued: Int) {
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxQueued = max(0, maxQueued)
    }

    public var queuedCount: Int { waiting.count - head }

    public enum Admission {
        /// Start it now (a slot is taken).
        case start(Job)
        /// It waits for a slot.
        case queued
        /// The line is full: fail the call.
        case rejected(Job)
    }

    /// A new call. `retry` calls (after a backoff) go ahead of new ones and are never refused:
    /// they were admitted once already.
    public mutating func submit(_ job: Job, retry: Bool = false) -> Admission {
        if inFlight < maxConcurrent, queuedCount == 0 || retry {
            inFlight += 1
            return .start(job)
        }
        if retry {
            waiting.insert(job, at: head)
            return .queued
        }
        guard queuedCount < maxQueued else { return .rejected(job) }
        waiting.append(job)
        return .queued
    }

    /// An attempt ended (answered, failed or waiting for a retry): its slot goes to the next
    /// waiting job, which is returned to be started.
    public mutating func finished() -> Job? {
        inFlight = max(0, inFlight - 1)
        guard queuedCount > 0, inFlight < maxConcurrent else { return nil }
        let job = waiting[head]
        head += 1
        if head > 64, head * 2 > waiting.count {
            waiting.removeFirst(head)
            head = 0
        }
        inFlight += 1
        return job
    }

    /// Every waiting job, removed (the node is closing).
    public mutating func drain() -> [Job] {
        let jobs = Array(waiting[head...])
        waiting.removeAll()
        head = 0
        return jobs
    }
}

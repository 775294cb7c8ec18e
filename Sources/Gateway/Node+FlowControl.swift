internal import FlowControl
internal import UVLoop
internal import STOMPSession
internal import Glibc
internal import Logging
internal import Broker

/// Publisher flow control, the node-wide memory budget and giving memory back: the decisions are
/// `FlowControl`'s, the measures are the loop's `memory` counters and each connection's holding.
extension Node {
    /// The configured budget, or the default derived from memory (see `MemoryBudget`).
    static func makeBudget(_ configuration: NodeConfiguration) -> MemoryBudget {
        let maxBytes = configuration.maxBufferedBytes > 0
            ? configuration.maxBufferedBytes
            : MemoryBudget.defaultMaxBufferedBytes(physicalMemoryBytes: physicalMemoryBytes(), cgroupLimitBytes: cgroupMemoryLimitBytes())
        return MemoryBudget(
            maxBufferedBytes: maxBytes,
            highWatermarkBytes: configuration.flowHighWatermarkBytes > 0 ? configuration.flowHighWatermarkBytes : nil,
            lowWatermarkBytes: configuration.flowLowWatermarkBytes > 0 ? configuration.flowLowWatermarkBytes : nil)
    }

    static func physicalMemoryBytes() -> UInt64? {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return nil }
        return UInt64(pages) * UInt64(size)
    }

    /// cgroup v2 `memory.max` of this process (nil when unlimited or unknown).
    static func cgroupMemoryLimitBytes() -> UInt64? {
        guard let file = fopen("/sys/fs/cgroup/memory.max", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 64)
        guard fgets(&line, Int32(line.count), file) != nil else { return nil }
        let text = String(decoding: line.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return UInt64(text)
    }

    /// After a SEND was delivered: pause its publisher when one of the subscribers it reached is
    /// behind (`PublisherGate.shouldPause`): TCP back-pressure instead of dropping.
    func applyFlowControl(publisher: ClientConnection) {
        let total = loop.bufferedBytes
        if total > budget.maxBufferedBytes { enforceBudget() }
        let slowest = slowestDelivery
        // Whether it reads matters only past `behindBytes`; the lookup stays off the common path.
        let reading = slowest.bytes > publisherGate.behindBytes && isReading(slowest.session)
        guard slowest.bytes > 0,
              publisherGate.shouldPause(totalBytes: total, slowestSubscriberBytes: slowest.bytes, connections: connections.count,
                                        slowestIsReading: reading),
              publisher.isOpen, publisher.id != slowestDelivery.session else { return }
        if flowPausedPublishers[publisher.id] == nil {
            flowPausedPublishers[publisher.id] = now
            counters.publisherPauses += 1
            armFlowResumeTimer()
        }
        publisher.blockedBy = slowestDelivery.session
        publisher.tcp.pauseReading(.flowControl)
    }

    /// Whether the kernel took bytes from `session`'s socket within `limits.flow.reader-stall-ms`:
    /// a slow reader, as opposed to one that stopped reading. Browsers in a background tab and
    /// clients busy with other sockets go quiet for seconds and then read on.
    func isReading(_ session: SessionID) -> Bool {
        guard let connection = connections[session] else { return false }
        return loop.nowMilliseconds &- connection.tcp.lastOutputProgress <= UInt64(configuration.readerStallMilliseconds)
    }

    /// Once per tick: resume publishers whose subscribers caught up, cut subscribers that have
    /// held a publisher back for too long, enforce the budget, give memory back after big releases.
    func flowControlTick() {
        checkFlowPausedPublishers()
        let total = loop.memory.totalBytes
        if total > budget.maxBufferedBytes { enforceBudget() }
        resumeBudgetPausedReaders(totalBytes: loop.memory.totalBytes)
        if loop.memory.trimIfWorthwhile(threshold: configuration.memoryTrimThresholdBytes) {
            logger.debug("memory returned to the OS", metadata: ["buffered.bytes": "\(loop.memory.totalBytes)"])
        }
    }

    /// How often paused publishers are looked at while there are any: a subscriber drains its
    /// backlog in well under a tick, and a publisher left paused until the tick would leave it idle
    /// (100 unbounded pairs over WebSocket delivered 20 % less with the 1 s tick).
    static let flowResumeCheckMilliseconds: UInt64 = 10

    /// A publisher was paused: look at it again soon (`checkFlowPausedPublishers`).
    func armFlowResumeTimer() {
        if flowResumeTimer == nil { flowResumeTimer = Timer(loop: loop) }
        guard let timer = flowResumeTimer, !timer.isActive else { return }
        timer.start(afterMilliseconds: Self.flowResumeCheckMilliseconds) { [unowned self] in
            self.checkFlowPausedPublishers()
            if !self.flowPausedPublishers.isEmpty { self.armFlowResumeTimer() }
        }
    }

    /// Resumes paused publishers whose subscribers caught up; cuts subscribers that held one back
    /// for too long.
    private func checkFlowPausedPublishers() {
        let total = loop.memory.totalBytes
        if !flowPausedPublishers.isEmpty {
            let now = self.now
            for (id, pausedSince) in flowPausedPublishers {
                guard let publisher = connections[id] else {
                    flowPausedPublishers[id] = nil
                    continue
                }
                var blocker = publisher.blockedBy.flatMap { connections[$0] }
                if let overstaying = blocker, overstaying.isOpen, publisherGate.pauseOverstayed(pausedSince: pausedSince, now: now) {
                    counters.slowConsumers += 1
                    log(refused: overstaying, reason: "slow consumer: kept a publisher paused")
                    overstaying.cutOff("slow consumer: not reading kept a publisher paused for \(publisherGate.maxPauseMilliseconds) ms")
                    blocker = nil
                }
                let blocking = blocker.map { $0.isOpen ? $0.heldBytes : 0 }
                let reading = blocker.map { isReading($0.id) } ?? false
                if publisherGate.shouldResume(totalBytes: total, blockingSubscriberBytes: blocking, connections: connections.count, blockingIsReading: reading) {
                    flowPausedPublishers[id] = nil
                    publisher.blockedBy = nil
                    publisher.resumeReading(.flowControl)
                }
            }
        }
    }

    /// Above the high watermark a connection whose partial frames hold more than its share is no
    /// longer read (its frame deadline still runs); over the budget itself, `enforceBudget` cuts.
    func applyBudget(toReader connection: ClientConnection, inboundBytes: Int) {
        let total = loop.memory.totalBytes
        if budgetPassingReaders[connection.id] == nil,
           budget.shouldPauseReader(inboundBytes: inboundBytes, totalBytes: total, connections: connections.count),
           budgetPausedReaders.insert(connection.id).inserted {
            counters.budgetReadPauses += 1
            connection.tcp.pauseReading(.memoryBudget)
        }
        if total > budget.maxBufferedBytes { enforceBudget() }
    }

    /// Readers paused for the budget go on as `MemoryBudget.readerResumption` says. Readers let
    /// through to finish their frames count with the paused ones (their bytes cannot shrink
    /// either until their clients send the rest).
    private func resumeBudgetPausedReaders(totalBytes: Int) {
        guard !budgetPausedReaders.isEmpty else { return }
        func held(_ id: SessionID) -> Int { connections[id]?.inboundHeld ?? 0 }
        let pausedBytes = budgetPausedReaders.reduce(0) { $0 + held($1) } + budgetPassingReaders.keys.reduce(0) { $0 + held($1) }
        switch budget.readerResumption(totalBytes: totalBytes, pausedReadersBytes: pausedBytes) {
        case .none:
            return
        case .all:
            for id in budgetPausedReaders { connections[id]?.resumeReading(.memoryBudget) }
            budgetPausedReaders.removeAll()
        case .largestAlone:
            // One let through that has read nothing since the last look is waiting for its client:
            // the next one goes too, so one slow sender cannot hold the others until their deadline.
            var allStalled = true
            for (id, before) in budgetPassingReaders {
                let now = held(id)
                if now != before { allStalled = false }
                budgetPassingReaders[id] = now
            }
            guard allStalled, let largest = budgetPausedReaders.max(by: { held($0) < held($1) }) else { return }
            budgetPausedReaders.remove(largest)
            budgetPassingReaders[largest] = held(largest)
            connections[largest]?.resumeReading(.memoryBudget)
        }
    }

    /// Over the budget: cut the connections holding the most (never one within its fair share),
    /// each with an ERROR saying why. Scans the connections, so it runs again only in a later
    /// millisecond or after the total grew by 1/32 of the budget (one loop turn may read 2 MiB
    /// from each of hundreds of sockets, all at the same loop time).
    func enforceBudget() {
        let now = self.now
        let total = loop.memory.totalBytes
        guard total > budget.maxBufferedBytes else { return }
        guard now != lastBudgetEnforcement.at || total > lastBudgetEnforcement.total + budget.maxBufferedBytes / 32 else { return }
        lastBudgetEnforcement = (now, total)
        let holdings = connections.values.filter { $0.isOpen }.map { (id: $0.id, bytes: $0.heldBytes) }
        for id in budget.connectionsToCut(holdings: holdings, totalBytes: total) {
            guard let connection = connections[id] else { continue }
            counters.budgetCuts += 1
            counters.slowConsumers += 1
            log(refused: connection, reason: "node memory budget exhausted")
            connection.cutOff("slow consumer: node memory budget of \(budget.maxBufferedBytes) bytes exhausted and this connection holds the most")
        }
        lastBudgetEnforcement.total = loop.memory.totalBytes
    }
}

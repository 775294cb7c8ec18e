import STOMPWire
import UVLoop

/// What `idle` does: how many connections, which topics, how long to wait and hold.
struct IdlePlan {
    var connections: Int
    /// Each connection subscribes to `topic`, or to `topic.<index>` when `distinctTopics`.
    var topic: String
    var distinctTopics: Bool
    var settleSeconds: Double
    var holdSeconds: Double
    var settings: ClientSettings
}

/// Opens N connections that CONNECT and SUBSCRIBE, then sit still; reports the node's resident
/// memory per connection: (VmRSS after - VmRSS before) / connections subscribed.
final class IdleRun: ClientPoolDelegate {
    private enum Phase { case connecting, settling, holding, done }

    private let plan: IdlePlan
    private let driver: BenchDriver
    private let pool: ClientPool
    private let nodePID: Int32?
    private let setupSeconds: Double
    private let timer: Timer
    private var phase = Phase.connecting
    private var subscribed = 0
    private var errorFrames = 0
    private var rssBefore: Int?
    private var rssAfter: Int?
    private var benchRSSBefore: Int?
    private var benchRSSAfter: Int?
    private var subscribedAtMeasurement = 0
    private var setupDuration: Double = 0
    private var lastProgress = 0

    init(plan: IdlePlan, connection: ConnectionOptions) throws {
        self.plan = plan
        driver = try BenchDriver(maxRunSeconds: connection.setupTimeout + plan.settleSeconds + plan.holdSeconds + 30)
        pool = ClientPool(loop: driver.loop, sources: connection.sourcePlan, concurrency: connection.connectConcurrency)
        nodePID = connection.nodePID
        setupSeconds = connection.setupTimeout
        timer = Timer(loop: driver.loop)
        pool.delegate = self
    }

    /// Runs to the end (or a signal) and returns the report.
    func run() -> Report {
        rssBefore = nodePID.flatMap { ProcessStats.residentBytes(pid: $0) }
        benchRSSBefore = ProcessStats.residentBytes(pid: nil)
        driver.progressLine = { [unowned self] in
            let step = subscribed - lastProgress
            lastProgress = subscribed
            let elapsed = Report.Value.fixed(driver.elapsedSeconds, decimals: 1)
            return "idle \(elapsed)s: connected \(pool.readyCount - pool.droppedCount)/\(plan.connections), subscribed \(subscribed) "
                + "(+\(step)/s), failed \(pool.failedCount)"
        }
        driver.onStop = { [unowned self] in finish() }
        driver.onForceStop = { [unowned self] in
            finish()
            pool.closeAll(immediately: true)
        }
        pool.add(count: plan.connections, settings: plan.settings)
        timer.start(afterMilliseconds: UInt64(setupSeconds * 1_000)) { [unowned self] in
            printError("setup timeout: \(subscribed) of \(plan.connections) subscribed; measuring those")
            settle()
        }
        driver.run()
        return report()
    }

    func clientReady(_ client: BenchConnection) {
        let topic = plan.distinctTopics ? "\(plan.topic).\(client.index)" : plan.topic
        client.send(STOMPFrame(.SUBSCRIBE, headers: [("id", "0"), ("destination", topic), ("receipt", "sub")]))
    }

    func client(_ client: BenchConnection, received frame: STOMPFrame, now: UInt64) {
        switch frame.command {
        case .RECEIPT where client.tag == 0:
            client.tag = 1
            subscribed += 1
            checkSettled()
        case .ERROR:
            errorFrames += 1
            if errorFrames <= 3 { printError("ERROR frame on connection \(client.index): \(frame["message"] ?? "")") }
        default:
            break
        }
    }

    func client(_ client: BenchConnection, receivedMessageBody body: UnsafeRawBufferPointer, now: UInt64) {}

    func clientDidProcessInput(_ client: BenchConnection) {}

    func clientLost(_ client: BenchConnection, wasReady: Bool) {
        if client.tag == 1 { subscribed -= 1 }
        checkSettled()
    }

    private func checkSettled() {
        guard phase == .connecting, subscribed + pool.failedCount + pool.droppedCount >= plan.connections else { return }
        settle()
    }

    /// Everything is connected: give the node a moment (allocator, lazy buffers), then measure.
    private func settle() {
        guard phase == .connecting else { return }
        phase = .settling
        setupDuration = driver.elapsedSeconds
        printError("idle: \(subscribed) connections subscribed in \(Report.Value.fixed(setupDuration, decimals: 1)) s; settling")
        timer.start(afterMilliseconds: UInt64(plan.settleSeconds * 1_000)) { [unowned self] in measure() }
    }

    private func takeMeasurement() {
        rssAfter = nodePID.flatMap { ProcessStats.residentBytes(pid: $0) }
        benchRSSAfter = ProcessStats.residentBytes(pid: nil)
        subscribedAtMeasurement = subscribed
    }

    private func measure() {
        takeMeasurement()
        guard plan.holdSeconds > 0 else { return finish() }
        phase = .holding
        printError("idle: measured; holding \(subscribed) connections for \(Report.Value.fixed(plan.holdSeconds, decimals: 0)) s (ready)")
        timer.start(afterMilliseconds: UInt64(plan.holdSeconds * 1_000)) { [unowned self] in finish() }
    }

    private func finish() {
        guard phase != .done else { return }
        // Interrupted before the measurement: measure what is there, unsettled.
        if rssAfter == nil {
            if setupDuration == 0 { setupDuration = driver.elapsedSeconds }
            takeMeasurement()
        }
        phase = .done
        timer.close()
        pool.closeAll()
        driver.shutdown()
    }

    private func report() -> Report {
        var report = Report()
        report.add("scenario", "scenario", .text("idle"))
        report.add("transport", "transport", .text(plan.settings.transport.rawValue))
        report.add("connections", "connections requested", .int(plan.connections))
        report.add("subscribed", "connections subscribed", .int(subscribedAtMeasurement))
        report.add("connect_failures", "connections failed in setup", .int(pool.failedCount))
        report.add("connections_dropped", "connections dropped", .int(pool.droppedCount))
        report.add("setup_seconds", "time to connect and subscribe all", .number(setupDuration, decimals: 1), unit: "s")
        report.add("connect_rate", "connect + subscribe rate", number: setupDuration > 0 ? Double(subscribedAtMeasurement) / setupDuration : nil, decimals: 0, unit: "conn/s")
        report.add("node_rss_before_bytes", "node RSS before", int: rssBefore, unit: "bytes")
        report.add("node_rss_after_bytes", "node RSS after", int: rssAfter, unit: "bytes")
        var perConnection: Int?
        if let before = rssBefore, let after = rssAfter, subscribedAtMeasurement > 0 { perConnection = (after - before) / subscribedAtMeasurement }
        report.add("node_rss_per_connection_bytes", "node RSS per connection", int: perConnection, unit: "bytes")
        var benchPer: Int?
        if let before = benchRSSBefore, let after = benchRSSAfter, subscribedAtMeasurement > 0 { benchPer = (after - before) / subscribedAtMeasurement }
        report.add("bench_rss_per_connection_bytes", "bench RSS per connection (client side)", int: benchPer, unit: "bytes")
        report.add("error_frames", "ERROR frames", .int(errorFrames))
        report.add("interrupted", "interrupted", .flag(driver.interrupted || driver.timedOut))
        return report
    }
}

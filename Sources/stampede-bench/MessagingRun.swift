import STOMPWire
import UVLoop

/// The shape of a publishing scenario.
struct MessagingPlan {
    /// "fanout" or "queue", for the report.
    var scenario: String
    /// Where every message goes and what receivers subscribe to.
    var destination: String
    var receivers: Int
    var senders: Int
    /// Every receiver gets every message (topic) rather than exactly one receiver (queue).
    var everyReceiverGetsEveryMessage: Bool
    var receiverSettings: ClientSettings
    var senderSettings: ClientSettings
    var messages: MessageOptions
    /// The `/app` round trip: receivers are backend services subscribed to `serviceRoute` that
    /// answer each call to the sending session only; senders receive the answers.
    var applicationRoundTrip: ApplicationRoundTrip? = nil
}

/// client → node → STOMP service → reply to the sender's session (`reply-to-session`).
struct ApplicationRoundTrip {
    /// The route pattern services subscribe to (`/app/**`).
    var serviceRoute: String
    /// What senders subscribe to for their answers (`/user/queue/bench-replies`) and the part
    /// after `/user/<name>` the services send to.
    var replyQueue = "/queue/bench-replies"
}

/// Connects receivers, SUBSCRIBEs them (with a receipt), connects the senders, publishes for
/// `--duration` at `--rate` (or window-bound), drains, and reports throughput, latency, loss and
/// duplicates. One loop, one thread: senders and receivers share the clock.
final class MessagingRun: ClientPoolDelegate {
    private enum Phase { case connectingReceivers, connectingSenders, warmup, publishing, draining, done }

    private let plan: MessagingPlan
    private let driver: BenchDriver
    private let pool: ClientPool
    private let nodePID: Int32?
    private let setupSeconds: Double
    // `@exclusivity(unchecked)` on what every delivery touches: loop-thread state, never
    // accessed overlapping; the dynamic checks were about a tenth of the generator's time, and
    // a generator that costs more than the node measures itself (issue 13).
    @exclusivity(unchecked) private var phase = Phase.connectingReceivers
    @exclusivity(unchecked) private var receivers: Range<Int> = 0..<0
    @exclusivity(unchecked) private var senders: Range<Int> = 0..<0
    private var templates: [SendTemplate] = []
    private let setupTimer: Timer
    private let tickTimer: Timer
    private let phaseTimer: Timer

    private var subscribed = 0
    private var receiversAtStart = 0
    private var sentBySender: [Int] = []
    @exclusivity(unchecked) private var receivedBySender: [Int] = []
    @exclusivity(unchecked) private var seen: [SequenceSet] = []
    @exclusivity(unchecked) private var latency = LatencyRecorder()
    private var sentTotal = 0
    @exclusivity(unchecked) private var uniqueDeliveries = 0
    @exclusivity(unchecked) private var duplicateDeliveries = 0
    @exclusivity(unchecked) private var malformed = 0
    private var errorFrames = 0
    private var publishStart: UInt64 = 0
    private var publishEnd: UInt64 = 0
    @exclusivity(unchecked) private var lastDelivery: UInt64 = 0
    private var lastProgressDeliveries = 0
    private var nodeCPUAtStart: Double?
    private var benchCPUAtStart: Double?
    private var nodeCPUSeconds: Double?
    private var benchCPUSeconds: Double?
    private var abortReason: String?

    /// Most bytes queued toward the node per sender before it waits (back-pressure).
    private static var senderBacklogBytes: Int { 1 << 20 }
    /// The pacing options as plain values: read through their `@Option` wrappers on every pump,
    /// they cost generic metadata lookups that were a sixth of the generator's time.
    private let rate: Int
    private let window: Int
    private let maxMessages: Int

    init(plan: MessagingPlan, connection: ConnectionOptions) throws {
        self.plan = plan
        let messages = plan.messages
        rate = messages.rate
        window = messages.window
        maxMessages = messages.maxMessages
        let bound = connection.setupTimeout + Double(messages.warmupMilliseconds) / 1e3 + messages.duration + messages.drainTimeout + 30
        driver = try BenchDriver(maxRunSeconds: bound)
        pool = ClientPool(loop: driver.loop, sources: connection.sourcePlan, concurrency: connection.connectConcurrency)
        nodePID = connection.nodePID
        setupSeconds = connection.setupTimeout
        setupTimer = Timer(loop: driver.loop)
        tickTimer = Timer(loop: driver.loop)
        phaseTimer = Timer(loop: driver.loop)
        pool.delegate = self
        templates = (0..<plan.senders).map { SendTemplate(destination: plan.destination, bodySize: messages.messageBytes, producer: $0) }
        sentBySender = Array(repeating: 0, count: plan.senders)
        receivedBySender = Array(repeating: 0, count: plan.senders)
        let sets = plan.everyReceiverGetsEveryMessage ? plan.receivers * plan.senders : plan.senders
        seen = Array(repeating: SequenceSet(), count: sets)
    }

    /// Runs the scenario to the end (or a signal) and returns its report.
    func run() -> Report {
        driver.progressLine = { [unowned self] in progressLine() }
        driver.onStop = { [unowned self] in
            if phase == .publishing { endPublishing() } else { finish() }
        }
        driver.onForceStop = { [unowned self] in
            finish()
            pool.closeAll(immediately: true)
        }
        // Services of an /app run read the calls' headers; every other receiver needs bodies only.
        var receiverSettings = plan.receiverSettings
        receiverSettings.messageBodiesOnly = plan.applicationRoundTrip == nil
        receivers = pool.add(count: plan.receivers, settings: receiverSettings)
        setupTimer.start(afterMilliseconds: UInt64(setupSeconds * 1_000)) { [unowned self] in setupExpired() }
        driver.run()
        return report()
    }

    // MARK: - Setup

    func clientReady(_ client: BenchConnection) {
        if let app = plan.applicationRoundTrip, senders.contains(client.index) {
            client.send(STOMPFrame(.SUBSCRIBE, headers: [("id", "0"), ("destination", "/user" + app.replyQueue), ("receipt", "sub")]))
            return
        }
        if receivers.contains(client.index) {
            let destination = plan.applicationRoundTrip?.serviceRoute ?? plan.destination
            var headers = [("id", "0"), ("destination", destination), ("receipt", "sub")]
            if !plan.everyReceiverGetsEveryMessage { headers.append(("ack", "auto")) }
            client.send(STOMPFrame(.SUBSCRIBE, headers: headers))
        } else if phase == .connectingSenders, plan.applicationRoundTrip == nil, senders.allSatisfy({ pool.connections[$0].phase == .ready }) {
            startWarmup()
        }
    }

    func client(_ client: BenchConnection, received frame: STOMPFrame, now: UInt64) {
        switch frame.command {
        case .MESSAGE where plan.applicationRoundTrip != nil && receivers.contains(client.index):
            answer(frame, from: client)
        case .MESSAGE:
            frame.body.withUnsafeBytes { delivered($0, to: client, now: now) }
        case .RECEIPT where client.tag == 0 && plan.applicationRoundTrip != nil && senders.contains(client.index):
            client.tag = 1
            if phase == .connectingSenders, senders.allSatisfy({ pool.connections[$0].tag == 1 }) { startWarmup() }
        case .RECEIPT where client.tag == 0:
            client.tag = 1
            subscribed += 1
            checkReceiversSettled()
        case .ERROR:
            errorFrames += 1
            if errorFrames <= 3 { printError("ERROR frame on connection \(client.index): \(frame["message"] ?? "")") }
        default:
            break
        }
    }

    /// A service's answer: the call's body back to the calling session only.
    private func answer(_ call: STOMPFrame, from service: BenchConnection) {
        guard let app = plan.applicationRoundTrip, let user = call["app-user"], let session = call["app-session"] else {
            malformed += 1
            return
        }
        service.send(STOMPFrame(.SEND, headers: [("destination", "/user/\(user)\(app.replyQueue)"), ("reply-to-session", session)], body: call.body))
    }

    func client(_ client: BenchConnection, receivedMessageBody body: UnsafeRawBufferPointer, now: UInt64) {
        delivered(body, to: client, now: now)
    }

    func clientDidProcessInput(_ client: BenchConnection) {
        if phase == .publishing { pump() }
    }

    func clientLost(_ client: BenchConnection, wasReady: Bool) {
        if receivers.contains(client.index) {
            if client.tag == 1 { subscribed -= 1 }
            checkReceiversSettled()
        } else if senders.contains(client.index) {
            if phase == .connectingSenders {
                abort("a sender could not connect")
            } else if phase == .publishing, senders.allSatisfy({ pool.connections[$0].phase == .closed }) {
                endPublishing()
            }
        }
    }

    /// Every receiver is subscribed or failed: bring in the senders.
    private func checkReceiversSettled() {
        guard phase == .connectingReceivers else { return }
        let settled = receivers.filter { pool.connections[$0].tag == 1 || pool.connections[$0].phase == .closed }.count
        guard settled == receivers.count else { return }
        connectSenders()
    }

    private func connectSenders() {
        guard subscribed > 0 else { return abort("no receiver could subscribe") }
        phase = .connectingSenders
        var senderSettings = plan.senderSettings
        senderSettings.messageBodiesOnly = true  // the replies of an /app run
        senders = pool.add(count: plan.senders, settings: senderSettings)
    }

    private func setupExpired() {
        switch phase {
        case .connectingReceivers:
            printError("setup timeout: \(subscribed) of \(plan.receivers) receivers subscribed; going on with those")
            connectSenders()
        case .connectingSenders:
            abort("setup timeout: senders did not connect")
        default:
            break
        }
    }

    private func startWarmup() {
        phase = .warmup
        setupTimer.stop()
        phaseTimer.start(afterMilliseconds: UInt64(plan.messages.warmupMilliseconds)) { [unowned self] in startPublishing() }
    }

    // MARK: - Publishing

    private func startPublishing() {
        phase = .publishing
        receiversAtStart = subscribed
        publishStart = MonotonicClock.now()
        nodeCPUAtStart = nodePID.flatMap { ProcessStats.cpuSeconds(pid: $0) }
        benchCPUAtStart = ProcessStats.cpuSeconds(pid: nil)
        tickTimer.start(afterMilliseconds: 1, repeatMilliseconds: 1) { [unowned self] in pump() }
        phaseTimer.start(afterMilliseconds: UInt64(plan.messages.duration * 1_000)) { [unowned self] in endPublishing() }
        pump()
    }

    /// Sends what is due: in rate mode every message whose intended time has come (stamped with
    /// that intended time, so a late sender shows up as latency); in window mode as many as the
    /// in-flight window allows, stamped with now.
    private func pump() {
        guard phase == .publishing else { return }
        let now = MonotonicClock.now()
        let perSenderRate = Double(rate) / Double(plan.senders)
        let fanout = plan.everyReceiverGetsEveryMessage ? max(1, subscribed) : 1
        for (position, index) in senders.enumerated() {
            let sender = pool.connections[index]
            guard sender.phase == .ready else { continue }
            var sent = sentBySender[position]
            if rate > 0 {
                let due = Int(Double(now - publishStart) * perSenderRate / 1e9) + 1
                while sent < due, sentTotal < maxMessages, sender.queuedByteCount < Self.senderBacklogBytes {
                    let intended = publishStart + UInt64(Double(sent) * 1e9 / perSenderRate)
                    sender.send(encoded: templates[position].frame(sequence: sent, timestamp: intended))
                    sent += 1
                    sentTotal += 1
                }
            } else {
                while sentTotal < maxMessages, sent - receivedBySender[position] / fanout < window,
                      sender.queuedByteCount < Self.senderBacklogBytes {
                    sender.send(encoded: templates[position].frame(sequence: sent, timestamp: now))
                    sent += 1
                    sentTotal += 1
                }
            }
            sentBySender[position] = sent
        }
        // A run bounded by --max-messages ends when they are all out, not at --duration.
        if sentTotal >= maxMessages { endPublishing() }
    }

    private func endPublishing() {
        guard phase == .publishing else { return finish() }
        phase = .draining
        publishEnd = MonotonicClock.now()
        tickTimer.stop()
        phaseTimer.start(afterMilliseconds: 20, repeatMilliseconds: 20) { [unowned self] in checkDrained() }
    }

    private var expectedDeliveries: Int { plan.everyReceiverGetsEveryMessage ? sentTotal * receiversAtStart : sentTotal }

    /// Draining ends when every expected delivery arrived, `--drain-timeout` after the last send,
    /// or a second after a signal; what has not arrived by then counts as lost.
    private func checkDrained() {
        let waited = Double(MonotonicClock.now() - publishEnd) / 1e9
        if uniqueDeliveries >= expectedDeliveries || waited >= plan.messages.drainTimeout || (driver.interrupted && waited >= 1) {
            finish()
        }
    }

    private func delivered(_ body: UnsafeRawBufferPointer, to client: BenchConnection, now: UInt64) {
        guard let fields = Payload.read(body), fields.producer < plan.senders else {
            malformed += 1
            return
        }
        let set = plan.everyReceiverGetsEveryMessage ? client.index * plan.senders + fields.producer : fields.producer
        if seen[set].insert(fields.sequence) {
            uniqueDeliveries += 1
            receivedBySender[fields.producer] += 1
            latency.record(sent: fields.timestamp, now: now)
            lastDelivery = now
        } else {
            duplicateDeliveries += 1
        }
    }

    // MARK: - End

    private func abort(_ reason: String) {
        guard abortReason == nil else { return }
        abortReason = reason
        printError(reason)
        finish()
    }

    private func finish() {
        guard phase != .done else { return }
        if publishStart > 0 {
            if publishEnd == 0 { publishEnd = MonotonicClock.now() }
            if let start = nodeCPUAtStart, let end = nodePID.flatMap({ ProcessStats.cpuSeconds(pid: $0) }) { nodeCPUSeconds = end - start }
            if let start = benchCPUAtStart, let end = ProcessStats.cpuSeconds(pid: nil) { benchCPUSeconds = end - start }
        }
        phase = .done
        setupTimer.close()
        tickTimer.close()
        phaseTimer.close()
        pool.closeAll()
        driver.shutdown()
    }

    private func progressLine() -> String {
        let rate = uniqueDeliveries - lastProgressDeliveries
        lastProgressDeliveries = uniqueDeliveries
        let state: String
        switch phase {
        case .connectingReceivers: state = "connecting"
        case .connectingSenders: state = "connecting senders"
        case .warmup: state = "warm-up"
        case .publishing: state = "publishing"
        case .draining: state = "draining"
        case .done: state = "closing"
        }
        let elapsed = Report.Value.fixed(driver.elapsedSeconds, decimals: 1)
        return "\(plan.scenario) \(elapsed)s \(state): connected \(pool.readyCount - pool.droppedCount)/\(plan.receivers + plan.senders), "
            + "subscribed \(subscribed), sent \(Report.Value.grouped(sentTotal)), received \(Report.Value.grouped(uniqueDeliveries)) "
            + "(\(Report.Value.grouped(rate))/s)"
    }

    private func report() -> Report {
        var report = Report()
        report.add("scenario", "scenario", .text(plan.scenario))
        report.add("transport", "transport", .text(plan.receiverSettings.transport.rawValue))
        report.add("destination", "destination", .text(plan.destination))
        report.add("message_bytes", "message body", .int(plan.messages.messageBytes), unit: "bytes")
        report.add("target_rate", "target rate", plan.messages.rate > 0 ? .int(plan.messages.rate) : .text("max (window \(plan.messages.window))"), unit: "msg/s")
        report.add("receivers", "receivers subscribed at start", .int(receiversAtStart), unit: "of \(Report.Value.grouped(plan.receivers))")
        report.add("senders", "senders", .int(plan.senders))
        report.add("connect_failures", "connections failed in setup", .int(pool.failedCount))
        report.add("connections_dropped", "connections dropped during run", .int(pool.droppedCount))
        let publishSeconds = publishEnd > publishStart ? Double(publishEnd - publishStart) / 1e9 : 0
        let deliverySeconds = lastDelivery > publishStart ? Double(lastDelivery - publishStart) / 1e9 : 0
        report.add("publish_seconds", "publishing time", .number(publishSeconds, decimals: 2), unit: "s")
        report.add("sent", "messages sent", .int(sentTotal))
        report.add("send_rate", "send rate", number: publishSeconds > 0 ? Double(sentTotal) / publishSeconds : nil, decimals: 0, unit: "msg/s")
        report.add("delivered", "deliveries received", .int(uniqueDeliveries), unit: "of \(Report.Value.grouped(expectedDeliveries))")
        report.add("delivery_rate", "delivery rate", number: deliverySeconds > 0 ? Double(uniqueDeliveries) / deliverySeconds : nil, decimals: 0, unit: "msg/s")
        report.add("lost", "lost", .int(max(0, expectedDeliveries - uniqueDeliveries)))
        report.add("duplicates", "duplicated", .int(duplicateDeliveries))
        report.add("malformed", "malformed bodies", .int(malformed))
        report.add("error_frames", "ERROR frames", .int(errorFrames))
        latency.addRows(to: &report)
        let wall = max(publishSeconds, deliverySeconds)
        report.add("node_cpu_percent", "node CPU while publishing", number: nodeCPUSeconds.map { wall > 0 ? $0 / wall * 100 : 0 }, decimals: 0, unit: "%")
        report.add("bench_cpu_percent", "bench CPU while publishing", number: benchCPUSeconds.map { wall > 0 ? $0 / wall * 100 : 0 }, decimals: 0, unit: "%")
        report.add("node_rss_bytes", "node RSS at end", int: nodePID.flatMap { ProcessStats.residentBytes(pid: $0) }, unit: "bytes")
        report.add("interrupted", "interrupted", .flag(driver.interrupted || driver.timedOut))
        report.add("aborted", "aborted", abortReason.map { .text($0) } ?? .flag(false))
        return report
    }
}

/// A SEND frame encoded once; each message only rewrites the body's fixed fields.
struct SendTemplate {
    private var bytes: [UInt8]
    private let bodyOffset: Int
    private let producer: Int

    init(destination: String, bodySize: Int, producer: Int) {
        let body = Payload.template(size: bodySize)
        bytes = STOMPEncoder.encode(STOMPFrame(.SEND, headers: [("destination", destination), ("content-type", "text/plain")], body: body), version: .v1_2)
        // The encoder ends the frame with body + NUL.
        bodyOffset = bytes.count - 1 - body.count
        self.producer = producer
    }

    /// The frame for message `sequence` stamped `timestamp`.
    mutating func frame(sequence: Int, timestamp: UInt64) -> [UInt8] {
        Payload.write(Payload.Fields(sequence: sequence, timestamp: timestamp, producer: producer), into: &bytes, at: bodyOffset)
        return bytes
    }
}

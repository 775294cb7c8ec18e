import Foundation
import STOMPClientSession
import STOMPWire
import StampedeClient
import XCTest

/// The client library against real `stampede` processes over ws:// and stomp://.
final class StampedeClientIntegrationTests: XCTestCase {
    private static let fast = StampedeClient.Options(reconnect: ReconnectPolicy(initialDelayMilliseconds: 50, maxDelayMilliseconds: 200), connectTimeout: .seconds(5))

    private func client(_ url: String, login: String? = nil, passcode: String? = nil, options: StampedeClient.Options = fast) async throws -> StampedeClient {
        var options = options
        options.login = login ?? options.login
        options.passcode = passcode ?? options.passcode
        let client = try StampedeClient(url: url, options: options)
        try await client.connect()
        return client
    }

    /// The next `count` messages of `subscription`, or a timeout error.
    private func next(_ count: Int, of subscription: StampedeSubscription, within seconds: Double = 5) async throws -> [StampedeMessage] {
        try await withThrowingTaskGroup(of: [StampedeMessage].self) { group in
            group.addTask {
                var messages: [StampedeMessage] = []
                for try await message in subscription {
                    messages.append(message)
                    if messages.count == count { break }
                }
                return messages
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1_000)))
                throw StampedeClientError.timeout
            }
            defer { group.cancelAll() }
            return try await group.next() ?? []
        }
    }

    func testSubscribeOverWebSocketReceivesWhatIsSentOverTCPWithAReceipt() async throws {
        let node = try StampedeNode()
        let subscriber = try await client(node.ws)
        let publisher = try await client(node.stomp)
        let subscription = try await subscriber.subscribe("/topic/news")
        try await publisher.send("one", to: "/topic/news", headers: ["kind": "test"], receipt: true)
        try await publisher.send([0, 1, 2], to: "/topic/news", receipt: true)
        let messages = try await next(2, of: subscription)
        XCTAssertEqual(messages[0].bodyText, "one")
        XCTAssertEqual(messages[0]["kind"], "test")
        XCTAssertEqual(messages[0].destination, "/topic/news")
        XCTAssertEqual(messages[1].body, [0, 1, 2], "binary bodies survive (content-length)")
        if case .connected(let version, let server) = await subscriber.state {
            XCTAssertEqual(version, .v1_2)
            XCTAssertTrue(server?.lowercased().hasPrefix("stampede") ?? false, "\(server ?? "no server header")")
        } else { XCTFail("not connected") }
        await subscriber.disconnect()
        await publisher.disconnect()
        guard case .closed(nil) = await subscriber.state else { return XCTFail("not closed cleanly") }
    }

    /// Sends without a receipt return once queued and go out in bursts (issue 14); over both
    /// transports they still arrive complete and in order, before a later send with a receipt
    /// and before a later SUBSCRIBE's effect.
    func testABurstOfSendsWithoutReceiptsArrivesCompleteAndInOrder() async throws {
        let node = try StampedeNode()
        let subscriber = try await client(node.stomp)
        let subscription = try await subscriber.subscribe("/topic/burst")
        for url in [node.stomp, node.ws] {
            let publisher = try await client(url)
            for number in 0..<5_000 { try await publisher.send("\(number)", to: "/topic/burst") }
            try await publisher.send("last", to: "/topic/burst", receipt: true)
            // Two loops: the first stops inside a batch, and the second goes on from there.
            let messages = try await next(10, of: subscription) + next(4_991, of: subscription)
            XCTAssertEqual(messages.map(\.bodyText), (0..<5_000).map { "\($0)" } + ["last"], url)
            await publisher.disconnect()
        }
        await subscriber.disconnect()
    }

    func testClientAckSettlesAndNackRedeliversOnAQueue() async throws {
        let node = try StampedeNode()
        let consumer = try await client(node.stomp)
        let producer = try await client(node.ws)
        let queue = try await consumer.subscribe("/queue/jobs", ack: .clientIndividual)
        try await producer.send("job", to: "/queue/jobs", receipt: true)
        let first = try await next(1, of: queue)[0]
        XCTAssertNotNil(first["ack"])
        try await consumer.nack(first)
        let again = try await next(1, of: queue)[0]
        XCTAssertEqual(again.bodyText, "job")
        XCTAssertTrue(again.isRedelivered)
        try await consumer.ack(again)
        try await producer.send("next", to: "/queue/jobs", receipt: true)
        let last = try await next(1, of: queue)[0].bodyText
        XCTAssertEqual(last, "next", "the ACKed job is not delivered again")
    }

    func testATransactionDeliversOnCommitAndNothingOnAbort() async throws {
        let node = try StampedeNode()
        let subscriber = try await client(node.ws)
        let publisher = try await client(node.stomp)
        let topic = try await subscriber.subscribe("/topic/tx")
        let aborted = try await publisher.begin()
        try await publisher.send("dropped", to: "/topic/tx", transaction: aborted)
        try await publisher.abort(aborted)
        let committed = try await publisher.begin()
        try await publisher.send("kept", to: "/topic/tx", transaction: committed)
        try await publisher.commit(committed)
        let last = try await next(1, of: topic)[0].bodyText
        XCTAssertEqual(last, "kept")
    }

    func testAServerErrorIsATypedErrorCarryingItsMessage() async throws {
        let node = try StampedeNode(arguments: ["--set", "auth.users=alice:secret,bob:pw"])
        do {
            _ = try await client(node.stomp, login: "alice", passcode: "wrong")
            XCTFail("connected with a wrong passcode")
        } catch let error as StampedeClientError {
            guard case .server(let serverError) = error else { return XCTFail("\(error)") }
            XCTAssertFalse(serverError.message.isEmpty)
            XCTAssertFalse(serverError.message.contains("wrong"), "no secret in the error")
        }
        let alice = try await client(node.ws, login: "alice", passcode: "secret")
        do {
            _ = try await alice.subscribe("/user/bob/queue/private")
            XCTFail("subscribed to another user's destination")
        } catch let error as StampedeClientError {
            guard case .server(let serverError) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(serverError.receiptID != nil, true)
            XCTAssertFalse(serverError.message.isEmpty)
        }
    }

    func testATokenAuthenticatesOverWebSocketAndTCPAndNoTokenIsRefused() async throws {
        let secret = "client-test-secret-client-test-secret-0123"
        let node = try StampedeNode(arguments: ["--set", "auth.jwt.secret=\(secret)"])
        let token = try StampedeNode.run(["token", "--set", "auth.jwt.secret=\(secret)", "--sub", "alice", "--ttl", "1h"]).trimmingCharacters(in: .whitespacesAndNewlines)
        var options = Self.fast
        options.token = token
        let overWebSocket = try await client(node.ws, options: options)
        let overTCP = try await client(node.stomp, options: options)
        let notes = try await overWebSocket.subscribe("/user/queue/notes")
        try await overTCP.send("for alice", to: "/user/alice/queue/notes", receipt: true)
        let note = try await next(1, of: notes)[0]
        XCTAssertEqual(note.bodyText, "for alice", "both sessions are alice")
        XCTAssertEqual(note["user-id"], "alice")
        do {
            _ = try await client(node.stomp)
            XCTFail("connected without a token")
        } catch let error as StampedeClientError {
            guard case .server = error else { return XCTFail("\(error)") }
        }
    }

    func testANodeRestartReconnectsResubscribesAndDeliversSendsQueuedMeanwhile() async throws {
        let node = try StampedeNode()
        let client = try await client(node.stomp)
        let states = await client.stateUpdates()
        let subscription = try await client.subscribe("/topic/restart")
        node.kill9()
        for await state in states {
            if case .waitingToReconnect = state { break }
        }
        try await client.send("queued while down", to: "/topic/restart")
        try node.start()
        let messages = try await next(1, of: subscription, within: 10)
        XCTAssertEqual(messages[0].bodyText, "queued while down", "resubscribed before the queued send went out")
    }

    func testAStoppedNodeIsDetectedByHeartBeatAndTheClientReconnectsAfterwards() async throws {
        let node = try StampedeNode(arguments: ["--set", "stomp.heart-beat=100,100"])
        var options = Self.fast
        options.heartBeat = HeartBeat(canSend: 100, wantsReceive: 100)
        let client = try await client(node.ws, options: options)
        let states = await client.stateUpdates()
        node.signal(SIGSTOP)
        var reason: StampedeClientError?
        for await state in states {
            if case .waitingToReconnect(_, _, let why) = state { reason = why; break }
        }
        XCTAssertEqual(reason, .heartBeatTimeout)
        node.signal(SIGCONT)
        let subscription = try await client.subscribe("/topic/hb")
        try await client.connect()
        try await client.send("back", to: "/topic/hb", receipt: true)
        let last = try await next(1, of: subscription)[0].bodyText
        XCTAssertEqual(last, "back")
    }

    func testRequestGetsTheReplyOfAnAppServiceToThisSessionOnly() async throws {
        let node = try StampedeNode(arguments: ["--set", "applications.service-users=svc"])
        let service = try await client(node.stomp, login: "svc")
        let calls = try await service.subscribe("/app/**")
        let answering = Task {
            for try await call in calls {
                try await service.send("echo: \(call.bodyText)", to: "/user/\(call["app-user"] ?? "")/queue/replies", headers: [
                    "reply-to-session": call["app-session"] ?? "", "correlation-id": call["correlation-id"] ?? "",
                ])
            }
        }
        defer { answering.cancel() }
        let alice = try await client(node.ws, login: "alice")
        let reply = try await alice.request("hi", to: "/app/echo", timeout: .seconds(5))
        XCTAssertEqual(reply.bodyText, "echo: hi")
        let second = try await alice.request("again", to: "/app/echo", timeout: .seconds(5))
        XCTAssertEqual(second.bodyText, "echo: again")
        do {
            _ = try await alice.request("nobody", to: "/topic/void", timeout: .milliseconds(200))
            XCTFail("answered")
        } catch let error as StampedeClientError {
            XCTAssertEqual(error, .timeout)
        }
    }

    func testCLISubReceivesWhatPubSent() throws {
        let node = try StampedeNode()
        let sub = Process()
        sub.executableURL = StampedeNode.executable
        sub.arguments = ["sub", "--url", node.ws, "/topic/cli", "--count", "3", "--timeout", "10"]
        let output = Pipe()
        let errors = Pipe()
        sub.standardOutput = output
        sub.standardError = errors
        try sub.run()
        // `sub` says "subscribed to" on standard error once the SUBSCRIBE has its RECEIPT.
        var said = Data()
        while !String(decoding: said, as: UTF8.self).contains("subscribed to") {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            said += chunk
        }
        let pub = Process()
        pub.executableURL = StampedeNode.executable
        pub.arguments = ["pub", "--url", node.stomp, "/topic/cli", "hello", "--count", "3"]
        try pub.run()
        pub.waitUntilExit()
        XCTAssertEqual(pub.terminationStatus, 0)
        sub.waitUntilExit()
        XCTAssertEqual(sub.terminationStatus, 0)
        XCTAssertEqual(String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self), "hello\nhello\nhello\n")
    }

    func testCLIExitsNonZeroWithTheServersErrorMessage() throws {
        let node = try StampedeNode(arguments: ["--set", "auth.users=alice:secret"])
        let pub = Process()
        pub.executableURL = StampedeNode.executable
        pub.arguments = ["pub", "--url", node.stomp, "--login", "alice", "--passcode", "nope", "/topic/x", "hi"]
        let errors = Pipe()
        pub.standardError = errors
        try pub.run()
        pub.waitUntilExit()
        XCTAssertEqual(pub.terminationStatus, 1)
        XCTAssertTrue(String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).contains("server error:"))
    }
}

import Foundation
import Glibc
import STOMPClientSession
import STOMPWire
import StampedeClient
import TestSupport
import XCTest

/// The client behind HAProxy in front of three nodes sharing redis-server: `kill -9` of the node
/// it is connected to, and a client-acknowledged queue loses nothing.
final class StampedeClientFailoverTests: XCTestCase {
    private func haproxy(frontend: Int, backends: [Int]) throws -> (Process, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("haproxy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // `balance first`: every connection goes to node1 while it is up, so the test knows which
        // node to kill; `check` takes a dead node out, `redispatch` retries on the next one.
        let servers = backends.enumerated().map { "    server node\($0.offset + 1) 127.0.0.1:\($0.element) check inter 200ms fall 1 rise 1" }
        let config = """
            defaults
                mode tcp
                timeout connect 1s
                timeout client 60s
                timeout server 60s
                retries 3
                option redispatch
            frontend stomp
                bind 127.0.0.1:\(frontend)
                default_backend nodes
            backend nodes
                balance first
            \(servers.joined(separator: "\n"))

            """
        let file = directory.appendingPathComponent("haproxy.cfg")
        try config.write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/haproxy")
        process.arguments = ["-db", "-f", file.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while !LoopbackPorts.accepts(frontend), Date() < deadline { usleep(20_000) }
        return (process, directory)
    }

    func testKillingTheConnectedNodeLosesNoClientAcknowledgedQueueMessage() async throws {
        let redis = try RedisServerProcess.started()
        defer { redis.stop() }
        let cluster = ["--api-port", "off", "--redis", "redis://127.0.0.1:\(redis.port)", "--set", "cluster.heartbeat-ms=200", "--set", "cluster.node-timeout-ms=1000"]
        let nodes = try (1...3).map { try StampedeNode(arguments: cluster + ["--node-id", "node\($0)"]) }
        let frontend = try LoopbackPorts.free()
        let (proxy, directory) = try haproxy(frontend: frontend, backends: nodes.map(\.stompPort))
        defer {
            proxy.terminate()
            proxy.waitUntilExit()
            try? FileManager.default.removeItem(at: directory)
        }
        let options = StampedeClient.Options(
            heartBeat: HeartBeat(canSend: 500, wantsReceive: 500),
            reconnect: ReconnectPolicy(initialDelayMilliseconds: 100, maxDelayMilliseconds: 500), connectTimeout: .seconds(5))
        let consumer = try StampedeClient(url: "stomp://127.0.0.1:\(frontend)", options: options)
        try await consumer.connect()
        let jobs = try await consumer.subscribe("/queue/failover.jobs", ack: .clientIndividual)
        let producer = try StampedeClient(url: nodes[2].stomp, options: options)
        try await producer.connect()
        let total = 60
        for number in 0..<total { try await producer.send("job \(number)", to: "/queue/failover.jobs", receipt: number == total - 1) }

        // A watchdog ends the subscription (by closing the client) if the test hangs.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(30))
            await consumer.disconnect()
        }
        var acknowledged = Set<String>()
        var killed = false
        var finished = false
        var redelivered = 0
        for try await job in jobs {
            if job.isRedelivered { redelivered += 1 }
            // Jobs 0-29 are ACKed on node1; node1 then dies holding the next one un-ACKed.
            if !killed, acknowledged.count == 30 {
                killed = true
                nodes[0].kill9()
                continue
            }
            do {
                try await consumer.ack(job)
            } catch {
                continue  // delivered on the dead node's connection: it comes again, redelivered
            }
            acknowledged.insert(job.bodyText)
            if acknowledged.count == total {
                finished = true
                break
            }
        }
        watchdog.cancel()
        XCTAssertTrue(killed)
        XCTAssertGreaterThan(redelivered, 0, "what node1 held un-ACKed came back through another node, flagged redelivered")
        XCTAssertTrue(finished, "acknowledged \(acknowledged.count) of \(total): missing \(Set((0..<total).map { "job \($0)" }).subtracting(acknowledged).sorted())")
        await consumer.disconnect()
        await producer.disconnect()
    }
}

import Foundation
import STOMPWire
import XCTest

/// The admin endpoint of a real node process.
final class AdminIntegrationTests: GatewayTestCase {
    func testHealthReadinessAndTheSingleNodeClusterView() throws {
        let node = try self.node
        XCTAssertEqual(try httpGet(port: node.adminPort, path: "/healthz").status, 200)
        let ready = try httpGet(port: node.adminPort, path: "/readyz")
        XCTAssertEqual(ready.status, 200)
        XCTAssertEqual(try json(ready.body)["status"] as? String, "ok")
        let alice = try connectedClient(.webSocket, login: "alice")
        try alice.subscribe("/topic/admin-view", id: "a")
        usleep(1_200_000)  // one heartbeat publishes the node's report
        let cluster = try json(try httpGet(port: node.adminPort, path: "/admin/cluster").body)
        let nodes = cluster["nodes"] as? [[String: Any]] ?? []
        XCTAssertEqual(nodes.count, 1)
        XCTAssertEqual(nodes.first?["redis"] as? String, "standalone")
        XCTAssertGreaterThanOrEqual(nodes.first?["connections"] as? Int ?? 0, 1)
        let users = try json(try httpGet(port: node.adminPort, path: "/admin/users/alice").body)
        XCTAssertEqual(users["sessions"] as? Int, 1)
        let destinations = try json(try httpGet(port: node.adminPort, path: "/admin/destinations").body)
        let names = (destinations["destinations"] as? [[String: Any]] ?? []).compactMap { $0["destination"] as? String }
        XCTAssertTrue(names.contains("/topic/admin-view"))
    }

    func testMetricsAreInPrometheusFormat() throws {
        let node = try self.node
        let c = try connectedClient(.tcp)
        try c.publish("/topic/metrics", "x")
        let metrics = try httpGet(port: node.adminPort, path: "/metrics")
        XCTAssertEqual(metrics.status, 200)
        for line in ["# TYPE stampede_connections gauge", "stampede_frames_in_total{command=\"SEND\"}", "stampede_cluster_link_up{state=\"standalone\"} 1"] {
            XCTAssertTrue(metrics.body.contains(line), "missing \(line) in\n\(metrics.body)")
        }
    }

    func testClusterStatusCommandPrintsTheTable() throws {
        let node = try self.node
        usleep(1_200_000)
        let process = Process()
        process.executableURL = NodeProcess.executable
        process.arguments = ["cluster", "status", "--admin", "http://127.0.0.1:\(node.adminPort)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, output)
        XCTAssertTrue(output.contains("NODE"), output)
        XCTAssertTrue(output.contains("standalone"), output)
    }
}

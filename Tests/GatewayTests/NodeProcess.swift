import Foundation
import Glibc
import TestSupport
import XCTest

/// A real `stampede` process on free loopback ports, stopped with SIGTERM.
final class NodeProcess {
    let process = Process()
    let webSocketPort: Int
    let stompPort: Int
    let adminPort: Int
    let apiPort: Int
    let logFile: URL

    /// The `stampede` executable SwiftPM built next to the test bundle.
    static var executable: URL { StampedeExecutable.url }

    init(arguments: [String] = [], environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) throws {
        let ports = try LoopbackPorts.distinct(4)
        (webSocketPort, stompPort, adminPort, apiPort) = (ports[0], ports[1], ports[2], ports[3])
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-test-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        process.executableURL = NodeProcess.executable
        process.arguments = ["--port", "\(webSocketPort)", "--stomp-port", "\(stompPort)", "--admin-port", "\(adminPort)", "--api-port", "\(apiPort)", "--log-level", "debug"] + arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { $1 }
        process.environment = env
        let handle = try FileHandle(forWritingTo: logFile)
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        try waitUntilListening()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logFile)
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Waits until the log contains `text` (lines reach the file a little after the ports open).
    func waitForLog(_ text: String, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while !log.contains(text) {
            guard Date() < deadline else { return false }
            usleep(10_000)
        }
        return true
    }

    /// SIGKILL: the node dies without a goodbye (no cleanup of its cluster entries).
    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM, then the exit status (0 means a clean shutdown).
    @discardableResult
    func stop(timeout: TimeInterval = 15) -> Int32 {
        guard process.isRunning else { return process.terminationStatus }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -1
        }
        return process.terminationStatus
    }

    private func waitUntilListening() throws {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if !process.isRunning { throw TestClientError(description: "stampede exited early: \(log)") }
            if (try? TestClient(port: stompPort)) != nil, (try? TestClient(port: webSocketPort)) != nil { return }
            usleep(20_000)
        }
        throw TestClientError(description: "stampede did not start listening: \(log)")
    }
}

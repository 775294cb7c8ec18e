import Foundation
import Glibc
import TestSupport
import XCTest

/// A real `stampede` node process for the client tests; `restart()` keeps its ports.
final class StampedeNode {
    private(set) var process = Process()
    let webSocketPort: Int
    let stompPort: Int
    let adminPort: Int
    let arguments: [String]
    let logFile: URL

    /// The `stampede` executable SwiftPM built next to the test bundle.
    static var executable: URL { StampedeExecutable.url }

    init(arguments: [String] = []) throws {
        let ports = try LoopbackPorts.distinct(3)
        (webSocketPort, stompPort, adminPort) = (ports[0], ports[1], ports[2])
        self.arguments = arguments
        logFile = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-client-test-\(UUID().uuidString).log")
        try start()
    }

    deinit {
        kill9()
        try? FileManager.default.removeItem(at: logFile)
    }

    var ws: String { "ws://127.0.0.1:\(webSocketPort)/ws" }
    var stomp: String { "stomp://127.0.0.1:\(stompPort)" }
    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    func start() throws {
        process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--port", "\(webSocketPort)", "--stomp-port", "\(stompPort)", "--admin-port", "\(adminPort)"] + arguments
        if !FileManager.default.fileExists(atPath: logFile.path) { _ = FileManager.default.createFile(atPath: logFile.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: logFile)
        handle.seekToEndOfFile()
        process.standardError = handle
        process.standardOutput = handle
        try process.run()
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            guard process.isRunning else { throw NodeError(description: "stampede exited: \(log)") }
            if LoopbackPorts.accepts(stompPort), LoopbackPorts.accepts(webSocketPort) { return }
            usleep(20_000)
        }
        throw NodeError(description: "stampede did not listen: \(log)")
    }

    /// Runs `stampede <arguments>` to completion and returns its standard output.
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw NodeError(description: "stampede \(arguments.first ?? "") exited \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }

    func kill9() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    struct NodeError: Error, CustomStringConvertible { let description: String }
}

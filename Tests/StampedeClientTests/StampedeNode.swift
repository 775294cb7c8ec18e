import Foundation
import Glibc
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
    static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("stampede")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/stampede")
    }

    init(arguments: [String] = []) throws {
        var ports: [Int] = []
        while ports.count < 3 {
            let port = try Self.freePort()
            if !ports.contains(port) { ports.append(port) }
        }
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
            if Self.accepts(stompPort), Self.accepts(webSocketPort) { return }
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

    private static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer -> Int32 in
                guard bind(fd, pointer, length) == 0 else { return -1 }
                return getsockname(fd, pointer, &length)
            }
        }
        guard bound == 0 else { throw NodeError(description: "no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

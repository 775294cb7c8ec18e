import Foundation
import Glibc
public import RedisClient

/// A real `redis-server` for tests: loopback only, no persistence (`--save '' --appendonly no`)
/// unless `appendOnly` is set before `start` (AOF, fsync at every write, kept across restarts),
/// started on a free (or given) port and restartable on the same port. `start` returns once the
/// server answers PING. Killed in `deinit` if still running.
public final class RedisServerProcess {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The port of the last start (0 before the first).
    public private(set) var port = 0
    /// Persist with an append-only file (`--appendonly yes --appendfsync always`): data
    /// survives `restart` and `kill9` + `start`.
    public var appendOnly = false
    private var process: Process?
    private let directory: URL

    public init() {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-test-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit {
        kill9()
        try? FileManager.default.removeItem(at: directory)
    }

    /// A started server on a free port.
    public static func started() throws -> RedisServerProcess {
        let server = RedisServerProcess()
        try server.start()
        return server
    }

    public var endpoint: RedisEndpoint { RedisEndpoint(host: "127.0.0.1", port: port)! }

    public var isRunning: Bool { process?.isRunning ?? false }

    /// The server's log (stdout and stderr).
    public var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    private var logFile: URL { directory.appendingPathComponent("redis.log") }

    /// Starts `redis-server` on `port` (a free port if `nil`) and waits until PING answers.
    public func start(port requested: Int? = nil, timeoutSeconds: Double = 10) throws {
        guard !isRunning else { throw Failure(description: "redis-server already running on \(port)") }
        port = try requested ?? Self.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executablePath)
        process.arguments = [
            "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", appendOnly ? "yes" : "no", "--appendfsync", "always",
            "--daemonize", "no", "--dir", directory.path, "--loglevel", "warning",
        ]
        if !FileManager.default.fileExists(atPath: logFile.path) {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        }
        let output = try FileHandle(forWritingTo: logFile)
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while Date() < deadline {
            if !process.isRunning { throw Failure(description: "redis-server exited early:\n\(log)") }
            if ping() { return }
            usleep(10_000)
        }
        kill9()
        throw Failure(description: "redis-server did not answer PING on port \(port):\n\(log)")
    }

    /// Stops the server with SIGTERM (SIGKILL after `timeoutSeconds`) and waits for it to exit.
    public func stop(timeoutSeconds: Double = 5) {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGCONT)  // a suspended server cannot act on SIGTERM
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { kill9() } else { process.waitUntilExit() }
    }

    /// Kills the server with SIGKILL (no shutdown work: its clients see their connections break).
    public func kill9() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGSTOP: the server keeps its sockets open but answers nothing (a hung or partitioned
    /// Redis as its clients see it: no reset, no reply).
    public func suspend() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGSTOP)
    }

    /// SIGCONT after `suspend`: the server answers everything queued meanwhile.
    public func resume() {
        guard let process, process.isRunning else { return }
        kill(process.processIdentifier, SIGCONT)
    }

    /// Stops the server if it runs, then starts it again on the same port.
    public func restart() throws {
        stop()
        try start(port: port)
    }

    /// Whether the server answers PING right now.
    public func ping() -> Bool {
        (try? command(["PING"])) == .status("PONG")
    }

    /// Runs one command on a fresh blocking connection (for setup and checks, not for speed).
    public func command(_ arguments: [String], timeoutSeconds: Int = 2) throws -> RedisReply {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = LoopbackPorts.loopback(port: port)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw Failure(description: "connect to \(port) failed: errno \(errno)") }

        var request = Array("*\(arguments.count)\r\n".utf8)
        for argument in arguments {
            let bytes = Array(argument.utf8)
            request += Array("$\(bytes.count)\r\n".utf8) + bytes + Array("\r\n".utf8)
        }
        let sent = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == request.count else { throw Failure(description: "send failed: errno \(errno)") }

        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let (reply, _) = RESPReader.parse(buffer, from: 0) { return reply }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { throw Failure(description: "no complete reply (recv \(count), errno \(errno))") }
            buffer += chunk[0..<count]
        }
    }

    /// A port the kernel just handed out for an ephemeral bind (free at that moment).
    public static func freePort() throws -> Int { try LoopbackPorts.free() }

    static var executablePath: String {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/redis-server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return "/usr/bin/redis-server"
    }
}

/// Just enough RESP2 parsing for the test helper's blocking commands.
enum RESPReader {
    /// The reply starting at `index` and the index after it; `nil` if incomplete.
    static func parse(_ bytes: [UInt8], from index: Int) -> (RedisReply, Int)? {
        guard index < bytes.count, let (line, next) = line(bytes, from: index + 1) else { return nil }
        let text = String(decoding: line, as: UTF8.self)
        switch bytes[index] {
        case UInt8(ascii: "+"): return (.status(text), next)
        case UInt8(ascii: "-"): return (.error(text), next)
        case UInt8(ascii: ":"): return Int64(text).map { (.integer($0), next) }
        case UInt8(ascii: "$"):
            guard let length = Int(text) else { return nil }
            if length < 0 { return (.null, next) }
            guard bytes.count >= next + length + 2 else { return nil }
            return (.string(Array(bytes[next..<next + length])), next + length + 2)
        case UInt8(ascii: "*"):
            guard let count = Int(text) else { return nil }
            if count < 0 { return (.null, next) }
            var elements: [RedisReply] = []
            var position = next
            for _ in 0..<count {
                guard let (element, after) = parse(bytes, from: position) else { return nil }
                elements.append(element)
                position = after
            }
            return (.array(elements), position)
        default:
            return nil
        }
    }

    private static func line(_ bytes: [UInt8], from index: Int) -> (ArraySlice<UInt8>, Int)? {
        var position = index
        while position + 1 < bytes.count {
            if bytes[position] == 13 && bytes[position + 1] == 10 { return (bytes[index..<position], position + 2) }
            position += 1
        }
        return nil
    }
}

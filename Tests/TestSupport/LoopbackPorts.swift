import Foundation
import Glibc
import Synchronization

/// Loopback ports for test processes: free ones to hand out, and whether one accepts yet.
public enum LoopbackPorts {
    /// A loopback port that is free now and that no outgoing connection will take before a test
    /// process binds it.
    ///
    /// A port from bind(0) comes from the kernel's ephemeral range, the range outgoing connections
    /// use too: a node's connection to redis-server could take the port meant for the next node
    /// before that node listens (CI saw "address in use"). So ports come from below that range,
    /// and none is handed out twice by one test process.
    public static func free() throws -> Int {
        let ceiling = ephemeralRangeStart()
        let floor = ceiling > 12_000 ? 10_000 : 1_024
        for _ in 0..<10_000 {
            let port = Int.random(in: floor..<ceiling)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if canBind(port) { return port }
        }
        throw PortError(description: "could not find a free port below \(ceiling)")
    }

    private static let handedOut = Mutex<Set<Int>>([])

    /// The first port of net.ipv4.ip_local_port_range (Linux's default is 32768).
    private static func ephemeralRangeStart() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
              let first = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first,
              let port = Int(first)
        else { return 32_768 }
        return port
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// `count` different free ports.
    public static func distinct(_ count: Int) throws -> [Int] {
        try (0..<count).map { _ in try free() }
    }

    /// Whether something on 127.0.0.1 accepts a TCP connection on `port` now.
    public static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    public struct PortError: Error, CustomStringConvertible {
        public let description: String
    }
}

/// The `stampede` executable SwiftPM built next to the running test bundle.
public enum StampedeExecutable {
    public static var url: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("stampede")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/stampede")
    }
}

import Glibc
import RedisClient
import UVLoop
@_exported import TestSupport
import XCTest

/// Records state changes of a connection or subscriber.
final class StateRecorder {
    var states: [RedisLinkState] = []

    var connectCount: Int { states.filter { $0 == .connected }.count }
    var attemptCount: Int { states.filter { $0 == .connecting }.count }
    var disconnections: [String] {
        states.compactMap { if case .disconnected(let reason) = $0 { reason } else { nil } }
    }

    func record(_ state: RedisLinkState) {
        states.append(state)
    }
}

extension RedisConnection {
    /// Sends and spins the loop until the reply arrives.
    func sendAndWait(_ loop: EventLoop, _ arguments: [String], file: StaticString = #filePath, line: UInt = #line) -> RedisReply? {
        var result: RedisReply?
        send(arguments) { result = $0 }
        spin(loop, "for reply to \(arguments)", file: file, line: line) { result != nil }
        return result
    }
}

extension Array where Element == UInt8 {
    var utf8String: String { String(decoding: self, as: UTF8.self) }
}

/// 127.0.0.1:`port` as a `sockaddr_in`.
func loopbackAddress(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    return address
}

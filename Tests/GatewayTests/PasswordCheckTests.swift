import Auth
import Foundation
import STOMPWire
import XCTest

/// Users-file passcodes are checked on libuv's thread pool: a burst of logins does not stall the
/// node, and the number in progress is bounded (`limits.max-pending-password-checks`).
final class PasswordCheckTests: XCTestCase {
    /// A users file whose `slow` entry takes about a second to check (PBKDF2 rounds).
    private func usersFile() throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString)").path
        let slow = try PasswordHash.make("s3cret", iterations: 1_500_000)
        try "slow:\(slow)\n".write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    private func startConnect(_ port: Int, passcode: String) throws -> TestClient {
        let client = try TestClient(port: port)
        try client.send(.CONNECT, [("accept-version", "1.2"), ("login", "slow"), ("passcode", passcode)])
        return client
    }

    func testPasswordChecksRunOffTheLoop() throws {
        let file = try usersFile()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let node = try NodeProcess(arguments: ["--set", "auth.users-file=\(file)", "--set", "listen.endpoints=stomp:kind=stomp auth=users|anonymous"])
        defer { _ = node.stop() }
        let busy = try (0..<3).map { _ in try startConnect(node.stompPort, passcode: "s3cret") }
        // While three slow checks run, an anonymous session connects and round-trips a message.
        let started = Date()
        let other = try TestClient(port: node.stompPort)
        try other.send(.CONNECT, [("accept-version", "1.2")])
        _ = try other.expect(.CONNECTED)
        try other.send(.SUBSCRIBE, [("id", "0"), ("destination", "/topic/quick"), ("receipt", "r")])
        _ = try other.expect(.RECEIPT)
        try other.send(.SEND, [("destination", "/topic/quick")], body: "still served")
        XCTAssertEqual(String(decoding: try other.expect(.MESSAGE).body, as: UTF8.self), "still served")
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertLessThan(elapsed, 0.5, "the loop waited for password hashing (\(elapsed) s)")
        for client in busy { XCTAssertEqual(try client.expect(.CONNECTED, timeout: 30)["user-name"], "slow") }
    }

    func testTooManyPasswordChecksInProgressAreRefusedAsBusy() throws {
        let file = try usersFile()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let node = try NodeProcess(arguments: ["--set", "auth.users-file=\(file)", "--set", "limits.max-pending-password-checks=1"])
        defer { _ = node.stop() }
        let first = try startConnect(node.stompPort, passcode: "s3cret")
        Thread.sleep(forTimeInterval: 0.2)
        let second = try startConnect(node.stompPort, passcode: "s3cret")
        let refusal = try second.expect(.ERROR)
        XCTAssertEqual(refusal["message"], "authentication failed: server busy: too many logins in progress, retry")
        XCTAssertEqual(try first.expect(.CONNECTED, timeout: 30)["user-name"], "slow")
    }

    func testAWrongPasscodeIsStillRefusedAfterTheCheck() throws {
        let file = try usersFile()
        defer { try? FileManager.default.removeItem(atPath: file) }
        let node = try NodeProcess(arguments: ["--set", "auth.users-file=\(file)"])
        defer { _ = node.stop() }
        let client = try startConnect(node.stompPort, passcode: "wrong")
        XCTAssertEqual(try client.expect(.ERROR, timeout: 30)["message"], "authentication failed: bad login or passcode")
    }
}

import Foundation
import STOMPWire
import XCTest

/// `stampede passwd` and `stampede token` against a real node.
final class IdentityCommandTests: XCTestCase {
    func run(_ arguments: [String], input: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = NodeProcess.executable
        process.arguments = arguments
        let output = Pipe(), stdin = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func testPasswdWritesAHashTheNodeAccepts() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("users-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        XCTAssertEqual(try run(["passwd", "--file", file, "alice", "--role", "agent"], input: "s3cret\n").status, 0)
        XCTAssertEqual(try run(["passwd", "--file", file, "bob"], input: "other\n").status, 0)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        XCTAssertFalse(text.contains("s3cret"))
        XCTAssertTrue(text.contains("alice:pbkdf2-sha256$210000$"))
        XCTAssertTrue(text.hasSuffix(":agent\nbob:" + (text.components(separatedBy: "\nbob:").last ?? "")))
        let node = try NodeProcess(arguments: ["--set", "auth.users-file=\(file)"])
        defer { _ = node.stop() }
        let good = try TestClient(port: node.stompPort)
        try good.send(.CONNECT, [("accept-version", "1.2"), ("login", "alice"), ("passcode", "s3cret")])
        XCTAssertEqual(try good.receive()["user-name"], "alice")
        let bad = try TestClient(port: node.stompPort)
        try bad.send(.CONNECT, [("accept-version", "1.2"), ("login", "alice"), ("passcode", "wrong")])
        XCTAssertEqual(try bad.receive()["message"], "authentication failed: bad login or passcode")
        let selfNamed = try TestClient(port: node.stompPort)
        try selfNamed.send(.CONNECT, [("accept-version", "1.2"), ("login", "mallory")])
        XCTAssertEqual(try selfNamed.receive().command, .ERROR, "with a users file, self-named logins are off")
    }

    func testTokenCommandMintsATokenTheNodeAccepts() throws {
        let secret = String(repeating: "cli-token-secret-", count: 3)
        let minted = try run(["token", "--set", "auth.jwt.secret=\(secret)", "--sub", "carol", "--role", "agent", "--ttl", "5m"])
        XCTAssertEqual(minted.status, 0, minted.output)
        let token = minted.output.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(token.split(separator: ".").count, 3)
        let node = try NodeProcess(arguments: ["--set", "auth.jwt.secret=\(secret)"])
        defer { _ = node.stop() }
        let client = try TestClient(port: node.webSocketPort, transport: .webSocket(path: "/ws?access_token=\(token)", subprotocols: ["v12.stomp"], origin: nil))
        try client.send(.CONNECT, [("accept-version", "1.2")])
        XCTAssertEqual(try client.receive()["user-name"], "carol")
        let other = try TestClient(port: node.stompPort)
        try other.send(.CONNECT, [("accept-version", "1.2")])
        XCTAssertEqual(try other.receive()["message"], "authentication failed: a token is required")
    }
}

import Foundation
import STOMPWire
import XCTest

/// Base for tests against a real node process. One node per test class keeps the suite fast;
/// tests that need special settings start their own.
class GatewayTestCase: XCTestCase {
    nonisolated(unsafe) static var shared: NodeProcess?
    nonisolated(unsafe) static var startFailure: String?
    class var nodeArguments: [String] { [] }

    override class func setUp() {
        super.setUp()
        do {
            shared = try NodeProcess(arguments: nodeArguments)
            startFailure = nil
        } catch {
            startFailure = "\(error)"
        }
    }

    override class func tearDown() {
        if let node = shared {
            let status = node.stop()
            if status != 0 { print("node exited with \(status); log:\n\(node.log)") }
        }
        shared = nil
        super.tearDown()
    }

    var node: NodeProcess {
        get throws {
            guard let node = Self.shared else { throw TestClientError(description: "node did not start: \(Self.startFailure ?? "?")") }
            return node
        }
    }

    enum Kind: CaseIterable { case tcp, webSocket }

    func client(_ kind: Kind, subprotocols: [String] = ["v12.stomp", "v11.stomp", "v10.stomp"]) throws -> TestClient {
        let node = try self.node
        switch kind {
        case .tcp: return try TestClient(port: node.stompPort)
        case .webSocket: return try TestClient(port: node.webSocketPort, transport: .webSocket(path: "/ws", subprotocols: subprotocols, origin: nil))
        }
    }

    func connectedClient(_ kind: Kind, login: String? = nil) throws -> TestClient {
        let c = try client(kind)
        var headers = [("accept-version", "1.0,1.1,1.2"), ("host", "/")]
        if let login { headers += [("login", login), ("passcode", "x")] }
        try c.connect(headers)
        return c
    }

    /// Runs the same body over raw TCP and over WebSocket.
    func forEachTransport(_ body: (Kind) throws -> Void) throws {
        for kind in Kind.allCases {
            do { try body(kind) } catch { XCTFail("\(kind): \(error)") }
        }
    }

    /// A destination no other test uses.
    func unique(_ prefix: String) -> String { "\(prefix)/\(name.filter { $0.isLetter || $0.isNumber })-\(UInt32.random(in: 0...UInt32.max))" }
}

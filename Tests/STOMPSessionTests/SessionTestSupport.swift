import STOMPSession
import STOMPWire
import Broker
import XCTest

/// A session driven by hand: a fake clock and helpers that connect it.
struct SessionHarness {
    var session: STOMPSession
    var now: UInt64 = 1_000
    var authenticator: any Authenticator = AllowAllAuthenticator()

    init(configuration: SessionConfiguration = .init()) {
        session = STOMPSession(id: 7, configuration: configuration, now: 1_000)
    }

    mutating func receive(_ command: STOMPCommand, _ headers: [(String, String)] = [], body: [UInt8] = []) -> [SessionAction] {
        session.receive(STOMPFrame(command, headers: headers, body: body), authenticator: authenticator, now: now)
    }

    @discardableResult
    mutating func connect(_ headers: [(String, String)] = [("accept-version", "1.2"), ("host", "/")]) -> [SessionAction] {
        receive(.CONNECT, headers)
    }

    mutating func advance(_ milliseconds: UInt64) -> [SessionAction] {
        now += milliseconds
        return session.tick(now: now)
    }
}

func frames(_ actions: [SessionAction]) -> [STOMPFrame] {
    actions.compactMap { if case .send(let frame) = $0 { frame } else { nil } }
}

func operations(_ actions: [SessionAction]) -> [BrokerOperation] {
    actions.compactMap { if case .perform(let operation, _) = $0 { operation } else { nil } }
}

/// Asserts the actions are exactly ERROR (with the message fragment and receipt-id) then close.
func assertError(_ actions: [SessionAction], contains fragment: String, receipt: String? = nil, file: StaticString = #filePath, line: UInt = #line) {
    guard actions.count == 2, case .send(let frame) = actions[0], case .close = actions[1] else {
        return XCTFail("expected ERROR then close, got \(actions)", file: file, line: line)
    }
    XCTAssertEqual(frame.command, .ERROR, file: file, line: line)
    XCTAssertTrue(frame["message"]?.contains(fragment) ?? false, "message '\(frame["message"] ?? "nil")' lacks '\(fragment)'", file: file, line: line)
    XCTAssertEqual(frame["receipt-id"], receipt, file: file, line: line)
}

import STOMPWire
import XCTest

final class UserDestinationTests: GatewayTestCase {
    func testEverySessionOfTheUserReceivesAndNobodyElse() throws {
        let alice1 = try connectedClient(.webSocket, login: "alice")
        let alice2 = try connectedClient(.tcp, login: "alice")
        let bob = try connectedClient(.webSocket, login: "bob")
        for (c, id) in [(alice1, "a1"), (alice2, "a2"), (bob, "b")] { try c.subscribe("/user/queue/notes", id: id) }
        let sender = try connectedClient(.tcp, login: "service")
        try sender.publish("/user/alice/queue/notes", "for alice")
        for c in [alice1, alice2] {
            let message = try c.expect(.MESSAGE)
            XCTAssertEqual(message["destination"], "/user/queue/notes")
            XCTAssertEqual(String(decoding: message.body, as: UTF8.self), "for alice")
        }
        XCTAssertTrue(bob.receivesNothing())
    }

    func testSubscribingToAnotherUsersDestinationIsRefused() throws {
        let mallory = try connectedClient(.tcp, login: "mallory")
        try mallory.send(.SUBSCRIBE, [("destination", "/user/alice/queue/notes"), ("id", "x"), ("receipt", "r")])
        let error = try mallory.expect(.ERROR)
        XCTAssertEqual(error["receipt-id"], "r")
        XCTAssertNotNil(error["message"])
        try mallory.waitForClose()
    }
}

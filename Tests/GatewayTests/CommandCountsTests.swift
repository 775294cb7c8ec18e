@testable import Gateway
import STOMPWire
import XCTest

final class CommandCountsTests: XCTestCase {
    func testEachCommandIsCountedApartAndOnlyCountedOnesAreListedByName() {
        var counts = CommandCounts()
        for (index, command) in STOMPCommand.allCases.enumerated() { counts[command] += UInt64(index + 1) }
        for (index, command) in STOMPCommand.allCases.enumerated() { XCTAssertEqual(counts[command], UInt64(index + 1), command.rawValue) }
        var some = CommandCounts()
        some[.SEND] += 2
        some[.ACK] += 1
        XCTAssertEqual(some.nonZero.map(\.command), ["ACK", "SEND"])
        XCTAssertEqual(some.nonZero.map(\.count), [1, 2])
    }
}

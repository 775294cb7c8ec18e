import Foundation

/// Polls `condition` every 20 ms until it holds or `seconds` pass; true when it held.
func eventually(within seconds: TimeInterval, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(20_000)
    }
    return try condition()
}

import ClusterBus
import ClusterRedis
import TestSupport
import UVLoop
import XCTest

private final class ControlRecorder: ClusterBusDelegate {
    var controls: [[UInt8]] = []
    func bus(didReceive envelope: Envelope) {}
    func bus(queueHasMessages queue: String) {}
    func bus(stateDidChange state: BusLinkState) {}
    func bus(nodeDidDie nodeID: String) {}
    func bus(didReceiveControl payload: [UInt8]) { controls.append(payload) }
}

/// `P:ctl:<node>`: a control message reaches the node it names, and only that node.
final class ControlChannelTests: XCTestCase {
    func testControlMessageReachesOnlyTheNamedNodeAndTheSenderItself() throws {
        let redis = try RedisServerProcess.started()
        defer { redis.stop() }
        let loop = try EventLoop()
        let buses = ["a", "b"].map { RedisClusterBus(loop: loop, settings: .init(nodeID: $0, endpoint: redis.endpoint)) }
        let recorders = [ControlRecorder(), ControlRecorder()]
        for (bus, recorder) in zip(buses, recorders) {
            bus.delegate = recorder
            bus.start()
        }
        spin(loop) { buses.allSatisfy { $0.state == .connected } }
        // The subscriber subscribes to its control channel once connected: wait until Redis has both.
        spin(loop) { ((try? redis.command(["PUBSUB", "NUMSUB", "stampede:ctl:a", "stampede:ctl:b"]).array) ?? []).compactMap(\.integer) == [1, 1] }
        buses[0].sendControl([1, 2, 3], to: "b")
        buses[0].sendControl([4], to: "a")
        spin(loop) { recorders[1].controls.count == 1 && recorders[0].controls.count == 1 }
        XCTAssertEqual(recorders[1].controls, [[1, 2, 3]])
        XCTAssertEqual(recorders[0].controls, [[4]])
        for bus in buses { bus.stop() }
        idle(loop, milliseconds: 50)
    }
}

import ClusterBus
import STOMPWire
import XCTest

private final class Recorder: ClusterBusDelegate {
    var received: [Envelope] = []
    var hints: [String] = []
    var dead: [String] = []
    func bus(didReceive envelope: Envelope) { received.append(envelope) }
    func bus(queueHasMessages queue: String) { hints.append(queue) }
    func bus(stateDidChange state: BusLinkState) {}
    func bus(nodeDidDie nodeID: String) { dead.append(nodeID) }
}

final class InMemoryHubTests: XCTestCase {
    private func envelope(_ destination: String, from node: String = "n1") -> Envelope {
        Envelope(sourceNode: node, messageID: "m", destination: destination, headers: [], body: Array(destination.utf8))
    }

    func testTopicMessagesReachOnlyInterestedOtherNodes() {
        let hub = InMemoryClusterHub()
        let (a, b, c) = (hub.makeBus(nodeID: "a"), hub.makeBus(nodeID: "b"), hub.makeBus(nodeID: "c"))
        let (ra, rb, rc) = (Recorder(), Recorder(), Recorder())
        a.delegate = ra; b.delegate = rb; c.delegate = rc
        a.setInterest(.destination("/topic/x"), active: true, confirmed: nil)
        b.setInterest(.pattern("/topic/*"), active: true, confirmed: nil)
        a.publish(envelope("/topic/x", from: "a"), to: .destination("/topic/x"))
        XCTAssertEqual(ra.received.count, 0, "never back to the sender")
        XCTAssertEqual(rb.received.count, 1)
        XCTAssertEqual(rc.received.count, 0)
    }

    func testQueueMessageIsPulledByExactlyOneNode() {
        let hub = InMemoryClusterHub()
        let (a, b) = (hub.makeBus(nodeID: "a"), hub.makeBus(nodeID: "b"))
        let (ra, rb) = (Recorder(), Recorder())
        a.delegate = ra; b.delegate = rb
        a.setQueueInterest("/queue/q", active: true)
        b.setQueueInterest("/queue/q", active: true)
        a.enqueue(envelope("/queue/q"), queue: "/queue/q")
        XCTAssertEqual(ra.hints, ["/queue/q"])
        XCTAssertEqual(rb.hints, ["/queue/q"])
        var taken: [[QueueEntry]] = []
        a.pull(queue: "/queue/q", max: 10) { taken.append($0) }
        b.pull(queue: "/queue/q", max: 10) { taken.append($0) }
        XCTAssertEqual(taken.map(\.count), [1, 0])
    }

    func testDeadNodesUnsettledMessagesAreRequeuedRedelivered() {
        let hub = InMemoryClusterHub()
        let (a, b) = (hub.makeBus(nodeID: "a"), hub.makeBus(nodeID: "b"))
        let rb = Recorder()
        b.delegate = rb
        a.setQueueInterest("/queue/q", active: true)
        b.setQueueInterest("/queue/q", active: true)
        a.enqueue(envelope("/queue/q"), queue: "/queue/q")
        a.pull(queue: "/queue/q", max: 1) { XCTAssertEqual($0.count, 1) }
        hub.kill("a")
        XCTAssertEqual(rb.dead, ["a"])
        var again: [QueueEntry] = []
        b.pull(queue: "/queue/q", max: 1) { again = $0 }
        XCTAssertEqual(again.count, 1)
        XCTAssertTrue(again.first?.envelope.redelivered ?? false)
    }

    func testSettledMessagesAreNotRequeued() {
        let hub = InMemoryClusterHub()
        let (a, b) = (hub.makeBus(nodeID: "a"), hub.makeBus(nodeID: "b"))
        a.setQueueInterest("/queue/q", active: true)
        a.enqueue(envelope("/queue/q"), queue: "/queue/q")
        a.pull(queue: "/queue/q", max: 1) { a.settle(queue: "/queue/q", entryIDs: $0.map(\.id)) }
        hub.kill("a")
        b.pull(queue: "/queue/q", max: 1) { XCTAssertEqual($0.count, 0) }
    }

    func testSharedQueueDropsTheOldestBeyondCapacity() {
        let hub = InMemoryClusterHub(queueCapacity: 2)
        let a = hub.makeBus(nodeID: "a")
        for i in 0..<3 { a.enqueue(envelope("/queue/q\(i)"), queue: "/queue/q") }
        a.pull(queue: "/queue/q", max: 10) { XCTAssertEqual($0.map(\.envelope.destination), ["/queue/q1", "/queue/q2"]) }
    }
}

private final class ControlRecorder: ClusterBusDelegate {
    var controls: [[UInt8]] = []
    func bus(didReceive envelope: Envelope) {}
    func bus(queueHasMessages queue: String) {}
    func bus(stateDidChange state: BusLinkState) {}
    func bus(nodeDidDie nodeID: String) {}
    func bus(didReceiveControl payload: [UInt8]) { controls.append(payload) }
}

final class InMemoryControlTests: XCTestCase {
    func testControlMessageReachesOnlyTheNamedNode() {
        let hub = InMemoryClusterHub()
        let (a, b, c) = (hub.makeBus(nodeID: "a"), hub.makeBus(nodeID: "b"), hub.makeBus(nodeID: "c"))
        let (ra, rb, rc) = (ControlRecorder(), ControlRecorder(), ControlRecorder())
        a.delegate = ra; b.delegate = rb; c.delegate = rc
        a.sendControl([7], to: "b")
        a.sendControl([8], to: "a")
        a.sendControl([9], to: "gone")
        XCTAssertEqual(rb.controls, [[7]])
        XCTAssertEqual(ra.controls, [[8]])
        XCTAssertEqual(rc.controls, [])
    }

    func testLoneNodeReachesItself() {
        let bus = InMemoryClusterBus(nodeID: "solo")
        let recorder = ControlRecorder()
        bus.delegate = recorder
        bus.sendControl([1], to: "solo")
        XCTAssertEqual(recorder.controls, [[1]])
    }
}

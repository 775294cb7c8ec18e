internal import Applications
internal import Gateway
internal import UVLoop

/// The embedded node's loop-thread half: owns the node, receives `/app` calls from it and starts
/// the registered closures as tasks (off the loop).
final class LoopSide: ApplicationCallHandler {
    let node: Node
    var inbox: LoopInbox<LoopSide>?
    private let owner: EmbeddedNode
    private let sends: [String: EmbeddedNode.SendHandler]
    private let subscribes: [String: EmbeddedNode.SubscribeHandler]

    init(node: Node, owner: EmbeddedNode, sends: [String: EmbeddedNode.SendHandler], subscribes: [String: EmbeddedNode.SubscribeHandler]) {
        self.node = node
        self.owner = owner
        self.sends = sends
        self.subscribes = subscribes
    }

    func handle(_ call: ApplicationCall) {
        let owner = self.owner
        switch call.kind {
        case .send:
            guard let handler = sends[call.route.pattern] else { return }
            Task.detached { await handler(call, owner) }
        case .subscribe:
            guard let handler = subscribes[call.route.pattern] else { return }
            Task.detached {
                guard let answer = await handler(call) else { return }
                try? await owner.answer(call, with: answer)
            }
        }
    }
}

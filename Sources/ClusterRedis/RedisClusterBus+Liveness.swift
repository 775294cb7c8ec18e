internal import ClusterBus
internal import RedisClient
internal import UVLoop

/// Liveness: a connected TCP link to a Redis that stopped answering (SIGSTOP, a frozen host, a
/// path that drops packets) looks healthy for minutes. Every interval the node PUBLISHes a
/// sequence number to its own probe channel: the reply proves the command connection, the
/// message coming back proves the subscriber connection. Decisions are `LivenessProbe`'s.
extension RedisClusterBus {
    func startProbing() {
        let timer = Timer(loop: loop)
        probeTimer = timer
        subscriber.subscribe(keys.probeChannel(nodeID), confirmed: nil)
        let interval = liveness.intervalMilliseconds
        timer.start(afterMilliseconds: interval, repeatMilliseconds: interval) { [unowned self] in
            let up = commands.state == .connected && subscriber.state == .connected
            apply(liveness.tick(now: loop.nowMilliseconds, linkUp: up))
        }
    }

    func stopProbing() {
        probeTimer?.close()
        probeTimer = nil
    }

    func probeEchoed(_ payload: [UInt8]) {
        guard let sequence = UInt64(String(decoding: payload, as: UTF8.self)) else { return }
        apply(liveness.received(.echo, sequence: sequence, now: loop.nowMilliseconds))
    }

    private func apply(_ actions: [LivenessProbe.Action]) {
        for action in actions {
            switch action {
            case .send(let sequence):
                let channel = Array(keys.probeChannel(nodeID).utf8)
                commands.send([Array("PUBLISH".utf8), channel, Array(String(sequence).utf8)]) { [weak self] reply in
                    guard let self, !reply.isError else { return }
                    apply(liveness.received(.reply, sequence: sequence, now: loop.nowMilliseconds))
                }
            case .stalled:
                linkStateChanged()
            case .recovered(let milliseconds):
                lastStallMilliseconds = milliseconds
                linkStateChanged()
            case .reconnect:
                let reason = "no answer for \(liveness.reconnectAfterMilliseconds) ms"
                commands.reconnect(reason: reason)
                subscriber.reconnect(reason: reason)
            }
        }
    }
}

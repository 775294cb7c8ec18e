public import STOMPClientSession
internal import STOMPWire
internal import NIOConcurrencyHelpers

/// Sending: a send without a receipt on a connected client waits in the outbox, outside the
/// actor, and reaches the session in bursts (issue 14); any other send goes through the actor.
extension StampedeClient {
    struct Outbox {
        var sends: [OutgoingSend] = []
        var drainScheduled = false
        /// Mirrors the session: only a connected client takes sends here (a send made while
        /// disconnected goes through the actor, so a full queue is the caller's error).
        var isConnected = false
    }

    /// Sends that may wait in the outbox; past this a send goes through the actor, which drains
    /// the outbox first (back-pressure on a caller faster than the connection).
    static let outboxLimit = 4_096

    /// SEND. With `receipt: true` it returns once the server has the message (RECEIPT) and throws
    /// its ERROR otherwise. While disconnected the send waits in a bounded queue for the next
    /// connection; past `maxQueuedSends` it throws `.sendQueueFull`.
    ///
    /// Without a receipt or transaction, on a connected client, the send returns once queued
    /// for the connection (like a write into a socket) and frames go out in bursts.
    public nonisolated(nonsending) func send(_ body: [UInt8], to destination: String, headers: [String: String] = [:], receipt: Bool = false, transaction: StampedeTransaction? = nil) async throws(StampedeClientError) {
        var headerList = headers.isEmpty ? [] : headers.sorted { $0.key < $1.key }.map { STOMPHeader(name: $0.key, value: $0.value) }
        if !receipt, transaction == nil {
            let outgoing = OutgoingSend(destination: destination, headers: headerList, body: body, receipt: nil)
            let queued: Bool? = outbox.withLockedValue { box in
                guard box.isConnected, box.sends.count < Self.outboxLimit else { return nil }
                box.sends.append(outgoing)
                defer { box.drainScheduled = true }
                return !box.drainScheduled
            }
            if let queued {
                if queued { Task { await self.drainOutbox() } }
                return
            }
        }
        if let transaction { headerList.append(STOMPHeader(name: "transaction", value: transaction.id)) }
        try await sendThroughSession(destination: destination, headers: headerList, body: body, receipt: receipt)
    }

    private func sendThroughSession(destination: String, headers: [STOMPHeader], body: [UInt8], receipt: Bool) async throws(StampedeClientError) {
        let receiptID = receipt ? nextReceipt() : nil
        let outgoing = OutgoingSend(destination: destination, headers: headers, body: body, receipt: receiptID)
        try await perform(receipt: receiptID) { session, now in try session.send(outgoing, now: now) }
    }

    /// Hands the outbox's sends to the session, in order, as one burst of writes.
    func drainOutbox() {
        let sends = outbox.withLockedValue { box in
            box.drainScheduled = false
            defer { box.sends = [] }
            return box.sends
        }
        guard !sends.isEmpty else { return }
        let now = now
        for send in sends {
            // Connected when queued; if the connection dropped since, the session queues the
            // send for the next one (or, past its bound, drops it as a lost connection would).
            guard let actions = try? session.send(send, now: now) else { continue }
            apply(actions)
        }
    }

    /// SEND of UTF-8 text.
    public nonisolated(nonsending) func send(_ text: String, to destination: String, headers: [String: String] = [:], receipt: Bool = false, transaction: StampedeTransaction? = nil) async throws(StampedeClientError) {
        try await send(Array(text.utf8), to: destination, headers: headers, receipt: receipt, transaction: transaction)
    }
}

/// Open STOMP transactions of one session: SENDs and ACKs wait here until COMMIT, vanish on ABORT
/// or disconnect. Bounded, so a client cannot grow it without limit.
struct TransactionTable: Sendable {
    struct Failure: Error, Equatable { let message: String }

    let maxTransactions: Int
    let maxFramesPerTransaction: Int
    private var open: [String: [BrokerOperation]] = [:]

    init(maxTransactions: Int, maxFramesPerTransaction: Int) {
        self.maxTransactions = maxTransactions
        self.maxFramesPerTransaction = maxFramesPerTransaction
    }

    var count: Int { open.count }

    mutating func begin(_ name: String) -> Result<Void, Failure> {
        guard open[name] == nil else { return .failure(Failure(message: "transaction '\(name)' is already open")) }
        guard open.count < maxTransactions else {
            return .failure(Failure(message: "too many open transactions (limit \(maxTransactions))"))
        }
        open[name] = []
        return .success(())
    }

    mutating func append(_ operation: BrokerOperation, to name: String) -> Result<Void, Failure> {
        guard var operations = open[name] else { return .failure(unknown(name)) }
        guard operations.count < maxFramesPerTransaction else {
            return .failure(Failure(message: "transaction '\(name)' holds too many frames (limit \(maxFramesPerTransaction))"))
        }
        open[name] = nil  // keep the array uniquely referenced while appending
        operations.append(operation)
        open[name] = operations
        return .success(())
    }

    mutating func commit(_ name: String) -> Result<[BrokerOperation], Failure> {
        guard let operations = open.removeValue(forKey: name) else { return .failure(unknown(name)) }
        return .success(operations)
    }

    mutating func abort(_ name: String) -> Result<Void, Failure> {
        guard open.removeValue(forKey: name) != nil else { return .failure(unknown(name)) }
        return .success(())
    }

    mutating func removeAll() { open.removeAll() }

    private func unknown(_ name: String) -> Failure { Failure(message: "unknown transaction '\(name)'") }
}

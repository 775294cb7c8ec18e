internal import ClusterBus
internal import Logging
internal import UVLoop

extension Node {
    /// The cluster bus the configuration asks for.
    static func makeBus(configuration: NodeConfiguration, nodeID: String, loop: EventLoop, logger: Logger) throws -> any ClusterBus {
        guard configuration.redisURL != nil else {
            return InMemoryClusterBus(nodeID: nodeID, syntax: configuration.destinationSyntax)
        }
        throw NodeStartError("the Redis cluster bus is not built yet")
    }
}

struct NodeStartError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

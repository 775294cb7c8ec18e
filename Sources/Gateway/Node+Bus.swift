internal import Broker
internal import ClusterBus
internal import STOMPWire
internal import ClusterRedis
internal import Logging
internal import RedisClient
internal import UVLoop

extension Node {
    /// The cluster bus the configuration asks for.
    static func makeBus(configuration: NodeConfiguration, nodeID: String, loop: EventLoop, logger: Logger) throws -> any ClusterBus {
        guard let url = configuration.redisURL else {
            return InMemoryClusterBus(nodeID: nodeID, syntax: configuration.destinationSyntax)
        }
        guard let endpoint = RedisEndpoint(url: url) else { throw NodeStartError("invalid Redis URL '\(url)'") }
        return RedisClusterBus(loop: loop, settings: .init(
            nodeID: nodeID, endpoint: endpoint, keyPrefix: configuration.redisKeyPrefix,
            nodeTimeoutMilliseconds: configuration.nodeTimeoutMilliseconds,
            connectTimeoutMilliseconds: configuration.redisConnectTimeoutMilliseconds,
            reconnectMaxMilliseconds: configuration.redisReconnectMaxMilliseconds,
            pingIntervalMilliseconds: configuration.redisPingIntervalMilliseconds,
            timeoutMilliseconds: configuration.redisTimeoutMilliseconds,
            stallReconnectMilliseconds: configuration.redisStallReconnectMilliseconds,
            queueCapacity: configuration.broker.queueBufferCapacity,
            maxEnvelopeBytes: configuration.stomp.maxFrameBytes + 64 * 1024,
            maxPendingBytes: configuration.maxPendingRedisBytes,
            syntax: configuration.destinationSyntax))
    }
}

struct NodeStartError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

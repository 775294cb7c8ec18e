import ClusterRedis
import TestSupport
import UVLoop

/// Cluster buses of nodes `ids` on `redis`, started, once both of their links are connected.
func connectedBuses(_ ids: [String], redis: RedisServerProcess, loop: EventLoop) -> [RedisClusterBus] {
    let buses = ids.map { RedisClusterBus(loop: loop, settings: .init(nodeID: $0, endpoint: redis.endpoint)) }
    for bus in buses { bus.start() }
    spin(loop) { buses.allSatisfy { $0.state == .connected } }
    return buses
}

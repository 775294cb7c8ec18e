internal import Admin
internal import FoundationEssentials
internal import Gateway

/// What `stampede cluster status` makes of the admin endpoint's answer: pure, so it is tested
/// without a node.
enum ClusterStatusReport {
    /// The cluster view from a `GET /admin/cluster` answer, or the one line explaining why not.
    static func interpret(_ response: ClusterHTTPResponse, from url: ClusterAdminURL) -> Result<AdminClusterBody, ClusterClientError> {
        switch response.status {
        case 200:
            guard let body = try? JSONDecoder().decode(AdminClusterBody.self, from: Data(response.body)) else {
                return .failure(ClusterClientError(description: "\(url.display) did not answer with the cluster JSON (is it a Stampede admin endpoint?)"))
            }
            return .success(body)
        case 401:
            return .failure(ClusterClientError(description: "\(url.display) refused the request (401): pass --token or set STAMPEDE_ADMIN_TOKEN to admin.token"))
        default:
            struct ErrorBody: Decodable { var error: String }
            let detail = (try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body)))?.error
                ?? String(decoding: response.body.prefix(200), as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
            let suffix = detail.isEmpty ? "" : ": \(detail)"
            return .failure(ClusterClientError(description: "\(url.display) answered \(response.status)\(suffix)"))
        }
    }
}

/// The `cluster status` table: one line per node, sorted by id, columns padded with two spaces.
enum ClusterStatusTable {
    static let columns = ["NODE", "ADDRESS", "STATUS", "UPTIME", "CONN", "SUBS", "IN/s", "OUT/s", "HEARTBEAT AGE", "REDIS"]
    /// Numbers read better right-aligned.
    static let rightAligned: Set<Int> = [3, 4, 5, 6, 7, 8]

    /// The header, one row per node and a summary line (`3 nodes: 2 up, 1 dead`), each ending in `\n`.
    static func render(_ nodes: [AdminNodeView]) -> String {
        let rows = nodes.sorted { $0.id < $1.id }.map { node in
            [
                node.id, node.address, node.status, duration(seconds: node.uptimeSeconds),
                String(node.connections), String(node.subscriptions),
                rate(node.messagesInPerSecond), rate(node.messagesOutPerSecond),
                age(milliseconds: node.lastHeartbeatAgeMilliseconds), node.redis,
            ]
        }
        let table = [columns] + rows
        let widths = columns.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        var out = ""
        for row in table {
            var line = ""
            for (column, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                if column > 0 { line += "  " }
                line += rightAligned.contains(column) ? padding + cell : cell + padding
            }
            while line.hasSuffix(" ") { line.removeLast() }
            out += line + "\n"
        }
        out += summary(nodes) + "\n"
        return out
    }

    /// `3 nodes: 2 up, 1 dead` (statuses in the order up, degraded, dead, then others by name).
    static func summary(_ nodes: [AdminNodeView]) -> String {
        var counts: [String: Int] = [:]
        for node in nodes { counts[node.status, default: 0] += 1 }
        let known = ["up", "degraded", "dead"]
        let order = known.filter { counts[$0] != nil } + counts.keys.filter { !known.contains($0) }.sorted()
        let parts = order.map { "\(counts[$0] ?? 0) \($0)" }
        let noun = nodes.count == 1 ? "node" : "nodes"
        return parts.isEmpty ? "0 nodes" : "\(nodes.count) \(noun): \(parts.joined(separator: ", "))"
    }

    /// `42s`, `5m07s`, `3h04m`, `2d05h`; negative is `-`.
    static func duration(seconds: Int) -> String {
        guard seconds >= 0 else { return "-" }
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3_600 { return "\(seconds / 60)m\(twoDigits(seconds % 60))s" }
        if seconds < 86_400 { return "\(seconds / 3_600)h\(twoDigits(seconds / 60 % 60))m" }
        return "\(seconds / 86_400)d\(twoDigits(seconds / 3_600 % 24))h"
    }

    /// `250ms` below a second, `1.2s` below a minute, then as `duration`.
    static func age(milliseconds: Int) -> String {
        guard milliseconds >= 0 else { return "-" }
        if milliseconds < 1_000 { return "\(milliseconds)ms" }
        if milliseconds < 60_000 { return "\(oneDecimal(Double(milliseconds) / 1_000))s" }
        return duration(seconds: milliseconds / 1_000)
    }

    /// Messages per second with one decimal (`1234.5`); not finite is `-`.
    static func rate(_ value: Double) -> String {
        value.isFinite ? oneDecimal(value) : "-"
    }

    private static func oneDecimal(_ value: Double) -> String {
        guard abs(value) < 1e15 else { return value.description }
        let tenths = Int64((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0\(value)" : String(value)
    }
}

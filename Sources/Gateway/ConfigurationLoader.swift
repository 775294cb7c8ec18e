internal import Yams
internal import Glibc
internal import STOMPWire
internal import Broker

/// Builds a `NodeConfiguration` from, in rising precedence, a YAML file, `STAMPEDE_*` environment
/// variables and command-line overrides. Every source goes through the one table `keys`.
public enum ConfigurationLoader {
    /// Prefix of every setting's environment variable.
    public static let environmentPrefix = "STAMPEDE_"
    /// Names the configuration file when `--config` is not given; not a setting itself.
    public static let configFileVariable = "STAMPEDE_CONFIG"

    /// Defaults, then the file (if any), then `environment`, then `overrides` in order; then the
    /// values are checked against each other.
    public static func load(
        file: String?, environment: [String: String] = [:], overrides: [(key: String, value: String)] = []
    ) throws(ConfigurationError) -> NodeConfiguration {
        let yaml = try file.map { path throws(ConfigurationError) in (text: try readFile(path), path: path) }
        return try load(yaml: yaml, environment: environment, overrides: overrides)
    }

    /// As `load(file:…)`, with the file's text given; `path` only names it in error messages.
    public static func load(
        yaml: (text: String, path: String)?, environment: [String: String] = [:], overrides: [(key: String, value: String)] = []
    ) throws(ConfigurationError) -> NodeConfiguration {
        let table = KeyTable()
        var configuration = NodeConfiguration()
        if let yaml { try table.apply(yaml: yaml.text, path: yaml.path, to: &configuration) }
        try table.apply(environment: environment, to: &configuration)
        for (name, text) in overrides {
            guard let key = table.byName[name] else {
                throw .unknownKey(name, .commandLine, suggestion: closestMatch(to: name, in: table.names))
            }
            try table.set(key, key.value(fromText: text), shown: text, from: .commandLine, in: &configuration)
        }
        try checkConsistency(configuration)
        return configuration
    }

    /// The key named `name`, if there is one.
    public static func key(named name: String) -> ConfigurationKey? {
        keys.first { $0.name == name }
    }

    /// Rules that involve more than one key.
    static func checkConsistency(_ configuration: NodeConfiguration) throws(ConfigurationError) {
        if let stompPort = configuration.stompPort, stompPort != 0, stompPort == configuration.webSocketPort {
            throw ConfigurationError(.inconsistentValues, key: "listen.stomp-port",
                                     "listen.stomp-port and listen.websocket-port are both \(stompPort); give them different ports")
        }
        if configuration.stomp.maxBodyBytes > configuration.stomp.maxFrameBytes {
            throw ConfigurationError(.inconsistentValues, key: "limits.stomp.max-body-bytes",
                                     "limits.stomp.max-body-bytes (\(configuration.stomp.maxBodyBytes)) exceeds limits.stomp.max-frame-bytes (\(configuration.stomp.maxFrameBytes))")
        }
        let prefixes = [("topic", configuration.prefixes.topic), ("queue", configuration.prefixes.queue), ("user", configuration.prefixes.user)]
        for (index, first) in prefixes.enumerated() {
            for second in prefixes[(index + 1)...] where first.1 == second.1 {
                throw ConfigurationError(.inconsistentValues, key: "destinations.\(second.0)-prefix",
                                         "destinations.\(first.0)-prefix and destinations.\(second.0)-prefix are both '\(first.1)'")
            }
        }
        try checkEndpointPorts(configuration)
        try checkApplicationConsistency(configuration)
        try checkClusterConsistency(configuration)
        try checkAPIConsistency(configuration)
        try checkConformanceConsistency(configuration)
    }

    /// An endpoint with a port of its own needs one nobody else binds.
    static func checkEndpointPorts(_ configuration: NodeConfiguration) throws(ConfigurationError) {
        var taken: [(String, Int)] = [("listen.websocket-port", configuration.webSocketPort)]
        for (name, port) in [("listen.stomp-port", configuration.stompPort), ("admin.port", configuration.adminPort), ("api.port", configuration.apiPort)] {
            if let port, port != 0 { taken.append((name, port)) }
        }
        for endpoint in configuration.endpoints {
            guard let port = endpoint.port else { continue }
            if let other = taken.first(where: { $0.1 == port }) {
                throw ConfigurationError(.inconsistentValues, key: "listen.endpoints",
                                         "endpoint '\(endpoint.name)' and \(other.0) are both on port \(port); give them different ports")
            }
            taken.append(("endpoint '\(endpoint.name)'", port))
        }
    }

    static func readFile(_ path: String) throws(ConfigurationError) -> String {
        guard let file = fopen(path, "rb") else {
            throw ConfigurationError(.unreadableFile, "cannot read configuration file \(path): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes += chunk[..<count]
            if count < chunk.count { break }
        }
        if ferror(file) != 0 {
            throw ConfigurationError(.unreadableFile, "cannot read configuration file \(path): \(String(cString: strerror(errno)))")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ConfigurationError(.malformedFile, "configuration file \(path) is not UTF-8 text")
        }
        return text
    }
}

/// The key table indexed for one load.
private struct KeyTable {
    let keys = ConfigurationLoader.keys
    let byName: [String: ConfigurationKey]
    let byVariable: [String: ConfigurationKey]
    /// `listen`, `limits`, `limits.stomp`, …: names that hold keys but are not keys.
    let sections: Set<String>

    init() {
        byName = Dictionary(uniqueKeysWithValues: keys.map { ($0.name, $0) })
        byVariable = Dictionary(uniqueKeysWithValues: keys.map { ($0.environmentVariable, $0) })
        var sections: Set<String> = []
        for key in keys {
            var parts = key.name.split(separator: ".").dropLast()
            while !parts.isEmpty {
                sections.insert(parts.joined(separator: "."))
                parts.removeLast()
            }
        }
        self.sections = sections
    }

    var names: [String] { keys.map(\.name) }

    func set(
        _ key: ConfigurationKey, _ value: ConfigurationValue?, shown: String?, from source: ConfigurationSource,
        in configuration: inout NodeConfiguration
    ) throws(ConfigurationError) {
        guard let value, key.write(&configuration, value) else { throw .invalidValue(shown, for: key, source) }
    }

    // MARK: Environment

    func apply(environment: [String: String], to configuration: inout NodeConfiguration) throws(ConfigurationError) {
        for key in keys {
            guard let text = environment[key.environmentVariable] else { continue }
            try set(key, key.value(fromText: text), shown: text, from: .environment(variable: key.environmentVariable), in: &configuration)
        }
        // A variable in a section of ours that names no key is a typo; other STAMPEDE_* names
        // (scripts' own variables) are left alone.
        let sectionPrefixes = Set(keys.map { ConfigurationLoader.environmentPrefix + $0.name.prefix { $0 != "." }.uppercased() + "_" })
        for variable in environment.keys.sorted() where byVariable[variable] == nil {
            guard sectionPrefixes.contains(where: { variable.hasPrefix($0) }) else { continue }
            let suggestion = closestMatch(to: variable, in: Array(byVariable.keys).sorted())
            throw ConfigurationError(.unknownKey, "unknown environment variable \(variable)" + (suggestion.map { "; did you mean \($0)?" } ?? ""))
        }
    }

    // MARK: YAML

    func apply(yaml: String, path: String, to configuration: inout NodeConfiguration) throws(ConfigurationError) {
        let root: Yams.Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch let error as YamlError {
            throw ConfigurationError(.malformedFile, "malformed YAML in \(path)" + Self.describe(error))
        } catch {
            throw ConfigurationError(.malformedFile, "malformed YAML in \(path): \(error)")
        }
        guard let root, !Self.isNull(root) else { return }
        guard case .mapping(let mapping) = root else {
            throw ConfigurationError(.malformedFile, "configuration file \(path) must be a mapping of settings \(ConfigurationSource.file(path: path, line: root.mark?.line).phrase)")
        }
        var seen: Set<String> = []
        try apply(mapping: mapping, section: nil, path: path, seen: &seen, to: &configuration)
    }

    private func apply(
        mapping: Yams.Node.Mapping, section: String?, path: String, seen: inout Set<String>, to configuration: inout NodeConfiguration
    ) throws(ConfigurationError) {
        for (keyNode, valueNode) in mapping {
            let source = ConfigurationSource.file(path: path, line: keyNode.mark?.line)
            guard case .scalar(let scalar) = keyNode else {
                throw ConfigurationError(.malformedFile, "a key \(source.phrase) is not a plain name")
            }
            let name = section.map { "\($0).\(scalar.string)" } ?? scalar.string
            if let key = byName[name] {
                guard seen.insert(name).inserted else {
                    throw ConfigurationError(.duplicateKey, key: name, "duplicate key '\(name)' \(source.phrase)")
                }
                let valueSource = ConfigurationSource.file(path: path, line: valueNode.mark?.line ?? keyNode.mark?.line)
                try set(key, Self.value(of: valueNode, for: key), shown: Self.describe(valueNode), from: valueSource, in: &configuration)
            } else if sections.contains(name) {
                if case .mapping(let inner) = valueNode {
                    try apply(mapping: inner, section: name, path: path, seen: &seen, to: &configuration)
                } else if !Self.isNull(valueNode) {
                    let example = keys.first { $0.name.hasPrefix(name + ".") }?.name ?? name
                    throw ConfigurationError(.invalidValue, key: name,
                                             "invalid value '\(Self.describe(valueNode))' for \(name) \(source.phrase): expected a mapping of settings such as \(example)")
                }
            } else {
                throw .unknownKey(name, source, suggestion: closestMatch(to: name, in: names))
            }
        }
    }

    /// A node as a value of `key`'s shape; nil when the node's kind cannot be one.
    private static func value(of node: Yams.Node, for key: ConfigurationKey) -> ConfigurationValue? {
        switch node {
        case .scalar(let scalar):
            return key.value(fromText: isNull(node) ? "" : scalar.string)
        case .sequence(let sequence):
            guard key.shape == .list else { return nil }
            var items: [String] = []
            for item in sequence {
                guard case .scalar(let scalar) = item else { return nil }
                items.append(isNull(item) ? "" : scalar.string)
            }
            return .list(items)
        case .mapping(let mapping):
            guard key.shape == .map else { return nil }
            var pairs: [String: String] = [:]
            for (keyNode, valueNode) in mapping {
                guard case .scalar(let name) = keyNode, case .scalar(let value) = valueNode else { return nil }
                pairs[name.string] = isNull(valueNode) ? "" : value.string
            }
            return .map(pairs)
        case .alias:
            return nil
        }
    }

    /// `~`, `null` or nothing at all, written plainly.
    private static func isNull(_ node: Yams.Node) -> Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// A node as the operator wrote it, near enough to recognise.
    private static func describe(_ node: Yams.Node) -> String {
        switch node {
        case .scalar(let scalar): scalar.string
        case .sequence(let sequence): "[" + sequence.map(describe).joined(separator: ", ") + "]"
        case .mapping(let mapping): "{" + mapping.map { "\(describe($0.key)): \(describe($0.value))" }.joined(separator: ", ") + "}"
        case .alias: "*alias"
        }
    }

    /// " (line N): problem" from a Yams error, without its multi-line snippet.
    private static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let context = context.map { "\($0.text) " } ?? ""
            return " (line \(mark.line)): \(context)\(problem)"
        default:
            return ": " + (String(describing: error).split(separator: "\n").first.map(String.init) ?? "")
        }
    }
}
